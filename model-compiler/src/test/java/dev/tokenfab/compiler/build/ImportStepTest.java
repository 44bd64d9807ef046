package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.build.BuildModel.OnnxSource;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.quant.TestModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportStepTest {

    @TempDir Path dir;

    @Test
    void callsTheImporterWithTheSourcePath() throws Exception {
        DecoderModel m = TestModels.tinyLlama(6);
        Path src = dir.resolve("anything.bin");
        StepResult<DecoderIr> r = new ImportStep(p -> {
            assertEquals(src, p);
            return m;
        }).apply(new OnnxSource(src), Toy.context(dir.resolve("o")));
        assertSame(m, r.model().model());
        assertEquals(m.weights().size(), ((ImportStep.Report) r.report()).tensors());
    }
}
