package dev.tokenfab.bench.sut;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.bench.BenchException;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.format.card.CardEstimate;
import dev.tokenfab.format.card.CardModel;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.format.quant.QuantScheme;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CardFiguresTest {

    @Test
    void figuresAreTheCardModelsAndMatchThePackagesStoredEstimate(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("llama.onnx");
        SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(5).build(), onnx);
        Path pkg = new Compiler(ModelImporter.onnx(), line -> { }).compile(onnx, dir.resolve("m.tfpkg"),
                CompileOptions.defaults().withQuant(QuantScheme.INT8).withPlatform(Platform.U280), null).output();
        CardModel model = CardFigures.modelOf(pkg);
        CardEstimate planned = model.asPlanned();
        CardFigures c = CardFigures.of(planned, "m.tfpkg");
        DataflowPlan.EstimateModeled stored = PackageJson.mapper().readValue(pkg.resolve("dataflow.json").toFile(), DataflowPlan.class)
                .estimateModeled();
        assertEquals(new CardFigures("U280", 1, stored.tokensPerSecond(), stored.boardWatts(), stored.idleWatts(), "m.tfpkg " + planned.from()), c);
        CardFigures b4 = CardFigures.of(model.estimate(4, stored.contextTokens()), "m.tfpkg");
        assertEquals(4, b4.batch());
        assertTrue(b4.decodeTokensPerSecond() > c.decodeTokensPerSecond(), "weights amortized over the batch");
    }

    @Test
    void aPackageWithoutAReadablePlanIsUnavailableByName(@TempDir Path dir) {
        BenchException e = assertThrows(BenchException.class, () -> CardFigures.modelOf(dir.resolve("none.tfpkg")));
        assertEquals(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("none.tfpkg") && e.getMessage().contains("cannot model the card"), e.getMessage());
    }
}
