package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * MLP activations to tokenfab ops:
 * <ul>
 *   <li>Sigmoid(g) and Mul(g, ·) → Silu(g); then Mul(Silu(g), u) → SwiGlu(g, u);</li>
 *   <li>GELU tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) in any association → GeluTanh(x);</li>
 *   <li>exact GELU 0.5·x·(1 + erf(x/√2)) → GeluErf(x); ONNX Gelu (opset 20) by its {@code approximate} attribute.</li>
 * </ul>
 */
public final class FuseActivations implements GraphPass {

    /** √(2/π), the GELU tanh-approximation constant (Hendrycks & Gimpel 2016). */
    static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    /** Cubic coefficient of the GELU tanh approximation. */
    static final double GELU_CUBIC = 0.044715;
    /** Tolerance for exporter-rounded constants (fp16 exports round 0.7978845608 to 0.7979). */
    static final double CONSTANT_TOLERANCE = 2e-3;

    @Override
    public Graph apply(Graph graph) throws CompileException {
        GraphEditor silu = new GraphEditor(graph);
        Graph.Index idx = graph.index();
        for (Node n : graph.nodes()) {
            if (n.is("Sigmoid") && n.domain().isEmpty()) matchSilu(idx, silu, n);
            else if (n.is("Tanh")) matchGeluTanh(idx, silu, n);
            else if (n.is("Erf")) matchGeluErf(idx, silu, n);
            else if (n.is("Gelu") && n.domain().isEmpty()) {
                silu.remove(n);
                String op = n.attr("approximate").filter(a -> a instanceof dev.tokenfab.compiler.onnx.graph.Attribute.Str(String s)
                        && s.equals("tanh")).isPresent() ? "GeluTanh" : "GeluErf";
                silu.add(GraphEditor.tf(n.name() + "/gelu", op, List.of(n.input(0)), List.of(n.output(0)), Map.of()));
            }
        }
        Graph withSilu = silu.build();
        // second step: SwiGLU over the Silu nodes just made
        GraphEditor glu = new GraphEditor(withSilu);
        Graph.Index idx2 = withSilu.index();
        for (Node n : withSilu.nodes()) {
            if (!n.is("Silu") || !n.domain().equals(dev.tokenfab.compiler.onnx.graph.Op.TOKENFAB_DOMAIN)) continue;
            Optional<Node> mul = idx2.soleConsumer(n.output(0)).filter(c -> c.is("Mul"));
            if (mul.isEmpty()) continue;
            String up = Patterns.other(mul.get(), n.output(0));
            if (idx2.constant(up).isPresent()) continue;
            glu.remove(mul.get());
            glu.add(GraphEditor.tf(n.name() + "/swiglu", "SwiGlu", List.of(n.input(0), up), List.of(mul.get().output(0)), Map.of()));
        }
        return glu.build();
    }

    private static void matchSilu(Graph.Index idx, GraphEditor edit, Node sig) {
        String g = sig.input(0);
        for (Node m : Patterns.consumersOf(idx, sig.output(0), "Mul")) {
            if (Patterns.other(m, sig.output(0)).equals(g)) {
                edit.remove(m);
                edit.add(GraphEditor.tf(sig.name() + "/silu", "Silu", List.of(g), List.of(m.output(0)), Map.of()));
                return;
            }
        }
    }

