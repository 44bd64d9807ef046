package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/** Small structural queries shared by the fusion passes. */
final class Patterns {
    private Patterns() {}

    /** Value with any chain of Cast/Identity producers stripped. */
    static String skipCasts(Graph.Index idx, String value) {
        String v = value;
        for (int i = 0; i < 8; i++) {
            Optional<Node> p = idx.producer(v);
            if (p.isPresent() && (p.get().is("Cast") || p.get().is("Identity"))) v = p.get().input(0);
            else break;
        }
        return v;
    }

    /** The value of a one-element constant (through Casts), if it is one. */
    static OptionalDouble scalar(Graph.Index idx, String value) {
        Optional<Tensor> t = idx.constant(skipCasts(idx, value));
        if (t.isEmpty()) t = idx.constant(value);
        if (t.isPresent() && t.get().elementCount() == 1) return OptionalDouble.of(t.get().getDouble(0));
        return OptionalDouble.empty();
    }

    static boolean isScalar(Graph.Index idx, String value, double expected, double tolerance) {
        OptionalDouble s = scalar(idx, value);
        return s.isPresent() && Math.abs(s.getAsDouble() - expected) <= tolerance;
    }

    /** For a binary node with one constant operand: the index of the other operand, or -1. */
    static int nonConstantOperand(Graph.Index idx, Node n) {
        boolean c0 = idx.constant(skipCasts(idx, n.input(0))).isPresent();
        boolean c1 = idx.constant(skipCasts(idx, n.input(1))).isPresent();
        if (c0 == c1) return -1;
        return c0 ? 1 : 0;
    }

    /** The other input of a two-input node. */
    static String other(Node n, String value) {
        return n.input(0).equals(value) ? n.input(1) : n.input(0);
    }

    /** A 1-D float constant (a norm weight or bias), through Casts. */
    static Optional<Tensor> vector(Graph.Index idx, String value) {
        return idx.constant(skipCasts(idx, value)).filter(t -> t.rank() == 1 && t.dtype().isFloat());
    }

    /** The consumers of {@code value} with the given op type. */
    static List<Node> consumersOf(Graph.Index idx, String value, String opType) {
        return idx.consumers(value).stream().filter(c -> c.is(opType)).toList();
    }

    /** True when {@code n} reduces over the last axis only (ReduceMean keepdims, opset < 18 attr or >= 18 input). */
    static boolean reducesLastAxis(Graph.Index idx, Node n) {
        List<Long> axes = n.intsAttr("axes");
        if (axes.isEmpty() && n.hasInput(1)) {
            Optional<Tensor> t = idx.constant(n.input(1));
            if (t.isEmpty()) return false;
            axes = java.util.Arrays.stream(t.get().toLongArray()).boxed().toList();
        }
        return axes.size() == 1 && axes.get(0) == -1 || axes.size() == 1 && lastAxisByRank(idx, n, axes.get(0));
    }

    private static boolean lastAxisByRank(Graph.Index idx, Node n, long axis) {
        var vi = idx.graph().valueInfo().get(n.input(0));
        return vi != null && vi.shape() != null && axis == vi.shape().size() - 1;
    }
}
