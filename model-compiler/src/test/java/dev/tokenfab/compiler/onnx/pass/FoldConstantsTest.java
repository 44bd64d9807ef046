package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class FoldConstantsTest {

    @Test
    void foldsStaticShapeChainIntoReshapeConstant() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, 2L, 3L, 8L);
        String shape = t.op("Shape", List.of("x"));
        String last = t.op("Gather", List.of(shape, t.longs("i2", 2)), "axis", 0L);
        String heads = t.op("Div", List.of(last, t.longs("four", 4)));
        String cat = t.op("Concat", List.of(t.longs("zz", 0, 0), heads, t.longs("m1", -1)), "axis", 0L);
        String r = t.op("Reshape", List.of("x", cat));
        Graph g = new FoldConstants().apply(t.output(r).build());
        assertEquals(1, g.nodes().size(), g.nodes().toString());
        Tensor folded = g.initializers().get(g.nodes().get(0).input(1));
        assertArrayEquals(new long[] {0, 0, 2, -1}, folded.toLongArray());
    }

    @Test
    void leavesSymbolicDimsAsStructure() throws Exception {
        // two inputs whose dims share the name "unk" must not be treated as equal (llama-tiny-genai-fp16 trap)
        ToyGraph t = new ToyGraph().input("a", DataType.FLOAT, "unk", 4L).input("b", DataType.FLOAT, "unk", 4L);
        String sa = t.op("Shape", List.of("a"));
        String sb = t.op("Shape", List.of("b"));
        String eq = t.op("Equal", List.of(sa, sb));
        Graph g = new FoldConstants().apply(t.output(eq).build());
        assertEquals(3, g.nodes().size(), "nothing folded: " + g.nodes());
    }

    @Test
    void constantNodesBecomeInitializersAndMaskArithmeticFolds() throws Exception {
        ToyGraph t = new ToyGraph();
        t.opTo("Constant", "", List.of(), List.of("c"), "value", Tensor.ofLongs("v", List.of(3L), new long[] {1, 2, 3}));
        String range = t.op("Range", List.of(t.longs("s", 0), t.longs("l", 4), t.longs("d", 1)));
        String less = t.op("Less", List.of(range, t.op("Unsqueeze", List.of(t.op("Add", List.of("c", t.longs("one", 1))), t.longs("ax", 1)))));
        String where = t.op("Where", List.of(less, t.scalar("zero", 0), t.scalar("neg", -65504)));
        Graph g = new FoldConstants().apply(t.output(where).build());
        assertTrue(g.nodes().isEmpty(), g.nodes().toString());
        Tensor mask = g.initializers().get(where);
        assertEquals(List.of(3L, 4L), mask.dims());
        // row r masks columns >= r + 2
        assertEquals(0.0, mask.getDouble(0 * 4 + 1));
        assertEquals(-65504.0, mask.getDouble(0 * 4 + 2));
        assertEquals(0.0, mask.getDouble(2 * 4 + 3));
    }

    @Test
    void slicesAndSqueezesLikeOnnx() throws Exception {
        ToyGraph t = new ToyGraph();
        String v = t.longs("v", 10, 20, 30, 40);
        String s = t.op("Slice", List.of(v, t.longs("st", -1), t.longs("en", Long.MAX_VALUE), t.longs("axes", 0)));
        String q = t.op("Squeeze", List.of(s, t.longs("a0", 0)));
        Graph g = new FoldConstants().apply(t.output(q).build());
        Tensor out = g.initializers().get(q);
        assertEquals(List.of(), out.dims());
        assertEquals(40L, out.getLong(0));
    }
}
