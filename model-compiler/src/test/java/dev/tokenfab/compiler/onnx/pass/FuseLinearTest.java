package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseLinearTest {

    @Test
    void matMulWithBiasAdd() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 4L);
        String y = t.op("Add", List.of(t.op("MatMul", List.of("x", t.weight("W", 4, 6))), t.weight("bias", 6)));
        Graph g = new FuseLinear().apply(t.output(y).build());
        Node lin = ToyGraph.only(g, "Linear");
        assertEquals(List.of("x", "W", "bias"), lin.inputs());
        assertEquals(y, lin.output(0));
        assertEquals(new Attribute.Str("IN_OUT"), lin.attributes().get("layout"));
    }

    @Test
    void gemmTransBIsOutIn() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 4L);
        String y = t.op("Gemm", List.of("x", t.weight("W", 6, 4), t.weight("c", 6)), "transB", 1L);
        Graph g = new FuseLinear().apply(t.output(y).build());
        Node lin = ToyGraph.only(g, "Linear");
        assertEquals(new Attribute.Str("OUT_IN"), lin.attributes().get("layout"));
        assertEquals("c", lin.input(2));
    }

    @Test
    void activationTimesActivationIsNotALinear() throws Exception {
        ToyGraph t = new ToyGraph().input("a", DataType.FLOAT, "b", 4L).input("c", DataType.FLOAT, 4L, 4L);
        String y = t.op("MatMul", List.of("a", "c"));
        Graph g = new FuseLinear().apply(t.output(y).build());
        assertTrue(ToyGraph.ofType(g, "Linear").isEmpty());
    }

    @Test
    void matMulNBitsKeepsItsPackedInputs() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 32L);
        t.opTo("MatMulNBits", Op.MICROSOFT_DOMAIN, List.of("x", t.weight("B", 8, 1, 16), t.weight("s", 8), t.weight("zp", 4)),
                List.of("y"), "K", 32L, "N", 8L, "bits", 4L, "block_size", 32L);
        Graph g = new FuseLinear().apply(t.output("y").build());
        Node lin = ToyGraph.only(g, "Linear");
        assertEquals(List.of("x", "B", "", "s", "zp"), lin.inputs());
        assertEquals(new Attribute.Str("MatMulNBits"), lin.attributes().get("format"));
    }
}
