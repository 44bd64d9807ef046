package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseEmbeddingTest {
    @Test
    void gatherOfATableByRuntimeIndicesOnly() throws Exception {
        ToyGraph t = new ToyGraph().input("ids", DataType.INT64, "b", "s");
        String emb = t.op("Gather", List.of(t.weight("table", 10, 4), "ids"));
        String shapeRow = t.op("Gather", List.of(t.longs("dims", 3, 4, 5), "ids"), "axis", 0L); // 1-D: shape plumbing
        String constRow = t.op("Gather", List.of(t.weight("t2", 3, 4), t.longs("one", 1)));   // constant index: a constant
        Graph g = new FuseEmbedding().apply(t.output(emb).output(shapeRow).output(constRow).build());
        assertEquals(List.of("table", "ids"), ToyGraph.only(g, "Embedding").inputs());
        assertEquals(2, ToyGraph.ofType(g, "Gather").size());
    }
}
