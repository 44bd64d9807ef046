package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Recognizes normalizations and rewrites each into one tokenfab RmsNorm(x, weight) or
 * LayerNorm(x, weight, bias) carrying its epsilon:
 * <ul>
 *   <li>raw RMSNorm: Pow(x,2)|Mul(x,x) → ReduceMean(-1) → Add(eps) → Sqrt → Div(x, ·) | Reciprocal → Mul(x, ·),
 *       then Mul by a 1-D weight;</li>
 *   <li>raw LayerNorm: ReduceMean(x) → Sub(x, ·) = d → Pow(d,2) → ReduceMean → Add(eps) → Sqrt → Div(d, ·)
 *       → Mul(weight) → Add(bias);</li>
 *   <li>LayerNormalization (opset 17), RMSNormalization (opset 23), SimplifiedLayerNormalization (ORT).</li>
 * </ul>
 */
public final class FuseNorms implements GraphPass {

    /** ONNX LayerNormalization / RMSNormalization default epsilon (onnx/docs/Operators.md). */
    static final float ONNX_DEFAULT_EPSILON = 1e-5f;

    @Override
    public Graph apply(Graph graph) throws CompileException {
        GraphEditor edit = new GraphEditor(graph);
        Graph.Index idx = graph.index();
        for (Node n : graph.nodes()) {
            if (edit.isRemoved(n)) continue;
            if (n.is("LayerNormalization") && !n.domain().equals(Op.TOKENFAB_DOMAIN)) {
                replace(edit, n, "LayerNorm", n.inputs().subList(0, Math.min(3, n.inputs().size())), n.output(0),
                        n.floatAttr("epsilon", ONNX_DEFAULT_EPSILON));
            } else if ((n.is("RMSNormalization") || n.opType().equals("SimplifiedLayerNormalization"))
                    && !n.domain().equals(Op.TOKENFAB_DOMAIN)) {
                replace(edit, n, "RmsNorm", List.of(n.input(0), n.input(1)), n.output(0), n.floatAttr("epsilon", ONNX_DEFAULT_EPSILON));
            } else if (n.is("ReduceMean") && !n.domain().equals(Op.TOKENFAB_DOMAIN)) {
                matchRaw(idx, edit, n);
            }
        }
        return edit.build();
    }

    private static void replace(GraphEditor edit, Node old, String op, List<String> inputs, String output, float eps) {
        edit.remove(old);
        edit.add(GraphEditor.tf(old.name() + "/fused", op, inputs, List.of(output),
                Map.of("epsilon", new Attribute.Float(eps))));
    }

    /** {@code meanSq} is the ReduceMean of the squared input. */
    private static void matchRaw(Graph.Index idx, GraphEditor edit, Node meanSq) {
        if (!Patterns.reducesLastAxis(idx, meanSq)) return;
        Optional<Node> sq = idx.producer(Patterns.skipCasts(idx, meanSq.input(0)));
        if (sq.isEmpty()) return;
        String x;
        if (sq.get().is("Pow") && Patterns.isScalar(idx, sq.get().input(1), 2.0, 0)) x = Patterns.skipCasts(idx, sq.get().input(0));
        else if (sq.get().is("Mul") && sq.get().input(0).equals(sq.get().input(1))) x = Patterns.skipCasts(idx, sq.get().input(0));
        else return;

        Optional<Node> add = idx.soleConsumer(meanSq.output(0)).filter(c -> c.is("Add"));
        if (add.isEmpty()) return;
        OptionalDouble eps = Patterns.scalar(idx, Patterns.other(add.get(), meanSq.output(0)));
        if (eps.isEmpty()) return;
        Optional<Node> sqrt = idx.soleConsumer(add.get().output(0)).filter(c -> c.is("Sqrt"));
        if (sqrt.isEmpty()) return;
        // normalized = x / sqrt(...) or x * (1 / sqrt(...))
        Optional<Node> scaled = idx.soleConsumer(sqrt.get().output(0));
        String normalized;
        if (scaled.isPresent() && scaled.get().is("Div") && scaled.get().input(1).equals(sqrt.get().output(0))
                && Patterns.skipCasts(idx, scaled.get().input(0)).equals(x)) {
            normalized = scaled.get().output(0);
        } else if (scaled.isPresent() && scaled.get().is("Reciprocal")) {
            Optional<Node> mul = idx.soleConsumer(scaled.get().output(0)).filter(c -> c.is("Mul"));
            if (mul.isEmpty() || !Patterns.skipCasts(idx, Patterns.other(mul.get(), scaled.get().output(0))).equals(x)) return;
            normalized = mul.get().output(0);
        } else {
            return;
        }
        normalized = skipForwardCasts(idx, normalized);
        Optional<Node> weightMul = idx.soleConsumer(normalized).filter(c -> c.is("Mul"));
        if (weightMul.isEmpty() || Patterns.vector(idx, Patterns.other(weightMul.get(), normalized)).isEmpty()) return;
        String weight = Patterns.skipCasts(idx, Patterns.other(weightMul.get(), normalized));

        // LayerNorm when x is itself x0 - mean(x0)
        Optional<Node> sub = idx.producer(x).filter(p -> p.is("Sub"));
        if (sub.isPresent()) {
            Optional<Node> mean = idx.producer(sub.get().input(1)).filter(p -> p.is("ReduceMean"));
            if (mean.isPresent() && mean.get().input(0).equals(sub.get().input(0)) && Patterns.reducesLastAxis(idx, mean.get())) {
                Optional<Node> biasAdd = idx.soleConsumer(weightMul.get().output(0)).filter(c -> c.is("Add"));
                String out = weightMul.get().output(0);
                List<String> inputs;
                if (biasAdd.isPresent() && Patterns.vector(idx, Patterns.other(biasAdd.get(), out)).isPresent()) {
                    inputs = List.of(sub.get().input(0), weight, Patterns.skipCasts(idx, Patterns.other(biasAdd.get(), out)));
                    out = biasAdd.get().output(0);
                    edit.remove(biasAdd.get());
                } else {
                    inputs = List.of(sub.get().input(0), weight);
                }
                edit.remove(weightMul.get());
                edit.add(GraphEditor.tf(meanSq.name() + "/layer_norm", "LayerNorm", inputs, List.of(out),
                        Map.of("epsilon", new Attribute.Float((float) eps.getAsDouble()))));
                return;
            }
        }
        edit.remove(weightMul.get());
        // the norm reads the value as the graph had it (e.g. after an fp16 -> fp32 Cast), not the Cast's input
        String xIn = sq.get().input(0);
        edit.add(GraphEditor.tf(meanSq.name() + "/rms_norm", "RmsNorm", List.of(xIn, weight), List.of(weightMul.get().output(0)),
                Map.of("epsilon", new Attribute.Float((float) eps.getAsDouble()))));
    }

    private static String skipForwardCasts(Graph.Index idx, String v) {
        for (int i = 0; i < 4; i++) {
            Optional<Node> c = idx.soleConsumer(v).filter(n -> n.is("Cast"));
            if (c.isEmpty()) return v;
            v = c.get().output(0);
        }
        return v;
    }
}
