package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.build.BuildModel.PlannedModel;
import dev.tokenfab.compiler.build.BuildModel.QuantizedIr;
import dev.tokenfab.compiler.build.BuildModel.WrittenPackage;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.TestModels;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.nio.file.Path;

/** Toy models at each stage, made by running the real steps on {@link TestModels#tinyLlama}. */
final class Toy {
    private Toy() {}

    static BuildContext context(Path out) {
        return BuildContext.standalone(BuildConfig.of(CompileOptions.defaults(), out), null);
    }

    static BuildContext context(BuildConfig config) {
        return BuildContext.standalone(config, null);
    }

    static DecoderIr ir(long seed) {
        return new DecoderIr(TestModels.tinyLlama(seed), CalibrationStats.none());
    }

    static QuantizedIr quantized(BuildContext ctx, long seed) throws CompileException {
        return new QuantizeStep().apply(ir(seed), ctx).model();
    }

    static PlannedModel planned(BuildContext ctx, long seed) throws CompileException {
        return new PlanStep().apply(quantized(ctx, seed), ctx).model();
    }

    static WrittenPackage written(BuildContext ctx, long seed) throws CompileException {
        return new WritePackageStep().apply(planned(ctx, seed), ctx).model();
    }

    /** The synthetic demo Llama as an ONNX file (2 layers, hidden 64, vocab 256). */
    static Path onnx(Path dir) throws Exception {
        return SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(3).build(),
                dir.resolve("toy.onnx")).model();
    }
}
