package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseAttentionTest {

    @Test
    void rawSoftmaxAttentionWithPastAndGqa() throws Exception {
        // q [B,S,4*2] and k/v [B,S,2*2] as Linear outputs; heads from the reshape, kv heads and head dim from past
        ToyGraph t = new ToyGraph().input("h", DataType.FLOAT, "b", "s", 8L)
                .input("past_k", DataType.FLOAT, "b", 2L, "p", 2L).input("past_v", DataType.FLOAT, "b", 2L, "p", 2L)
                .input("mask", DataType.FLOAT, "b", 1L, "s", "t");
        t.opTo("Linear", Op.TOKENFAB_DOMAIN, List.of("h", t.weight("Wq", 8, 8)), List.of("q"));
        t.opTo("Linear", Op.TOKENFAB_DOMAIN, List.of("h", t.weight("Wk", 8, 4)), List.of("k"));
        t.opTo("Linear", Op.TOKENFAB_DOMAIN, List.of("h", t.weight("Wv", 8, 4)), List.of("v"));
        String q4 = t.op("Transpose", List.of(t.op("Reshape", List.of("q", t.longs("qs", 0, 0, 4, 2)))), "perm", new long[] {0, 2, 1, 3});
        String k4 = t.op("Transpose", List.of(t.op("Reshape", List.of("k", t.longs("ks", 0, 0, 2, 2)))), "perm", new long[] {0, 2, 1, 3});
        String v4 = t.op("Transpose", List.of(t.op("Reshape", List.of("v", t.longs("vs", 0, 0, 2, 2)))), "perm", new long[] {0, 2, 1, 3});
        t.opTo("Concat", "", List.of("past_k", k4), List.of("present_k"), "axis", 2L);
        t.opTo("Concat", "", List.of("past_v", v4), List.of("present_v"), "axis", 2L);
        String kE = t.op("Reshape", List.of(t.op("Expand", List.of(t.op("Unsqueeze", List.of("present_k", t.longs("a2", 2))), t.longs("e", 1, 1, 2, 1, 1))), t.longs("g", 0, 4, -1, 2)));
        String vE = t.op("Reshape", List.of(t.op("Expand", List.of(t.op("Unsqueeze", List.of("present_v", t.longs("a2b", 2))), t.longs("e2", 1, 1, 2, 1, 1))), t.longs("g2", 0, 4, -1, 2)));
        String s = t.op("MatMul", List.of(q4, t.op("Transpose", List.of(kE), "perm", new long[] {0, 1, 3, 2})));
        s = t.op("Softmax", List.of(t.op("Add", List.of(t.op("Div", List.of(s, t.scalar("r", 1.41))), "mask"))), "axis", -1L);
        String merged = t.op("Transpose", List.of(t.op("MatMul", List.of(s, vE))), "perm", new long[] {0, 2, 1, 3});
        String ctx = t.op("Reshape", List.of(merged, t.longs("m", 0, 0, 8)));
        t.opTo("Linear", Op.TOKENFAB_DOMAIN, List.of(ctx, t.weight("Wo", 8, 8)), List.of("o"));
        Graph g = new FuseAttention().apply(t.output("o").output("present_k").output("present_v").build());
        Node a = ToyGraph.only(g, "Attention");
        assertEquals(List.of("q", "k", "v", "past_k", "past_v"), a.inputs());
        assertEquals(ctx, a.output(0));
        assertEquals(4, a.intAttr("num_heads", -1));
        assertEquals(2, a.intAttr("kv_num_heads", -1));
        assertEquals(2, a.intAttr("head_dim", -1));
        assertEquals(0, ToyGraph.ofType(g, "Softmax").size(), "scores/softmax/context are gone");
    }

    @Test
    void contribMultiHeadAttention() throws Exception {
        ToyGraph t = new ToyGraph().input("q", DataType.FLOAT, "b", "s", 16L).input("k", DataType.FLOAT, "b", "s", 16L)
                .input("v", DataType.FLOAT, "b", "s", 16L).input("pk", DataType.FLOAT, "b", 1L, "p", 16L).input("pv", DataType.FLOAT, "b", 1L, "p", 16L);
        t.opTo("MultiHeadAttention", Op.MICROSOFT_DOMAIN, List.of("q", "k", "v", "", "", "", "pk", "pv"), List.of("o", "prk", "prv"),
                "num_heads", 1L, "scale", 0.25f);
        Graph g = new FuseAttention().apply(t.output("o").output("prk").output("prv").build());
        Node a = ToyGraph.only(g, "Attention");
        assertEquals(List.of("q", "k", "v", "pk", "pv"), a.inputs());
        assertEquals(1, a.intAttr("num_heads", -1));
        assertEquals(1, a.intAttr("kv_num_heads", -1));
        assertEquals(16, a.intAttr("head_dim", -1));
    }
}
