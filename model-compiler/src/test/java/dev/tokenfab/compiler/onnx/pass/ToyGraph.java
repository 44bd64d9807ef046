package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Dim;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import dev.tokenfab.compiler.onnx.graph.ValueInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test helper: builds graph-IR snapshots directly (FINN's make_unit_test_model), without the reader. */
final class ToyGraph {
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final Map<String, ValueInfo> valueInfo = new LinkedHashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Tensor> inits = new LinkedHashMap<>();
    private int counter;

    /** Input with dims as Long (fixed) or String (symbolic). */
    ToyGraph input(String name, DataType t, Object... dims) {
        ValueInfo v = new ValueInfo(name, t, dims(dims));
        inputs.add(v);
        valueInfo.put(name, v);
        return this;
    }

    ToyGraph output(String name) {
        ValueInfo v = new ValueInfo(name, DataType.FLOAT, null);
        outputs.add(v);
        valueInfo.put(name, v);
        return this;
    }

    ToyGraph info(String name, DataType t, Object... dims) {
        valueInfo.put(name, new ValueInfo(name, t, dims(dims)));
        return this;
    }

    private static List<Dim> dims(Object... dims) {
        List<Dim> s = new ArrayList<>();
        for (Object d : dims) s.add(d instanceof String p ? new Dim.Symbolic(p) : new Dim.Fixed(((Number) d).longValue()));
        return s;
    }

    String floats(String name, List<Long> dims, double... values) {
        inits.put(name, Tensor.ofDoubles(name, DataType.FLOAT, dims, values));
        return name;
    }

    String scalar(String name, double v) { return floats(name, List.of(), v); }

    String longs(String name, long... values) {
        inits.put(name, Tensor.ofLongs(name, List.of((long) values.length), values));
        return name;
    }

    /** A float constant of the given shape filled with 0.01·i. */
    String weight(String name, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        double[] v = new double[(int) n];
        for (int i = 0; i < n; i++) v[i] = 0.01 * (i + 1);
        List<Long> shape = new ArrayList<>();
        for (long d : dims) shape.add(d);
        return floats(name, shape, v);
    }

    /** Adds a node with one fresh output; attributes as alternating name, value (long, float, long[], String). */
    String op(String type, List<String> in, Object... attrs) {
        String out = type.toLowerCase() + counter++;
        opTo(type, "", in, List.of(out), attrs);
        return out;
    }

    void opTo(String type, String domain, List<String> in, List<String> out, Object... attrs) {
        Map<String, Attribute> a = new LinkedHashMap<>();
        for (int i = 0; i < attrs.length; i += 2) {
            Object v = attrs[i + 1];
            a.put((String) attrs[i], switch (v) {
                case Long l -> new Attribute.Int(l);
                case Integer l -> new Attribute.Int(l);
                case Float f -> new Attribute.Float(f);
                case long[] ls -> new Attribute.Ints(java.util.Arrays.stream(ls).boxed().toList());
                case String s -> new Attribute.Str(s);
                case Tensor t -> new Attribute.TensorValue(t);
                default -> throw new IllegalArgumentException(v.getClass().toString());
            });
        }
        nodes.add(new Node(type + "_" + counter++, domain, type, in, out, a));
    }

    Graph build() {
        return new Graph(Path.of("toy.onnx"), inputs, outputs, valueInfo, nodes, inits, Map.of("", 17L));
    }

    static List<Node> ofType(Graph g, String type) {
        return g.nodes().stream().filter(n -> n.opType().equals(type)).toList();
    }

    static Node only(Graph g, String type) {
        List<Node> l = ofType(g, type);
        if (l.size() != 1) throw new AssertionError("expected one " + type + " node, got " + l.size() + " in " + g.nodes());
        return l.get(0);
    }
}
