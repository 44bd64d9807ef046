package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.build.BuildModel.OnnxGraph;
import dev.tokenfab.compiler.build.BuildModel.OnnxSource;
import dev.tokenfab.compiler.ir.ModelValidator;
import dev.tokenfab.format.model.DecoderConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtractDecoderStepTest {

    @TempDir Path dir;

    @Test
    void extractsTheSynthesizedConfigAndEveryTensor() throws Exception {
        try (BuildContext ctx = Toy.context(dir.resolve("o"))) {
            OnnxGraph g = new ReadOnnxStep().apply(new OnnxSource(Toy.onnx(dir)), ctx).model();
            g = new GraphPassesStep().apply(g, ctx).model();
            StepResult<DecoderIr> r = new ExtractDecoderStep().apply(g, ctx);
            DecoderConfig c = r.model().model().config();
            assertEquals(DecoderConfig.Family.LLAMA, c.family());
            assertEquals(2, c.numLayers());
            assertEquals(64, c.hiddenSize());
            assertEquals(256, c.vocabSize());
            assertEquals(ModelValidator.expectedShapes(c).keySet(), r.model().model().weights().keySet());
            assertEquals(c, ((ExtractDecoderStep.Report) r.report()).config());
        }
    }
}
