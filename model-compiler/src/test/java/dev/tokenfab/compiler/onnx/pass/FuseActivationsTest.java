package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseActivationsTest {

    @Test
    void siluTimesUpIsSwiGlu() throws Exception {
        ToyGraph t = new ToyGraph().input("g", DataType.FLOAT, "b", 8L).input("u", DataType.FLOAT, "b", 8L);
        String y = t.op("Mul", List.of(t.op("Mul", List.of("g", t.op("Sigmoid", List.of("g")))), "u"));
        Graph g = new FuseActivations().apply(t.output(y).build());
        Node glu = ToyGraph.only(g, "SwiGlu");
        assertEquals(List.of("g", "u"), glu.inputs());
        assertEquals(1, g.nodes().size());
    }

    @Test
    void gpt2TanhFormula() throws Exception {
        // torch GPT-2: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 8L);
        String half = t.op("Mul", List.of("x", t.scalar("h", 0.5)));
        String cube = t.op("Mul", List.of(t.op("Pow", List.of("x", t.scalar("three", 3))), t.scalar("c", 0.044715)));
        String inner = t.op("Mul", List.of(t.op("Add", List.of("x", cube)), t.scalar("k", 0.7978845608)));
        String y = t.op("Mul", List.of(half, t.op("Add", List.of(t.op("Tanh", List.of(inner)), t.scalar("one", 1)))));
        Graph g = new FuseActivations().apply(t.output(y).build());
        Node gelu = ToyGraph.only(g, "GeluTanh");
        assertEquals(List.of("x"), gelu.inputs());
        assertEquals(y, gelu.output(0));
        assertEquals(1, g.nodes().size(), g.nodes().toString());
    }

    @Test
    void exactErfFormula() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 8L);
        String erf = t.op("Erf", List.of(t.op("Div", List.of("x", t.scalar("r2", Math.sqrt(2))))));
        String y = t.op("Mul", List.of(t.op("Mul", List.of("x", t.op("Add", List.of(erf, t.scalar("one", 1))))), t.scalar("h", 0.5)));
        Graph g = new FuseActivations().apply(t.output(y).build());
        assertEquals(List.of("x"), ToyGraph.only(g, "GeluErf").inputs());
    }
}
