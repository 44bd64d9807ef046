package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseRopeTest {

    @Test
    void rotateHalfOverGatheredCaches() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 2L, "s", 8L).input("pos", DataType.INT64, "b", "s");
        String cos = t.op("Unsqueeze", List.of(t.op("Gather", List.of(t.weight("cos_cache", 16, 8), "pos")), t.longs("a1", 1)));
        String sin = t.op("Unsqueeze", List.of(t.op("Gather", List.of(t.weight("sin_cache", 16, 8), "pos")), t.longs("a1b", 1)));
        String x1 = t.op("Slice", List.of("x", t.longs("z", 0), t.longs("h", 4), t.longs("ax", -1)));
        String x2 = t.op("Slice", List.of("x", t.longs("h2", 4), t.longs("big", Long.MAX_VALUE), t.longs("ax2", -1)));
        String rot = t.op("Concat", List.of(t.op("Neg", List.of(x2)), x1), "axis", -1L);
        String y = t.op("Add", List.of(t.op("Mul", List.of("x", cos)), t.op("Mul", List.of(rot, sin))));
        Graph g = new FuseRope().apply(t.output(y).build());
        Node rope = ToyGraph.only(g, "Rope");
        assertEquals(List.of("x", "cos_cache", "sin_cache", "pos"), rope.inputs());
        assertEquals(8, rope.intAttr("rotary_dim", -1));
        assertEquals(0, rope.intAttr("interleaved", -1));
        assertEquals(1, g.nodes().size(), "rotate_half and the table lookups are gone: " + g.nodes());
    }

    @Test
    void gptjStridedRotateEveryTwoIsInterleaved() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 2L, "s", 8L).input("pos", DataType.INT64, "b", "s");
        String cos = t.op("Unsqueeze", List.of(t.op("Gather", List.of(t.weight("cos_cache", 16, 8), "pos")), t.longs("a1", 1)));
        String sin = t.op("Unsqueeze", List.of(t.op("Gather", List.of(t.weight("sin_cache", 16, 8), "pos")), t.longs("a1b", 1)));
        String even = t.op("Slice", List.of("x", t.longs("z", 0), t.longs("e", 8), t.longs("ax", 3), t.longs("st", 2)));
        String odd = t.op("Slice", List.of("x", t.longs("o", 1), t.longs("e2", 8), t.longs("ax2", 3), t.longs("st2", 2)));
        String stacked = t.op("Concat", List.of(t.op("Unsqueeze", List.of(t.op("Neg", List.of(odd)), t.longs("m1", -1))),
                t.op("Unsqueeze", List.of(even, t.longs("m1b", -1)))), "axis", -1L);
        String rot = t.op("Reshape", List.of(stacked, t.longs("flat", 0, 0, 0, 8)));
        String y = t.op("Add", List.of(t.op("Mul", List.of("x", cos)), t.op("Mul", List.of(rot, sin))));
        Graph g = new FuseRope().apply(t.output(y).build());
        Node rope = ToyGraph.only(g, "Rope");
        assertEquals(List.of("x", "cos_cache", "sin_cache", "pos"), rope.inputs());
        assertEquals(1, rope.intAttr("interleaved", 0));
        assertEquals(1, g.nodes().size(), g.nodes().toString());
    }

    @Test
    void contribRotaryKeepsInterleavedFlag() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", "s", 16L).input("pos", DataType.INT64, "b", "s");
        t.opTo("RotaryEmbedding", Op.MICROSOFT_DOMAIN, List.of("x", "pos", t.weight("c", 8, 4), t.weight("s", 8, 4)), List.of("y"),
                "interleaved", 1L);
        Graph g = new FuseRope().apply(t.output("y").build());
        Node rope = ToyGraph.only(g, "Rope");
        assertEquals(List.of("x", "c", "s", "pos"), rope.inputs());
        assertEquals(1, rope.intAttr("interleaved", 0));
        assertTrue(rope.domain().equals(Op.TOKENFAB_DOMAIN));
    }
}
