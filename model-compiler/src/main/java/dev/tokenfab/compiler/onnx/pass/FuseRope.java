package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Rotary position embeddings to tokenfab {@code Rope(x, cosTable, sinTable, positions)} with attributes
 * {@code interleaved} (0/1) and {@code rotary_dim} (0 = derive from the table width):
 * <ul>
 *   <li>raw HF rotate_half: x·cos + Concat(−x[..., h:], x[..., :h])·sin with cos/sin Gathered from constant
 *       tables by position (any Unsqueeze/Reshape/Cast between);</li>
 *   <li>com.microsoft RotaryEmbedding(x, position_ids, cos_cache, sin_cache);</li>
 *   <li>ai.onnx RotaryEmbedding (opset 23)(x, cos_cache, sin_cache, position_ids).</li>
 * </ul>
 * Must run before FuseEmbedding, which would otherwise claim the cos/sin Gathers as embeddings.
 */
public final class FuseRope implements GraphPass {

    private static final Set<String> PASS_THROUGH = Set.of("Unsqueeze", "Reshape", "Cast", "Expand", "Transpose", "Identity", "Squeeze");

    @Override
    public Graph apply(Graph graph) throws CompileException {
        GraphEditor edit = new GraphEditor(graph);
        Graph.Index idx = graph.index();
        for (Node n : graph.nodes()) {
            if (n.isContrib("RotaryEmbedding")) {
                edit.remove(n);
                edit.add(rope(n, n.input(0), n.input(2), n.input(3), n.input(1)));
            } else if (n.opType().equals("RotaryEmbedding") && n.domain().isEmpty()) {
                edit.remove(n);
                edit.add(rope(n, n.input(0), n.input(1), n.input(2), n.input(3)));
            } else if (n.is("Neg") && n.domain().isEmpty()) {
                matchRotateHalf(idx, edit, n);
            }
        }
        return edit.build();
    }

    private static Node rope(Node n, String x, String cos, String sin, String pos) {
        return GraphEditor.tf(n.name() + "/rope", "Rope", List.of(x, cos, sin, pos), List.of(n.output(0)), Map.of(
                "interleaved", new Attribute.Int(n.intAttr("interleaved", 0)),
                "rotary_dim", new Attribute.Int(n.intAttr("rotary_embedding_dim", 0)),
                "num_heads", new Attribute.Int(n.intAttr("num_heads", 0))));
    }

    private static void matchRotateHalf(Graph.Index idx, GraphEditor edit, Node neg) {
        Optional<Node> upper = idx.producer(neg.input(0)).filter(p -> p.is("Slice"));
        // GPT-J rotate_every_two as torch exports it: stack((-x[..., 1::2], x[..., ::2]), -1) = Concat of Unsqueezes
        String negated = neg.output(0);
        Optional<Node> stackNeg = idx.soleConsumer(negated).filter(c -> c.is("Unsqueeze"));
        boolean stacked = stackNeg.isPresent();
        if (stacked) negated = stackNeg.get().output(0);
        Optional<Node> concat = idx.soleConsumer(negated).filter(c -> c.is("Concat"));
        if (upper.isEmpty() || concat.isEmpty() || concat.get().inputs().size() != 2
                || !concat.get().input(0).equals(negated)) return;
        String other = concat.get().input(1);
        if (stacked) {
            Optional<Node> stackOther = idx.producer(other).filter(p -> p.is("Unsqueeze"));
            if (stackOther.isEmpty()) return;
            other = stackOther.get().input(0);
        }
        Optional<Node> lower = idx.producer(other).filter(p -> p.is("Slice"));
        if (lower.isEmpty() || !lower.get().input(0).equals(upper.get().input(0))) return;
        String x = upper.get().input(0);
        String rotated = concat.get().output(0);
        boolean interleaved = false;
        Optional<Node> pairsView = idx.producer(x).filter(p -> p.is("Reshape"));
        Optional<Node> backView = idx.soleConsumer(rotated).filter(c -> c.is("Reshape"));
        if (stacked && backView.isPresent()) { // strided slices of x itself, flattened back by the Reshape
            rotated = backView.get().output(0);
            interleaved = true;
        } else if (pairsView.isPresent() && backView.isPresent()) {
            // x viewed as [..., rd/2, 2], pairs (even, odd) -> (-odd, even), viewed back as [..., rd]
            x = pairsView.get().input(0);
            rotated = backView.get().output(0);
            interleaved = true;
        }
        Optional<Node> sinMul = idx.soleConsumer(rotated).filter(c -> c.is("Mul"));
        if (sinMul.isEmpty()) return;
        String sinValue = Patterns.other(sinMul.get(), rotated);
        Optional<Node> add = idx.soleConsumer(sinMul.get().output(0)).filter(c -> c.is("Add"));
        if (add.isEmpty()) return;
        Optional<Node> cosMul = idx.producer(Patterns.other(add.get(), sinMul.get().output(0))).filter(p -> p.is("Mul"));
        final String rotInput = x;
        if (cosMul.isEmpty() || !(cosMul.get().input(0).equals(rotInput) || cosMul.get().input(1).equals(rotInput))) return;
        String cosValue = Patterns.other(cosMul.get(), x);
        Optional<Node> cosGather = tableLookup(idx, cosValue);
        Optional<Node> sinGather = tableLookup(idx, sinValue);
        long half = interleaved ? -1 : sliceEnd(idx, lower.get());
        Map<String, Attribute> attrs = Map.of("interleaved", new Attribute.Int(interleaved ? 1 : 0),
                "rotary_dim", new Attribute.Int(half > 0 ? 2 * half : 0), "num_heads", new Attribute.Int(0));
        edit.remove(add.get());
        if (cosGather.isPresent() && sinGather.isPresent()) {
            edit.add(GraphEditor.tf(neg.name() + "/rope", "Rope", List.of(x, cosGather.get().input(0), sinGather.get().input(0),
                    cosGather.get().input(1)), List.of(add.get().output(0)), attrs));
        } else {
            // cos/sin computed at run time (HF torch export): cos(cat(inv_freq @ positions, ...)); keep inv_freq
            Optional<String> invFreq = inverseFrequencies(idx, cosValue);
            if (invFreq.isEmpty()) { // extraction reports that the tables are not constants
                edit.add(GraphEditor.tf(neg.name() + "/rope", "Rope", List.of(x, cosValue, sinValue, ""), List.of(add.get().output(0)), attrs));
                return;
            }
            Map<String, Attribute> withFreq = new java.util.HashMap<>(attrs);
            withFreq.put("inv_freq", new Attribute.Int(1));
            edit.add(GraphEditor.tf(neg.name() + "/rope", "Rope", List.of(x, invFreq.get(), "", ""),
                    List.of(add.get().output(0)), withFreq));
        }
    }

