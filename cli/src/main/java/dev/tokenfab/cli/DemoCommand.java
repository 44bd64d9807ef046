package dev.tokenfab.cli;

import dev.tokenfab.host.cli.RunCommand;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.format.FormatException;
import dev.tokenfab.CompileSettings;
import dev.tokenfab.Tokenfab;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.DeviceInfo;
import dev.tokenfab.host.runtime.Sampler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: the whole path on a fresh machine, no downloads. Synthesizes the default small
 * Llama (SynthSpec defaults), compiles it int8 for the U55C, runs 16 greedy tokens from 1,2,3,4 on
 * the emulated U55C and prints the ids and a table of measured host and modeled card figures.
 * The ONNX file and the package are cached in the work directory and reused when their spec matches.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Synthesize a small Llama, compile it int8 for the U55C, run it on the emulated card.")
public final class DemoCommand implements Callable<Integer> {

    /** Prompt of the demo (the shared fixtures' reference runs use the same ids). */
    static final int[] PROMPT_IDS = {1, 2, 3, 4};

    @Option(names = "--work-dir", description = "where the model and package are kept (default: ~/.cache/tokenfab/demo)")
    Path workDir;

    @Option(names = "--max-new-tokens", defaultValue = "16", description = "tokens to generate (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws FormatException, DeviceException, IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = workDir != null ? workDir : Path.of(System.getProperty("user.home"), ".cache", "tokenfab", "demo");
        Path pkg = prepare(dir, out);
        RunCommand.RunOutcome r = RunCommand.execute(pkg, DeviceInfo.Kind.EMU, PROMPT_IDS, maxNewTokens, Sampler.Settings.greedy());
        out.println("prompt ids:    " + Arrays.toString(PROMPT_IDS));
        out.println("generated ids: " + Arrays.toString(r.result().generatedIds()));
        out.println("device:        " + r.device().name());
        out.print(r.table());
        out.flush();
        return 0;
    }

    /** The cached package for the demo spec, synthesized and compiled when absent or stale. */
    static Path prepare(Path dir, PrintWriter out) throws FormatException, IOException {
        SynthSpec synth = SynthSpec.llamaDemo().build();
        String key = synth + " INT8 " + Platform.U55C;
        Path onnx = dir.resolve("llama-demo.onnx");
        Path pkg = dir.resolve("llama-demo-int8-u55c.tfpkg");
        Path stamp = dir.resolve("demo-spec.txt");
        if (Files.isDirectory(pkg) && Files.isRegularFile(stamp) && Files.readString(stamp, StandardCharsets.UTF_8).equals(key)) {
            try (ModelPackage p = PackageReader.open(pkg)) {
                out.println("reusing " + pkg);
                return pkg;
            } catch (FormatException e) {
                out.println("cached package unusable (" + e.getMessage() + "); rebuilding");
            }
        }
        Files.createDirectories(dir);
        out.println("synthesizing " + onnx);
        SyntheticDecoderWriter.write(synth, onnx);
        out.println("compiling int8 for " + Platform.U55C + " into " + pkg);
        deleteRecursively(pkg);
        Tokenfab.compile(onnx, pkg, CompileSettings.defaults().withQuant(QuantScheme.INT8).withPlatform(Platform.U55C));
        Path tmp = Files.createTempFile(dir, "demo-spec", ".tmp");
        Files.writeString(tmp, key, StandardCharsets.UTF_8);
        Files.move(tmp, stamp, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return pkg;
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
