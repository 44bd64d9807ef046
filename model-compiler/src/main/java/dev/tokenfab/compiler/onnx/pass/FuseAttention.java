package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import dev.tokenfab.compiler.onnx.graph.ValueInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Attention to one tokenfab {@code Attention(q, k, v, pastKey, pastValue[, cos, sin])} whose q/k/v are the
 * semantic sources (a Linear, Rope or Split output), with attributes {@code num_heads}, {@code kv_num_heads},
 * {@code head_dim} (0 when unknown here; the extraction derives them from weight shapes) and
 * {@code packed_past} (1 when past is GPT-2's [2, B, heads, S, headDim]).
 * <ul>
 *   <li>raw: MatMul(q, kᵀ) → scale/mask (Div, Mul, Add, Where) → Softmax → MatMul(·, v), with heads split by
 *       Reshape/Transpose, past concatenated, GQA repeated by Unsqueeze/Expand/Reshape; heads come from the
 *       KV-cache input shape, else from the constant head Reshape;</li>
 *   <li>com.microsoft MultiHeadAttention, GroupQueryAttention (rotary inside when {@code do_rotary});</li>
 *   <li>ai.onnx Attention (opset 23).</li>
 * </ul>
 */
public final class FuseAttention implements GraphPass {

    private static final Set<String> VIEW_OPS = Set.of("Reshape", "Transpose", "Unsqueeze", "Squeeze", "Expand", "Cast",
            "Identity", "Tile");
    private static final Set<String> SCORE_OPS = Set.of("Add", "Sub", "Mul", "Div", "Where", "Cast", "Slice");

    @Override
    public Graph apply(Graph graph) throws CompileException {
        GraphEditor edit = new GraphEditor(graph);
        Graph.Index idx = graph.index();
        for (Node n : graph.nodes()) {
            if (n.isContrib("MultiHeadAttention")) {
                edit.remove(n);
                long heads = n.intAttr("num_heads", 0);
                edit.add(attention(n.name(), List.of(n.input(0), n.input(1), n.input(2), n.input(6), n.input(7)),
                        n.outputs(), heads, 0, cacheHeadDim(idx, n.input(6), false), 0, graph, n.input(6)));
            } else if (n.isContrib("GroupQueryAttention")) {
                edit.remove(n);
                List<String> in = new ArrayList<>(List.of(n.input(0), n.input(1), n.input(2), n.input(3), n.input(4)));
                Map<String, Attribute> extra = new HashMap<>();
                if (n.intAttr("do_rotary", 0) == 1) {
                    in.add(n.input(7));
                    in.add(n.input(8));
                    extra.put("rotary_interleaved", new Attribute.Int(n.intAttr("rotary_interleaved", 0)));
                }
                if (!n.hasInput(1)) extra.put("packed_qkv", new Attribute.Int(1));
                Node a = attention(n.name(), in, n.outputs(), n.intAttr("num_heads", 0), n.intAttr("kv_num_heads", 0),
                        cacheHeadDim(idx, n.input(3), false), 0, graph, n.input(3));
                Map<String, Attribute> attrs = new HashMap<>(a.attributes());
                attrs.putAll(extra);
                edit.add(new Node(a.name(), a.domain(), a.opType(), a.inputs(), a.outputs(), attrs));
            } else if (n.opType().equals("Attention") && n.domain().isEmpty()) {
                edit.remove(n);
                edit.add(attention(n.name(), List.of(n.input(0), n.input(1), n.input(2), n.input(4), n.input(5)),
                        List.of(n.output(0)), n.intAttr("q_num_heads", 0), n.intAttr("kv_num_heads", 0),
                        cacheHeadDim(idx, n.input(4), false), 0, graph, n.input(4)));
            } else if (n.is("Softmax") && n.domain().isEmpty()) {
                matchRaw(idx, edit, n);
            }
        }
        return edit.build();
    }

    private static Node attention(String name, List<String> inputs, List<String> outputs, long heads, long kvHeads,
                                  long headDim, long packedPast, Graph graph, String past) {
        if (kvHeads == 0 && !past.isEmpty()) kvHeads = cacheHeads(graph, past, packedPast == 1);
        return GraphEditor.tf(name + "/attention", "Attention", inputs, outputs, Map.of(
                "num_heads", new Attribute.Int(heads), "kv_num_heads", new Attribute.Int(kvHeads),
                "head_dim", new Attribute.Int(headDim), "packed_past", new Attribute.Int(packedPast)));
    }

    /** KV heads from a past input [B, kvHeads, S, headDim] (or packed [2, B, heads, S, headDim]); 0 if symbolic. */
    static long cacheHeads(Graph graph, String past, boolean packed) {
        ValueInfo vi = graph.valueInfo().get(past);
        if (vi == null || vi.shape() == null) return 0;
        long d = packed ? vi.fixedDim(2) : vi.shape().size() == 4 ? vi.fixedDim(1) : -1;
        return Math.max(0, d);
    }

    static long cacheHeadDim(Graph.Index idx, String past, boolean packed) {
        if (past.isEmpty()) return 0;
        ValueInfo vi = idx.graph().valueInfo().get(past);
        if (vi == null || vi.shape() == null) return 0;
        long d = packed ? vi.fixedDim(4) : vi.shape().size() == 4 ? vi.fixedDim(3) : -1;
        return Math.max(0, d);
    }

    /** What an attention operand traces back to. */
    record Source(String value, String past, List<Long> reshape) {}

    private static void matchRaw(Graph.Index idx, GraphEditor edit, Node softmax) {
        Optional<Node> scores = findBackward(idx, softmax.input(0));
        Optional<Node> context = findForward(idx, softmax.output(0));
        if (scores.isEmpty() || context.isEmpty() || !isActivationMatMul(idx, scores.get())) return;
        Source q = trace(idx, scores.get().input(0));
        Source k = trace(idx, scores.get().input(1));
        Source v = trace(idx, context.get().input(1));
        String out = followViews(idx, context.get().output(0));
        boolean packed = !k.past().isEmpty() && rank(idx.graph(), k.past()) == 5;
        long kvHeads = k.past().isEmpty() ? 0 : cacheHeads(idx.graph(), k.past(), packed);
        long headDim = cacheHeadDim(idx, k.past(), packed);
        long heads = 0;
        if (q.reshape().size() >= 2) {
            long last = q.reshape().get(q.reshape().size() - 1), prev = q.reshape().get(q.reshape().size() - 2);
            if (headDim == 0 && last > 0) headDim = last;
            if (prev > 0) heads = prev;
        }
        if (kvHeads == 0 && k.reshape().size() >= 2 && k.reshape().get(k.reshape().size() - 2) > 0) {
            kvHeads = k.reshape().get(k.reshape().size() - 2);
        }
        Node producer = idx.producer(out).orElseThrow();
        edit.remove(producer);
        edit.add(GraphEditor.tf(softmax.name() + "/attention", "Attention",
                List.of(q.value(), k.value(), v.value(), k.past(), v.past()), List.of(out), Map.of(
                        "num_heads", new Attribute.Int(heads), "kv_num_heads", new Attribute.Int(kvHeads),
                        "head_dim", new Attribute.Int(headDim), "packed_past", new Attribute.Int(packed ? 1 : 0))));
    }

    private static int rank(Graph g, String value) {
        ValueInfo vi = g.valueInfo().get(value);
        return vi == null || vi.shape() == null ? -1 : vi.shape().size();
    }

    private static boolean isActivationMatMul(Graph.Index idx, Node m) {
        return idx.constant(m.input(0)).isEmpty() && idx.constant(m.input(1)).isEmpty();
    }

    /** The score MatMul behind the Softmax input, through scaling and masking. */
    private static Optional<Node> findBackward(Graph.Index idx, String value) {
        ArrayDeque<String> work = new ArrayDeque<>(List.of(value));
        Set<String> seen = new HashSet<>();
        for (int step = 0; step < 16 && !work.isEmpty(); step++) {
            String v = work.poll();
            if (!seen.add(v)) continue;
            Optional<Node> p = idx.producer(v);
            if (p.isEmpty()) continue;
            Node n = p.get();
            if (n.is("MatMul") && n.domain().isEmpty()) return Optional.of(n);
            if (SCORE_OPS.contains(n.opType()) && n.domain().isEmpty()) {
                if (n.is("Where")) { work.add(n.input(1)); work.add(n.input(2)); }
                else if (n.is("Slice") || n.is("Cast")) work.add(n.input(0));
                else n.inputs().forEach(work::add);
            }
        }
        return Optional.empty();
    }

    /** The context MatMul consuming the probabilities (as its first operand). */
    private static Optional<Node> findForward(Graph.Index idx, String value) {
        String v = value;
        for (int step = 0; step < 4; step++) {
            for (Node c : idx.consumers(v)) {
                if (c.is("MatMul") && c.domain().isEmpty() && c.input(0).equals(v)) return Optional.of(c);
            }
            Optional<Node> next = idx.consumers(v).stream().filter(c -> c.is("Cast") || c.is("Dropout") || c.is("Identity")).findFirst();
            if (next.isEmpty()) return Optional.empty();
            v = next.get().output(0);
        }
        return Optional.empty();
    }

    /** Follows head-merging views (Transpose/Reshape) forward, ignoring Shape readers, to the attention output. */
    private static String followViews(Graph.Index idx, String value) {
        String v = value;
        for (int step = 0; step < 8; step++) {
            List<Node> data = idx.consumers(v).stream().filter(c -> !c.is("Shape")).toList();
            if (data.size() != 1 || idx.graph().isGraphOutput(v)) return v;
            Node c = data.get(0);
            if (!(c.is("Transpose") || c.is("Reshape") || c.is("Identity") || c.is("Cast")) || !c.domain().isEmpty()
                    || !c.input(0).equals(v)) return v;
            v = c.output(0);
        }
        return v;
    }

    /** Backward from an attention operand through views, past concatenation and scaling to its source. */
    static Source trace(Graph.Index idx, String value) {
        String v = value, past = "";
        List<Long> reshape = List.of();
        for (int step = 0; step < 32; step++) {
            Optional<Node> p = idx.producer(v);
            if (p.isEmpty()) break;
            Node n = p.get();
            if (n.domain().equals(Op.TOKENFAB_DOMAIN) || n.is("Split")) break;
            if (n.is("Reshape")) {
                Optional<Tensor> s = idx.constant(n.input(1));
                if (s.isPresent() && reshape.isEmpty()) reshape = java.util.Arrays.stream(s.get().toLongArray()).boxed().toList();
                v = n.input(0);
            } else if (VIEW_OPS.contains(n.opType())) {
                v = n.input(0);
            } else if (n.is("Concat")) {
                // past KV: Concat(past, new); partial rotary: Concat(Rope(x[..., :rd]), x[..., rd:])
                List<String> fresh = new ArrayList<>();
                for (String in : n.inputs()) {
                    String g = graphInputBehind(idx, in);
                    if (g != null) past = g;
                    else fresh.add(in);
                }
                if (fresh.isEmpty()) break;
                String next = fresh.get(fresh.size() - 1);
                if (fresh.size() > 1) {
                    next = fresh.stream().filter(in -> idx.producer(in).filter(r -> r.opType().equals("Rope")
                            && r.domain().equals(Op.TOKENFAB_DOMAIN)).isPresent()).findFirst().orElse(null);
                    if (next == null) break;
                }
                v = next;
            } else if ((n.is("Mul") || n.is("Div")) && Patterns.nonConstantOperand(idx, n) >= 0) {
                v = n.input(Patterns.nonConstantOperand(idx, n));
            } else {
                break;
            }
        }
        return new Source(v, past, reshape);
    }

    /** The graph input a value is a view or slice of (past caches), or null. */
    private static String graphInputBehind(Graph.Index idx, String value) {
        String v = value;
        for (int step = 0; step < 6; step++) {
            if (idx.graph().isGraphInput(v)) return v;
            Optional<Node> p = idx.producer(v);
            if (p.isEmpty()) return null;
            Node n = p.get();
            if (!(VIEW_OPS.contains(n.opType()) || n.is("Gather") || n.is("Slice") || n.is("Split")) || !n.domain().isEmpty()) return null;
            v = n.input(0);
        }
        return null;
    }
}
