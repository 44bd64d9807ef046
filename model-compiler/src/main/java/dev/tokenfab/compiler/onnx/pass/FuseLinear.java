package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rewrites projections by constant weights into tokenfab {@code Linear(x, W, bias?)} with a
 * {@code layout} attribute saying how W's bytes are ordered ("IN_OUT" = stored [in][out] as MatMul's B,
 * "OUT_IN" = stored [out][in]); nothing is transposed or copied. Recognized:
 * <ul>
 *   <li>MatMul(x, W) and MatMul(x, Transpose(W)) (tied LM heads), followed by Add(·, bias 1-D) when present;</li>
 *   <li>Gemm(x, W, C) with alpha = beta = 1, transA = 0, either transB;</li>
 *   <li>com.microsoft MatMulNBits(x, B, scales, zero_points?, g_idx?, bias?) → Linear with
 *       {@code format = "MatMulNBits"} and inputs [x, B, bias, scales, zero_points].</li>
 * </ul>
 */
public final class FuseLinear implements GraphPass {

    @Override
    public Graph apply(Graph graph) throws CompileException {
        GraphEditor edit = new GraphEditor(graph);
        Graph.Index idx = graph.index();
        for (Node n : graph.nodes()) {
            if (n.is("MatMul") && !n.domain().equals(dev.tokenfab.compiler.onnx.graph.Op.TOKENFAB_DOMAIN)) matmul(idx, edit, n);
            else if (n.is("Gemm")) gemm(idx, edit, n);
            else if (n.isContrib("MatMulNBits")) nbits(idx, edit, n);
        }
        return edit.build();
    }

    private static boolean isWeight(Optional<Tensor> t) {
        return t.isPresent() && t.get().rank() == 2 && t.get().dtype().isFloat();
    }

    private static void matmul(Graph.Index idx, GraphEditor edit, Node n) {
        String w = Patterns.skipCasts(idx, n.input(1));
        String layout = "IN_OUT";
        if (dequantized(idx, edit, n, w)) return;
        if (!isWeight(idx.constant(w))) {
            Optional<Node> tr = idx.producer(w).filter(p -> p.is("Transpose"));
            if (tr.isEmpty() || !isWeight(idx.constant(Patterns.skipCasts(idx, tr.get().input(0))))) return;
            List<Long> perm = tr.get().intsAttr("perm");
            if (!perm.isEmpty() && !perm.equals(List.of(1L, 0L))) return;
            w = Patterns.skipCasts(idx, tr.get().input(0));
            layout = "OUT_IN";
        }
        long outFeatures = layout.equals("IN_OUT") ? idx.constant(w).get().dim(1) : idx.constant(w).get().dim(0);
        emit(idx, edit, n, n.input(0), w, layout, outFeatures, null);
    }

    private static void gemm(Graph.Index idx, GraphEditor edit, Node n) {
        String w = Patterns.skipCasts(idx, n.input(1));
        if (!isWeight(idx.constant(w))) return;
        if (n.floatAttr("alpha", 1f) != 1f || n.floatAttr("beta", 1f) != 1f || n.intAttr("transA", 0) != 0) return;
        String layout = n.intAttr("transB", 0) == 1 ? "OUT_IN" : "IN_OUT";
        Tensor wt = idx.constant(w).get();
        long outFeatures = layout.equals("IN_OUT") ? wt.dim(1) : wt.dim(0);
        String bias = null;
        if (n.hasInput(2)) {
            Optional<Tensor> c = idx.constant(Patterns.skipCasts(idx, n.input(2)));
            if (c.isEmpty() || c.get().elementCount() != outFeatures) return;
            bias = Patterns.skipCasts(idx, n.input(2));
        }
        emit(idx, edit, n, n.input(0), w, layout, outFeatures, bias);
    }

