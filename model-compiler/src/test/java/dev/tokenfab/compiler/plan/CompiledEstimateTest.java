package dev.tokenfab.compiler.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.TestModels;
import dev.tokenfab.format.card.CardEstimate;
import dev.tokenfab.format.card.CardModel;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.format.quant.QuantScheme;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code estimateModeled} a compiled package carries is the card model's output for its plan. */
class CompiledEstimateTest {

    @Test
    void packagesEstimateIsTheCardModelsForItsPlan(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("m.tfpkg");
        new Compiler(p -> TestModels.tinyLlama(41), line -> { }).compile(dir.resolve("m.onnx"), out,
                CompileOptions.defaults().withQuant(QuantScheme.INT8).withPlatform(Platform.U55C), CalibrationStats.none());
        try (ModelPackage pkg = PackageReader.open(out)) {
            CardModel card = CardModel.of(pkg.manifest().model(), pkg.plan());
            CardEstimate e = card.asPlanned();
            assertEquals(e.toPlanEstimate(), pkg.plan().estimateModeled(), "dataflow.json estimateModeled");
            assertEquals(e.stages(), pkg.plan().stages(), "dataflow.json stages");
            assertEquals(pkg.plan().estimateModeled().tokensPerSecond(), e.tokensPerSecond(), 0.0);
        }
    }
}
