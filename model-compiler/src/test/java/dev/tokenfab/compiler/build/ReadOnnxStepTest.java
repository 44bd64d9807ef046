package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.OnnxGraph;
import dev.tokenfab.compiler.build.BuildModel.OnnxSource;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadOnnxStepTest {

    @TempDir Path dir;

    @Test
    void readsTheGraphAndReportsItsSize() throws Exception {
        Path onnx = Toy.onnx(dir);
        try (BuildContext ctx = Toy.context(dir.resolve("o"))) {
            StepResult<OnnxGraph> r = new ReadOnnxStep().apply(new OnnxSource(onnx), ctx);
            ReadOnnxStep.Report rep = (ReadOnnxStep.Report) r.report();
            assertTrue(r.model().graph().nodes().size() > 10, "a raw decoder has many nodes");
            assertEquals(r.model().graph().nodes().size(), rep.nodes());
            assertEquals(onnx.toString(), rep.file());
            assertTrue(rep.opsets().containsKey(""), rep.opsets().toString());
        }
    }

    @Test
    void missingFileIsFileNotFoundNamingIt() {
        Path missing = dir.resolve("none.onnx");
        CompileException e = assertThrows(CompileException.class,
                () -> new ReadOnnxStep().apply(new OnnxSource(missing), Toy.context(dir.resolve("o"))));
        assertEquals(CompileException.ErrorCode.FILE_NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains("none.onnx"), e.getMessage());
    }
}
