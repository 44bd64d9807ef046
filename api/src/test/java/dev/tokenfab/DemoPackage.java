package dev.tokenfab;

import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceInfo;
import dev.tokenfab.host.device.Devices;
import dev.tokenfab.host.runtime.Decoder;
import dev.tokenfab.host.runtime.Generator;
import dev.tokenfab.host.runtime.Sampler;
import java.nio.file.Path;

/**
 * The reference the API tests compare with: the demo model compiled and run without the API, straight
 * through the compiler and the host runtime's {@link Generator}.
 */
final class DemoPackage {
    private DemoPackage() {}

    /** Prompt of {@code tokenfab demo} and of the README example. */
    static final int[] PROMPT_IDS = {1, 2, 3, 4};
    /** Tokens the demo and the README example generate. */
    static final int NEW_TOKENS = 16;

    /** The demo Llama synthesized and compiled INT8 for the U55C into {@code dir}, as {@code tokenfab demo} does. */
    static Path compile(Path dir) throws Exception {
        Path onnx = dir.resolve("direct.onnx");
        SyntheticDecoderWriter.write(SynthSpec.llamaDemo().build(), onnx);
        CompileOptions options = CompileOptions.defaults().withQuant(QuantScheme.INT8).withPlatform(Platform.U55C);
        return new Compiler(ModelImporter.onnx(), line -> { }).compile(onnx, dir.resolve("direct.tfpkg"), options, null).output();
    }

    /** Greedy ids of a direct {@link Generator} run on the emulated card. */
    static int[] directGreedyIds(Path pkgDir, int[] promptIds, int newTokens) throws Exception {
        try (ModelPackage pkg = PackageReader.open(pkgDir);
             Device dev = Devices.open(DeviceInfo.Kind.EMU, Platform.U55C);
             Decoder decoder = Decoder.load(dev, pkg, 1)) {
            return new Generator(decoder).generate(promptIds, newTokens, new Sampler(Sampler.Settings.greedy()), false).generatedIds();
        }
    }

    /** The package's plan estimate. */
    static DataflowPlan.EstimateModeled estimate(Path pkgDir) throws Exception {
        try (ModelPackage pkg = PackageReader.open(pkgDir)) {
            return pkg.plan().estimateModeled();
        }
    }
}
