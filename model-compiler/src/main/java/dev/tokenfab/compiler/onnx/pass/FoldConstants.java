package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import dev.tokenfab.compiler.onnx.graph.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds shape arithmetic: Constant nodes become initializers, and a node of the shape-op set whose
 * inputs are all constant (or a Shape of a value whose shape is fully static) is evaluated. Values
 * that depend on symbolic batch/sequence dims (attention-mask and position subgraphs) are left in
 * place as structure; symbolic dims are never assumed equal by name. Results above
 * {@link #MAX_FOLDED_ELEMENTS} are left unfolded so that weights are never copied into memory here.
 */
public final class FoldConstants implements GraphPass {

    /** Largest tensor this pass materializes; shape vectors and small masks are far below it. */
    static final int MAX_FOLDED_ELEMENTS = 1 << 16;

    private static final Set<String> FOLDABLE = Set.of("Shape", "Gather", "Concat", "Unsqueeze", "Squeeze", "Slice",
            "Cast", "Range", "ConstantOfShape", "Equal", "Less", "Greater", "Where", "Expand", "Reshape", "Add", "Sub",
            "Mul", "Div", "Neg", "Sqrt", "Identity", "Not", "Pow");

    @Override
    public Graph apply(Graph graph) throws CompileException {
        GraphEditor edit = new GraphEditor(graph);
        Map<String, Tensor> known = new HashMap<>(graph.initializers());
        for (Node n : graph.nodes()) {
            if (!n.domain().isEmpty()) continue;
            Tensor result = null;
            if (n.opType().equals("Constant")) {
                result = constantValue(n);
            } else if (isWeightCast(n, known)) {
                continue; // fp16/bf16 weights cast to float stay mapped; fusions look through the Cast
            } else if (FOLDABLE.contains(n.opType()) && n.outputs().size() == 1) {
                result = tryEvaluate(n, known, graph);
            }
            boolean fold = result != null && (n.opType().equals("Constant") || result.elementCount() <= MAX_FOLDED_ELEMENTS);
            if (fold) {
                Tensor named = new Tensor(n.output(0), result.dtype(), result.dims(), result.data());
                known.put(named.name(), named);
                edit.addInitializer(named);
                edit.remove(n);
            }
        }
        return edit.build();
    }

    /** A Cast from one float type to another: a weight precision change, never folded. */
    private static boolean isWeightCast(Node n, Map<String, Tensor> known) {
        if (!n.opType().equals("Cast")) return false;
        Tensor in = known.get(n.input(0));
        DataType to = DataType.fromCodeOrNull((int) n.intAttr("to", 0));
        return in != null && in.dtype().isFloat() && to != null && to.isFloat() && in.elementCount() > 1;
    }

    private static Tensor constantValue(Node n) {
        Attribute a = n.attributes().get("value");
        if (a instanceof Attribute.TensorValue(Tensor t)) return t;
        if (n.attributes().get("value_float") instanceof Attribute.Float(float f))
            return Tensor.ofDoubles(n.output(0), DataType.FLOAT, List.of(), new double[] {f});
        if (n.attributes().get("value_int") instanceof Attribute.Int(long v))
            return Tensor.ofLongs(n.output(0), List.of(), new long[] {v});
        if (n.attributes().get("value_ints") instanceof Attribute.Ints(List<Long> v))
            return Tensor.ofLongs(n.output(0), List.of((long) v.size()), v.stream().mapToLong(Long::longValue).toArray());
        if (n.attributes().get("value_floats") instanceof Attribute.Floats(List<Float> v))
            return Tensor.ofDoubles(n.output(0), DataType.FLOAT, List.of((long) v.size()), v.stream().mapToDouble(Float::doubleValue).toArray());
        return null;
    }

    private static Tensor tryEvaluate(Node n, Map<String, Tensor> known, Graph graph) {
        if (n.opType().equals("Shape")) return shapeOf(n, known, graph);
        List<Nd> in = new ArrayList<>();
        for (String name : n.inputs()) {
            if (name.isEmpty()) { in.add(null); continue; }
            Tensor t = known.get(name);
            if (t == null || t.elementCount() > MAX_FOLDED_ELEMENTS) return null;
            in.add(Nd.of(t));
        }
        try {
            Nd out = evaluate(n, in);
            return out == null ? null : out.toTensor(n.output(0));
        } catch (RuntimeException e) {
            return null; // anything unusual stays in the graph as structure
        }
    }

    private static Tensor shapeOf(Node n, Map<String, Tensor> known, Graph graph) {
        String v = n.input(0);
        long[] dims;
        Tensor t = known.get(v);
        if (t != null) {
            dims = t.dims().stream().mapToLong(Long::longValue).toArray();
        } else {
            ValueInfo vi = graph.valueInfo().get(v);
            if (vi == null || !vi.fullyStatic()) return null;
            dims = vi.shape().stream().mapToLong(d -> d.sizeOrMinusOne()).toArray();
        }
        int start = (int) n.intAttr("start", 0), end = (int) n.intAttr("end", dims.length);
        if (start < 0) start += dims.length;
        if (end < 0) end += dims.length;
        start = Math.clamp(start, 0, dims.length);
        end = Math.clamp(end, start, dims.length);
        long[] out = Arrays.copyOfRange(dims, start, end);
        return Tensor.ofLongs(n.output(0), List.of((long) out.length), out);
    }

    /** Small dense n-d array for evaluation (doubles hold every int64 a shape computation produces). */
    record Nd(DataType dtype, long[] shape, double[] v) {
        static Nd of(Tensor t) {
            return new Nd(t.dtype(), t.dims().stream().mapToLong(Long::longValue).toArray(), t.toDoubleArray());
        }

        int size() { return v.length; }

        Tensor toTensor(String name) {
            List<Long> dims = Arrays.stream(shape).boxed().toList();
            if (dtype == DataType.INT64) {
                long[] l = new long[v.length];
                for (int i = 0; i < l.length; i++) l[i] = v[i] >= 9.2e18 ? Long.MAX_VALUE : v[i] <= -9.2e18 ? Long.MIN_VALUE : (long) v[i];
                return Tensor.ofLongs(name, dims, l);
            }
            return Tensor.ofDoubles(name, dtype, dims, v);
        }

        long[] longs() {
            long[] l = new long[v.length];
            for (int i = 0; i < l.length; i++) l[i] = v[i] >= 9.2e18 ? Long.MAX_VALUE : v[i] <= -9.2e18 ? Long.MIN_VALUE : (long) v[i];
            return l;
        }
    }

    static Nd evaluate(Node n, List<Nd> in) {
        Nd a = in.isEmpty() ? null : in.get(0);
        return switch (n.opType()) {
            case "Identity" -> a;
            case "Cast" -> new Nd(castTarget(n), a.shape, castValues(a.v, castTarget(n)));
            case "Neg" -> map(a, x -> -x);
            case "Sqrt" -> map(a, Math::sqrt);
            case "Not" -> map(a, x -> x == 0 ? 1 : 0);
            case "Add" -> broadcast(a, in.get(1), a.dtype, Double::sum);
            case "Sub" -> broadcast(a, in.get(1), a.dtype, (x, y) -> x - y);
            case "Mul" -> broadcast(a, in.get(1), a.dtype, (x, y) -> x * y);
            case "Div" -> broadcast(a, in.get(1), a.dtype, (x, y) -> a.dtype.isFloat() ? x / y : Math.floorDiv((long) x, (long) y));
            case "Pow" -> broadcast(a, in.get(1), a.dtype, Math::pow);
            case "Equal" -> broadcast(a, in.get(1), DataType.BOOL, (x, y) -> x == y ? 1 : 0);
            case "Less" -> broadcast(a, in.get(1), DataType.BOOL, (x, y) -> x < y ? 1 : 0);
            case "Greater" -> broadcast(a, in.get(1), DataType.BOOL, (x, y) -> x > y ? 1 : 0);
            case "Where" -> where(a, in.get(1), in.get(2));
            case "Unsqueeze" -> unsqueeze(a, axesOf(n, in));
            case "Squeeze" -> squeeze(a, axesOf(n, in));
            case "Reshape" -> reshape(a, in.get(1).longs());
            case "Concat" -> concat(in, (int) n.intAttr("axis", 0));
            case "Gather" -> gather(a, in.get(1), (int) n.intAttr("axis", 0));
            case "Slice" -> slice(n, in);
            case "Range" -> range(a, in.get(1), in.get(2));
            case "ConstantOfShape" -> constantOfShape(n, a);
            case "Expand" -> expand(a, in.get(1).longs());
            default -> null;
        };
    }

    private static DataType castTarget(Node n) {
        DataType t = DataType.fromCodeOrNull((int) n.intAttr("to", 0));
        if (t == null) throw new IllegalArgumentException("cast target");
        return t;
    }

    private static double[] castValues(double[] v, DataType to) {
        double[] out = v.clone();
        if (!to.isFloat()) for (int i = 0; i < out.length; i++) out[i] = to == DataType.BOOL ? (out[i] != 0 ? 1 : 0) : (double) (long) out[i];
        return out;
    }

    private static Nd map(Nd a, java.util.function.DoubleUnaryOperator f) {
        double[] o = new double[a.size()];
        for (int i = 0; i < o.length; i++) o[i] = f.applyAsDouble(a.v[i]);
        return new Nd(a.dtype, a.shape, o);
    }

    static long[] broadcastShape(long[] x, long[] y) {
        int r = Math.max(x.length, y.length);
        long[] s = new long[r];
        for (int i = 0; i < r; i++) {
            long dx = i - (r - x.length) >= 0 ? x[i - (r - x.length)] : 1;
            long dy = i - (r - y.length) >= 0 ? y[i - (r - y.length)] : 1;
            if (dx != dy && dx != 1 && dy != 1) throw new IllegalArgumentException("not broadcastable");
            s[i] = Math.max(dx, dy);
        }
        return s;
    }

    private static int count(long[] s) {
        long n = 1;
        for (long d : s) n *= d;
        if (n > MAX_FOLDED_ELEMENTS) throw new IllegalArgumentException("too big to fold");
        return (int) n;
    }

    /** Flat index into {@code src} (broadcast to {@code outShape}) for output flat index {@code i}. */
    private static int srcIndex(long[] outShape, long[] src, int i) {
        int idx = 0, stride = 1, off = outShape.length - src.length;
        for (int d = outShape.length - 1; d >= 0; d--) {
            long coord = i % outShape[d];
            i /= (int) outShape[d];
            int sd = d - off;
            if (sd >= 0) {
                if (src[sd] != 1) idx += (int) coord * stride;
                stride *= (int) src[sd];
            }
        }
        return idx;
    }

    private static Nd broadcast(Nd a, Nd b, DataType outType, java.util.function.DoubleBinaryOperator f) {
        long[] s = broadcastShape(a.shape, b.shape);
        double[] o = new double[count(s)];
        for (int i = 0; i < o.length; i++) o[i] = f.applyAsDouble(a.v[srcIndex(s, a.shape, i)], b.v[srcIndex(s, b.shape, i)]);
        return new Nd(outType, s, o);
    }

    private static Nd where(Nd c, Nd x, Nd y) {
        long[] s = broadcastShape(broadcastShape(c.shape, x.shape), y.shape);
        double[] o = new double[count(s)];
        for (int i = 0; i < o.length; i++) {
            o[i] = c.v[srcIndex(s, c.shape, i)] != 0 ? x.v[srcIndex(s, x.shape, i)] : y.v[srcIndex(s, y.shape, i)];
        }
        return new Nd(x.dtype, s, o);
    }

    private static Nd expand(Nd a, long[] shape) {
        long[] s = broadcastShape(a.shape, shape);
        double[] o = new double[count(s)];
        for (int i = 0; i < o.length; i++) o[i] = a.v[srcIndex(s, a.shape, i)];
        return new Nd(a.dtype, s, o);
    }

    private static long[] axesOf(Node n, List<Nd> in) {
        if (in.size() > 1 && in.get(1) != null) return in.get(1).longs();
        return n.intsAttr("axes").stream().mapToLong(Long::longValue).toArray();
    }

    private static Nd unsqueeze(Nd a, long[] axes) {
        int r = a.shape.length + axes.length;
        boolean[] isNew = new boolean[r];
        for (long ax : axes) isNew[(int) (ax < 0 ? ax + r : ax)] = true;
        long[] s = new long[r];
        for (int i = 0, j = 0; i < r; i++) s[i] = isNew[i] ? 1 : a.shape[j++];
        return new Nd(a.dtype, s, a.v);
    }

    private static Nd squeeze(Nd a, long[] axes) {
        List<Long> s = new ArrayList<>();
        for (int i = 0; i < a.shape.length; i++) {
            final int d = i;
            boolean drop = axes.length == 0 ? a.shape[i] == 1
                    : Arrays.stream(axes).anyMatch(x -> (x < 0 ? x + a.shape.length : x) == d);
            if (!drop) s.add(a.shape[i]);
        }
        return new Nd(a.dtype, s.stream().mapToLong(Long::longValue).toArray(), a.v);
    }

    private static Nd reshape(Nd a, long[] target) {
        long[] s = target.clone();
        int minus = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == 0) s[i] = a.shape[i];
            if (s[i] == -1) minus = i;
            else known *= s[i];
        }
        if (minus >= 0) s[minus] = a.size() / known;
        return new Nd(a.dtype, s, a.v);
    }

    private static Nd concat(List<Nd> in, int axis) {
        Nd first = in.get(0);
        int r = first.shape.length;
        if (axis < 0) axis += r;
        long[] s = first.shape.clone();
        s[axis] = 0;
        for (Nd x : in) s[axis] += x.shape[axis];
        double[] o = new double[count(s)];
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= s[d];
        for (int d = axis + 1; d < r; d++) inner *= s[d];
        int pos = 0;
        for (long ob = 0; ob < outer; ob++) {
            for (Nd x : in) {
                int chunk = (int) (x.shape[axis] * inner);
                System.arraycopy(x.v, (int) (ob * chunk), o, pos, chunk);
                pos += chunk;
            }
        }
        return new Nd(first.dtype, s, o);
    }

    private static Nd gather(Nd data, Nd idx, int axis) {
        int r = data.shape.length;
        if (axis < 0) axis += r;
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= data.shape[d];
        for (int d = axis + 1; d < r; d++) inner *= data.shape[d];
        long[] s = new long[r - 1 + idx.shape.length];
        int k = 0;
        for (int d = 0; d < axis; d++) s[k++] = data.shape[d];
        for (long d : idx.shape) s[k++] = d;
        for (int d = axis + 1; d < r; d++) s[k++] = data.shape[d];
        double[] o = new double[count(s)];
        long[] ids = idx.longs();
        int pos = 0;
        for (long ob = 0; ob < outer; ob++) {
            for (long id : ids) {
                long row = id < 0 ? id + data.shape[axis] : id;
                if (row < 0 || row >= data.shape[axis]) throw new IllegalArgumentException("gather index out of range");
                System.arraycopy(data.v, (int) ((ob * data.shape[axis] + row) * inner), o, pos, (int) inner);
                pos += (int) inner;
            }
        }
        return new Nd(data.dtype, s, o);
    }

    private static Nd slice(Node n, List<Nd> in) {
        Nd a = in.get(0);
        int r = a.shape.length;
        long[] starts, ends, axes, steps;
        if (in.size() > 1) {
            starts = in.get(1).longs();
            ends = in.get(2).longs();
            axes = in.size() > 3 && in.get(3) != null ? in.get(3).longs() : null;
            steps = in.size() > 4 && in.get(4) != null ? in.get(4).longs() : null;
        } else { // opset < 10: attributes
            starts = n.intsAttr("starts").stream().mapToLong(Long::longValue).toArray();
            ends = n.intsAttr("ends").stream().mapToLong(Long::longValue).toArray();
            List<Long> ax = n.intsAttr("axes");
            axes = ax.isEmpty() ? null : ax.stream().mapToLong(Long::longValue).toArray();
            steps = null;
        }
        long[] st = new long[r], en = a.shape.clone(), sp = new long[r];
        Arrays.fill(sp, 1);
        for (int i = 0; i < starts.length; i++) {
            int ax = axes == null ? i : (int) (axes[i] < 0 ? axes[i] + r : axes[i]);
            long dim = a.shape[ax];
            long step = steps == null ? 1 : steps[i];
            long s0 = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e0 = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (step > 0) {
                s0 = Math.clamp(s0, 0, dim);
                e0 = Math.clamp(e0, 0, dim);
            } else {
                s0 = Math.clamp(s0, 0, dim - 1);
                e0 = Math.clamp(e0, -1, dim - 1);
            }
            st[ax] = s0;
            en[ax] = e0;
            sp[ax] = step;
        }
        long[] s = new long[r];
        for (int d = 0; d < r; d++) s[d] = Math.max(0, (en[d] - st[d] + sp[d] + (sp[d] > 0 ? -1 : 1)) / sp[d]);
        double[] o = new double[count(s)];
        long[] srcStride = new long[r];
        long acc = 1;
        for (int d = r - 1; d >= 0; d--) { srcStride[d] = acc; acc *= a.shape[d]; }
        for (int i = 0; i < o.length; i++) {
            long rem = i, src = 0;
            for (int d = r - 1; d >= 0; d--) {
                long c = rem % s[d];
                rem /= s[d];
                src += (st[d] + c * sp[d]) * srcStride[d];
            }
            o[i] = a.v[(int) src];
        }
        return new Nd(a.dtype, s, o);
    }

    private static Nd range(Nd start, Nd limit, Nd delta) {
        double s = start.v[0], l = limit.v[0], d = delta.v[0];
        int n = (int) Math.max(0, Math.ceil((l - s) / d));
        if (n > MAX_FOLDED_ELEMENTS) throw new IllegalArgumentException("too big");
        double[] o = new double[n];
        for (int i = 0; i < n; i++) o[i] = s + i * d;
        return new Nd(start.dtype, new long[] {n}, o);
    }

    private static Nd constantOfShape(Node n, Nd shape) {
        long[] s = shape.longs();
        DataType t = DataType.FLOAT;
        double value = 0;
        if (n.attributes().get("value") instanceof Attribute.TensorValue(Tensor v)) {
            t = v.dtype();
            value = v.getDouble(0);
        }
        double[] o = new double[count(s)];
        Arrays.fill(o, value);
        return new Nd(t, s, o);
    }
}