    private static void emit(Graph.Index idx, GraphEditor edit, Node n, String x, String w, String layout,
                             long outFeatures, String bias) {
        String out = n.output(0);
        edit.remove(n);
        if (bias == null) {
            Optional<Node> add = idx.soleConsumer(out).filter(c -> c.is("Add"));
            if (add.isPresent()) {
                Optional<Tensor> b = Patterns.vector(idx, Patterns.other(add.get(), out));
                if (b.isPresent() && b.get().elementCount() == outFeatures) {
                    bias = Patterns.skipCasts(idx, Patterns.other(add.get(), out));
                    out = add.get().output(0);
                    edit.remove(add.get());
                }
            }
        }
        List<String> inputs = new ArrayList<>(List.of(x, w));
        if (bias != null) inputs.add(bias);
        edit.add(GraphEditor.tf(n.name() + "/linear", "Linear", inputs, List.of(out),
                Map.of("layout", new Attribute.Str(layout))));
    }

    /**
     * MatMul(x, DequantizeLinear(q, scale, zero_point)) or MatMul(x, Transpose(DequantizeLinear(...))) with
     * constant q/scale/zero_point: a Linear with {@code format = "DequantizeLinear"} and inputs
     * [x, q, "", scale, zero_point]; the codes are imported as they are (no re-quantization).
     */
    private static boolean dequantized(Graph.Index idx, GraphEditor edit, Node n, String w) {
        String layout = "IN_OUT";
        Optional<Node> dq = idx.producer(w).filter(p -> p.is("DequantizeLinear"));
        if (dq.isEmpty()) {
            Optional<Node> tr = idx.producer(w).filter(p -> p.is("Transpose") && (p.intsAttr("perm").isEmpty() || p.intsAttr("perm").equals(List.of(1L, 0L))));
            if (tr.isEmpty()) return false;
            dq = idx.producer(tr.get().input(0)).filter(p -> p.is("DequantizeLinear"));
            layout = "OUT_IN";
        }
        if (dq.isEmpty()) return false;
        Node d = dq.get();
        Optional<Tensor> q = idx.constant(d.input(0));
        if (q.isEmpty() || q.get().rank() != 2 || idx.constant(d.input(1)).isEmpty()
                || d.hasInput(2) && idx.constant(d.input(2)).isEmpty()) return false;
        edit.remove(n);
        edit.add(GraphEditor.tf(n.name() + "/linear", "Linear", List.of(n.input(0), d.input(0), "", d.input(1), d.input(2)),
                List.of(n.output(0)), Map.of("layout", new Attribute.Str(layout), "format", new Attribute.Str("DequantizeLinear"),
                        "axis", new Attribute.Int(d.intAttr("axis", 1)), "block_size", new Attribute.Int(d.intAttr("block_size", 0)))));
        return true;
    }

    private static void nbits(Graph.Index idx, GraphEditor edit, Node n) {
        edit.remove(n);
        String out = n.output(0), bias = n.input(5);
        if (bias.isEmpty()) {
            // quantizers (matmul_4bits_quantizer) replace the MatMul and leave the model's bias Add after it: absorb it as MatMul's
            Optional<Node> add = idx.soleConsumer(out).filter(c -> c.is("Add"));
            if (add.isPresent()) {
                Optional<Tensor> b = Patterns.vector(idx, Patterns.other(add.get(), out));
                if (b.isPresent() && b.get().elementCount() == n.intAttr("N", 0)) {
                    bias = Patterns.skipCasts(idx, Patterns.other(add.get(), out));
                    out = add.get().output(0);
                    edit.remove(add.get());
                }
            }
        }
        List<String> inputs = List.of(n.input(0), n.input(1), bias, n.input(2), n.input(3));
        edit.add(GraphEditor.tf(n.name() + "/linear", "Linear", inputs, List.of(out), Map.of(
                "layout", new Attribute.Str("OUT_IN"), "format", new Attribute.Str("MatMulNBits"),
                "K", new Attribute.Int(n.intAttr("K", 0)), "N", new Attribute.Int(n.intAttr("N", 0)),
                "bits", new Attribute.Int(n.intAttr("bits", 4)), "block_size", new Attribute.Int(n.intAttr("block_size", 0)))));
    }
}
