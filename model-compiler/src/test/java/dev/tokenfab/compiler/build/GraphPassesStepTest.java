package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.build.BuildModel.OnnxGraph;
import dev.tokenfab.compiler.build.BuildModel.OnnxSource;
import dev.tokenfab.compiler.onnx.pass.GraphPass;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraphPassesStepTest {

    @TempDir Path dir;

    @Test
    void runsEveryPassInOrderAndReportsEach() throws Exception {
        try (BuildContext ctx = Toy.context(dir.resolve("o"))) {
            OnnxGraph raw = new ReadOnnxStep().apply(new OnnxSource(Toy.onnx(dir)), ctx).model();
            StepResult<OnnxGraph> r = new GraphPassesStep().apply(raw, ctx);
            @SuppressWarnings("unchecked")
            List<GraphPassesStep.PassReport> passes = (List<GraphPassesStep.PassReport>) r.report();
            assertEquals(GraphPassesStep.PASSES.stream().map(GraphPass::name).toList(),
                    passes.stream().map(GraphPassesStep.PassReport::pass).toList());
            assertEquals(raw.graph().nodes().size(), passes.getFirst().nodesBefore());
            assertEquals(r.model().graph().nodes().size(), passes.getLast().nodesAfter());
            assertTrue(r.model().graph().nodes().size() < raw.graph().nodes().size() / 2, "fusion shrinks the raw graph");
            for (int i = 1; i < passes.size(); i++) assertEquals(passes.get(i - 1).nodesAfter(), passes.get(i).nodesBefore());
            assertEquals(passes.stream().map(GraphPassesStep.PassReport::pass).toList(), List.copyOf(r.millisByPart().keySet()));
        }
    }
}