    /** Finds x and the final output around a Tanh: inner = c·(x + 0.044715·x³), out = 0.5·x·(1 + tanh). */
    private static void matchGeluTanh(Graph.Index idx, GraphEditor edit, Node tanh) {
        Optional<Node> scale = idx.producer(tanh.input(0)).filter(p -> p.is("Mul"));
        if (scale.isEmpty()) return;
        int inner = Patterns.nonConstantOperand(idx, scale.get());
        if (inner < 0 || !Patterns.isScalar(idx, scale.get().input(1 - inner), SQRT_2_OVER_PI, CONSTANT_TOLERANCE)) return;
        Optional<Node> sum = idx.producer(scale.get().input(inner)).filter(p -> p.is("Add"));
        if (sum.isEmpty()) return;
        String x = null;
        for (int i = 0; i < 2 && x == null; i++) {
            Optional<Node> cubicMul = idx.producer(sum.get().input(i)).filter(p -> p.is("Mul"));
            if (cubicMul.isEmpty()) continue;
            int powSide = Patterns.nonConstantOperand(idx, cubicMul.get());
            if (powSide < 0 || !Patterns.isScalar(idx, cubicMul.get().input(1 - powSide), GELU_CUBIC, 1e-4)) continue;
            Optional<Node> pow = idx.producer(cubicMul.get().input(powSide)).filter(p -> p.is("Pow"));
            if (pow.isPresent() && Patterns.isScalar(idx, pow.get().input(1), 3, 0)
                    && pow.get().input(0).equals(sum.get().input(1 - i))) {
                x = pow.get().input(0);
            }
        }
        if (x == null) return;
        Optional<Node> onePlus = idx.soleConsumer(tanh.output(0)).filter(c -> c.is("Add"));
        if (onePlus.isEmpty() || !Patterns.isScalar(idx, Patterns.other(onePlus.get(), tanh.output(0)), 1, 0)) return;
        String out = halfXTimes(idx, onePlus.get().output(0), x);
        if (out == null) return;
        edit.add(GraphEditor.tf(tanh.name() + "/gelu", "GeluTanh", List.of(x), List.of(out), Map.of()));
        idx.producer(out).ifPresent(edit::remove);
    }

    /** Exact GELU: x · 0.5 · (1 + erf(x / √2)) (or x · (1/√2) inside). */
    private static void matchGeluErf(Graph.Index idx, GraphEditor edit, Node erf) {
        Optional<Node> div = idx.producer(erf.input(0));
        if (div.isEmpty()) return;
        String x;
        if (div.get().is("Div") && Patterns.isScalar(idx, div.get().input(1), Math.sqrt(2), CONSTANT_TOLERANCE)) x = div.get().input(0);
        else if (div.get().is("Mul") && Patterns.nonConstantOperand(idx, div.get()) >= 0
                && Patterns.isScalar(idx, div.get().input(1 - Patterns.nonConstantOperand(idx, div.get())), Math.sqrt(0.5), CONSTANT_TOLERANCE))
            x = div.get().input(Patterns.nonConstantOperand(idx, div.get()));
        else return;
        Optional<Node> onePlus = idx.soleConsumer(erf.output(0)).filter(c -> c.is("Add"));
        if (onePlus.isEmpty() || !Patterns.isScalar(idx, Patterns.other(onePlus.get(), erf.output(0)), 1, 0)) return;
        String out = halfXTimes(idx, onePlus.get().output(0), x);
        if (out == null) return;
        edit.add(GraphEditor.tf(erf.name() + "/gelu", "GeluErf", List.of(x), List.of(out), Map.of()));
        idx.producer(out).ifPresent(edit::remove);
    }

    /** Output of 0.5 · x · t for t = {@code onePlus}, in the associations exporters emit; null if absent. */
    private static String halfXTimes(Graph.Index idx, String t, String x) {
        Optional<Node> m = idx.soleConsumer(t).filter(c -> c.is("Mul"));
        if (m.isEmpty()) return null;
        String o = Patterns.other(m.get(), t);
        // (0.5·x)·t
        Optional<Node> halfX = idx.producer(o).filter(p -> p.is("Mul"));
        if (halfX.isPresent() && (halfX.get().input(0).equals(x) || halfX.get().input(1).equals(x))
                && Patterns.isScalar(idx, Patterns.other(halfX.get(), x), 0.5, 0)) {
            return m.get().output(0);
        }
        // (x·t)·0.5 or (0.5·t)·x
        if (o.equals(x) || Patterns.isScalar(idx, o, 0.5, 0)) {
            Optional<Node> m2 = idx.soleConsumer(m.get().output(0)).filter(c -> c.is("Mul"));
            if (m2.isEmpty()) return null;
            String o2 = Patterns.other(m2.get(), m.get().output(0));
            if (o.equals(x) && Patterns.isScalar(idx, o2, 0.5, 0) || !o.equals(x) && o2.equals(x)) return m2.get().output(0);
        }
        return null;
    }
}
