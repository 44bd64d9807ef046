package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecomposeContribOpsTest {

    @Test
    void skipLayerNormBiasGoesToTheMatMulOperand() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 4L).input("res", DataType.FLOAT, "b", 4L);
        String mm = t.op("MatMul", List.of("x", t.weight("W", 4, 4)));
        t.opTo("SkipLayerNormalization", Op.MICROSOFT_DOMAIN, List.of(mm, "res", t.weight("g", 4), t.weight("b", 4), t.weight("bias", 4)),
                List.of("normed", "", "", "sum"), "epsilon", 1e-5f);
        Graph g = new DecomposeContribOps().apply(t.output("normed").output("sum").build());
        Node ln = ToyGraph.only(g, "LayerNorm");
        assertEquals(List.of("sum", "g", "b"), ln.inputs());
        List<Node> adds = ToyGraph.ofType(g, "Add");
        assertEquals(2, adds.size());
        assertTrue(adds.stream().anyMatch(a -> a.inputs().equals(List.of(mm, "bias"))), "bias added to the projection: " + adds);
        // and FuseLinear then absorbs it
        Graph fused = new FuseLinear().apply(g);
        assertEquals(3, ToyGraph.only(fused, "Linear").inputs().size());
    }

    @Test
    void embedLayerNormSplitsIntoEmbeddingsAddAndNorm() throws Exception {
        ToyGraph t = new ToyGraph().input("ids", DataType.INT32, "b", "s").input("pos", DataType.INT32, "b", "s");
        t.opTo("EmbedLayerNormalization", Op.MICROSOFT_DOMAIN, List.of("ids", "", t.weight("wte", 10, 4), t.weight("wpe", 6, 4), "",
                t.weight("g", 4), t.weight("b", 4), "", "pos"), List.of("out", "mask_index", "emb_sum"), "epsilon", 1e-5f);
        Graph g = new DecomposeContribOps().apply(t.output("out").output("emb_sum").build());
        assertEquals(List.of("wte", "ids"), ToyGraph.only(g, "Embedding").inputs());
        assertEquals(List.of("wpe", "pos"), ToyGraph.only(g, "PositionEmbedding").inputs());
        assertEquals("emb_sum", ToyGraph.only(g, "Add").output(0));
        assertEquals(List.of("emb_sum", "g", "b"), ToyGraph.only(g, "LayerNorm").inputs());
    }

    @Test
    void packedAttentionBecomesLinearSplitAttention() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", "s", 8L).input("past", DataType.FLOAT, 2L, "b", 2L, "p", 4L);
        t.opTo("Attention", Op.MICROSOFT_DOMAIN, List.of("x", t.weight("W", 8, 24), t.weight("bias", 24), "", "past"),
                List.of("out", "present"), "num_heads", 2L, "unidirectional", 1L);
        Graph g = new FuseLinear().apply(new DecomposeContribOps().apply(t.output("out").output("present").build()));
        assertEquals(List.of("x", "W", "bias"), ToyGraph.only(g, "Linear").inputs());
        assertEquals(3, ToyGraph.only(g, "Split").outputs().size());
        Node a = ToyGraph.only(g, "Attention");
        assertEquals(Op.TOKENFAB_DOMAIN, a.domain());
        assertEquals(1, a.intAttr("packed_past", 0));
        assertEquals(2, a.intAttr("num_heads", 0));
    }
}