    /** The Gather(constant table, positions) that {@code value} is a reshaped view of, if any. */
    static Optional<Node> tableLookup(Graph.Index idx, String value) {
        ArrayDeque<String> work = new ArrayDeque<>(List.of(value));
        for (int step = 0; step < 8 && !work.isEmpty(); step++) {
            String v = work.poll();
            Optional<Node> p = idx.producer(v);
            if (p.isEmpty()) return Optional.empty();
            Node n = p.get();
            if ((n.is("Gather") || n.is("Embedding") && n.domain().equals(Op.TOKENFAB_DOMAIN))
                    && idx.constant(n.input(0)).filter(t -> t.rank() >= 2).isPresent()) return Optional.of(n);
            if (PASS_THROUGH.contains(n.opType()) && n.domain().isEmpty()) work.add(n.input(0));
        }
        return Optional.empty();
    }

    private static final Set<String> FREQ_PATH = Set.of("Unsqueeze", "Reshape", "Cast", "Expand", "Transpose", "Identity",
            "Squeeze", "Concat", "Cos", "Mul", "MatMul");

    /**
     * The constant inverse-frequency vector behind a run-time cos value: a Cos node whose input reaches a
     * MatMul/Mul with a constant of values in (0, 1] starting at 1 (θ^(−2i/d) for i = 0..).
     */
    static Optional<String> inverseFrequencies(Graph.Index idx, String cosValue) {
        ArrayDeque<String> work = new ArrayDeque<>(List.of(cosValue));
        boolean sawCos = false;
        for (int step = 0; step < 24 && !work.isEmpty(); step++) {
            String v = work.poll();
            Optional<Tensor> c = idx.constant(v);
            if (c.isPresent()) {
                if (sawCos && looksLikeInverseFrequencies(c.get())) return Optional.of(v);
                continue;
            }
            Optional<Node> p = idx.producer(v);
            if (p.isEmpty() || !p.get().domain().isEmpty() || !FREQ_PATH.contains(p.get().opType())) continue;
            Node n = p.get();
            if (n.is("Cos")) sawCos = true;
            if (!sawCos && !(n.is("Unsqueeze") || n.is("Reshape") || n.is("Cast") || n.is("Transpose") || n.is("Identity")
                    || n.is("Squeeze") || n.is("Mul") || n.is("Cos") || n.is("Expand"))) continue;
            if (n.is("Concat") || n.is("Mul") || n.is("MatMul")) n.inputs().forEach(work::add);
            else work.add(n.input(0));
        }
        return Optional.empty();
    }

    private static boolean looksLikeInverseFrequencies(Tensor t) {
        long n = t.elementCount();
        if (n < 2 || !t.dtype().isFloat()) return false;
        if (Math.abs(t.getDouble(0) - 1.0) > 1e-6) return false;
        for (long i = 1; i < n; i++) if (!(t.getDouble(i) > 0 && t.getDouble(i) < t.getDouble(i - 1))) return false;
        return true;
    }

    private static long sliceEnd(Graph.Index idx, Node slice) {
        if (slice.hasInput(2)) {
            Optional<Tensor> ends = idx.constant(slice.input(2));
            if (ends.isPresent() && ends.get().elementCount() == 1) {
                long e = ends.get().getLong(0);
                return e > 0 && e < Integer.MAX_VALUE ? e : -1;
            }
        }
        List<Long> ends = slice.intsAttr("ends");
        return ends.size() == 1 && ends.get(0) > 0 && ends.get(0) < Integer.MAX_VALUE ? ends.get(0) : -1;
    }
}
