package dev.tokenfab;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.QuantSpec;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.format.FormatException;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.text.TextException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The entry point for embedding tokenfab in a Java program (as ONNX Runtime's {@code OrtEnvironment}
 * is): compile an ONNX decoder into a model package, open a package on a device as a {@link Session},
 * generate.
 *
 * <pre>{@code
 * CompiledPackage pkg = Tokenfab.compile(Path.of("model.onnx"), Path.of("model.tfpkg"),
 *         CompileSettings.defaults().withPlatform(Platform.U55C));
 * try (Session session = Tokenfab.open(pkg.path(), DeviceKind.EMU)) {
 *     Generation g = session.generate(new int[] {1, 2, 3, 4}, GenerationSettings.greedy(16));
 * }
 * }</pre>
 *
 * <p>Errors are the modules' own checked exceptions, not wrapped, each with a code enum and a message
 * naming the culprit: {@link CompileException} (a {@link FormatException}) from the compiler,
 * {@link FormatException} from the package reader (corrupt package, other format version),
 * {@link DeviceException} from the device, {@link TextException} from the tokenizer. Bad arguments
 * throw {@link IllegalArgumentException} or {@link NullPointerException} naming the parameter.
 */
public final class Tokenfab {

    private static final System.Logger LOG = System.getLogger(Tokenfab.class.getName());

    private Tokenfab() {}

    /**
     * Compiles an ONNX decoder (a {@code .onnx} file, or a model folder with {@code genai_config.json} /
     * {@code config.json} and {@code tokenizer.json}) into a model package: import, validate,
     * quantize, plan, write. The package is written beside {@code packageDir} and renamed into place,
     * so a failed compile leaves nothing behind. Each compiler pass is logged at DEBUG level on the
     * {@code dev.tokenfab.Tokenfab} {@link System.Logger}.
     *
     * @param model      the ONNX file or model folder
     * @param packageDir the package directory to write (e.g. {@code model.tfpkg}); must not exist
     * @param settings   precision, platform and modeled context
     * @return the written package and its modeled card figures
     * @throws CompileException with {@link FormatException.ErrorCode} FILE_NOT_FOUND, NOT_ONNX, UNSUPPORTED_OP,
     *                          UNSUPPORTED_MODEL, BAD_OPTION, IO_ERROR, ... and a message naming the culprit
     */
    public static CompiledPackage compile(Path model, Path packageDir, CompileSettings settings) throws CompileException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(packageDir, "packageDir");
        Objects.requireNonNull(settings, "settings");
        CompileOptions options = new CompileOptions(settings.quant(), settings.groupSize(), settings.zeroPoints(),
                settings.int4Method(), settings.keepFp16(), settings.kvCache(), settings.platform(), settings.contextTokens(),
                1, QuantSpec.defaultThreads());
        // The one call into the compiler; auto-calibration as `tokenfab compile` without --calibration.
        Compiler.Result r = new Compiler(ModelImporter.onnx(), line -> LOG.log(System.Logger.Level.DEBUG, line))
                .withAutoCalibration(true)
                .compile(model, packageDir, options, CalibrationStats.none());
        return new CompiledPackage(r.output(), settings.platform(), settings.quant(), ModeledFigures.of(r.manifest().model(), r.plan(), settings.platform()));
    }

    /**
     * Writes the bundled demo decoder (the small synthetic Llama of {@code tokenfab demo}: seeded
     * weights, no download) as an ONNX file, for trying the API without a model at hand.
     *
     * @param onnx the file to write
     * @return {@code onnx}
     * @throws CompileException IO_ERROR naming the file when it cannot be written
     */
    public static Path synthesizeDemo(Path onnx) throws CompileException {
        Objects.requireNonNull(onnx, "onnx");
        SyntheticDecoderWriter.write(SynthSpec.llamaDemo().build(), onnx);
        return onnx;
    }

    /**
     * Opens a model package on a device of the package's platform (the emulated card's banks, or the
     * XRT card's xclbin for that platform).
     *
     * @param packageDir a package written by {@link #compile} or {@code tokenfab compile}
     * @param kind       where the kernels run
     * @return an open session; close it
     * @throws FormatException PACKAGE_CORRUPT (missing file, checksum) or PACKAGE_VERSION (written by
     *                         another format version, both versions named), FILE_NOT_FOUND
     * @throws DeviceException UNAVAILABLE when the backend cannot run here (always for OPENCL: a full
     *                         decode needs kernels it has no port of), BAD_BINARY when an XRT card's
     *                         xclbin does not match the package, OUT_OF_MEMORY
     * @throws TextException   when the package has a tokenizer.json that cannot be opened
     */
    public static Session open(Path packageDir, DeviceKind kind) throws FormatException, DeviceException, TextException {
        return open(packageDir, kind, null);
    }

    /**
     * As {@link #open(Path, DeviceKind)} on a device of {@code platform}.
     *
     * @param packageDir a package written by {@link #compile} or {@code tokenfab compile}
     * @param kind       where the kernels run
     * @param platform   the device's platform; null = the package's
     * @return an open session; close it
     * @throws FormatException as {@link #open(Path, DeviceKind)}
     * @throws DeviceException as {@link #open(Path, DeviceKind)}; BAD_BINARY or BAD_BANK when the
     *                         package's placement does not fit {@code platform}
     * @throws TextException   as {@link #open(Path, DeviceKind)}
     */
    public static Session open(Path packageDir, DeviceKind kind, Platform platform) throws FormatException, DeviceException, TextException {
        Objects.requireNonNull(packageDir, "packageDir");
        Objects.requireNonNull(kind, "kind");
        return new Session(HostRuntime.open(packageDir, kind, platform), kind);
    }
}
