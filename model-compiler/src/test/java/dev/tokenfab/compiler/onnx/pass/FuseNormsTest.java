package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class FuseNormsTest {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void rawRmsNormDivOrReciprocal(boolean useDiv) throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 8L);
        String ms = t.op("ReduceMean", List.of(t.op("Pow", List.of("x", t.scalar("two", 2)))), "axes", new long[] {-1});
        String rt = t.op("Sqrt", List.of(t.op("Add", List.of(ms, t.scalar("eps", 1e-6)))));
        String n = useDiv ? t.op("Div", List.of("x", rt)) : t.op("Mul", List.of("x", t.op("Reciprocal", List.of(rt))));
        String out = t.op("Mul", List.of(n, t.weight("w", 8)));
        Graph g = new FuseNorms().apply(t.output(out).build());
        Node rms = ToyGraph.only(g, "RmsNorm");
        assertEquals(List.of("x", "w"), rms.inputs());
        assertEquals(out, rms.output(0));
        assertEquals(1e-6f, rms.floatAttr("epsilon", 0));
        assertEquals(1, g.nodes().size(), "interior nodes removed: " + g.nodes());
    }

    @Test
    void rawLayerNormWithCast() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 4L);
        String mean = t.op("ReduceMean", List.of("x"), "axes", new long[] {-1});
        String d = t.op("Sub", List.of("x", mean));
        String var = t.op("ReduceMean", List.of(t.op("Pow", List.of(t.op("Cast", List.of(d), "to", 1L), t.scalar("two", 2)))), "axes", new long[] {-1});
        String n = t.op("Div", List.of(d, t.op("Sqrt", List.of(t.op("Add", List.of(var, t.scalar("eps", 1e-5)))))));
        String out = t.op("Add", List.of(t.op("Mul", List.of(n, t.weight("g", 4))), t.weight("b", 4)));
        Graph g = new FuseNorms().apply(t.output(out).build());
        Node ln = ToyGraph.only(g, "LayerNorm");
        assertEquals(List.of("x", "g", "b"), ln.inputs());
        assertEquals(1e-5f, ln.floatAttr("epsilon", 0));
        assertEquals(1, g.nodes().size(), g.nodes().toString());
    }

    @Test
    void standardOps() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", 4L);
        String a = t.op("RMSNormalization", List.of("x", t.weight("w", 4)), "epsilon", 1e-6f);
        String b = t.op("LayerNormalization", List.of(a, t.weight("g", 4), t.weight("bb", 4)));
        Graph g = new FuseNorms().apply(t.output(b).build());
        assertEquals(1e-6f, ToyGraph.only(g, "RmsNorm").floatAttr("epsilon", 0));
        assertEquals(FuseNorms.ONNX_DEFAULT_EPSILON, ToyGraph.only(g, "LayerNorm").floatAttr("epsilon", 0));
    }
}
