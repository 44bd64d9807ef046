package dev.tokenfab.compiler.synth;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the node list of a graph with torch.onnx-like names ({@code /model/layers.0/attn/MatMul},
 * output {@code .../MatMul_output_0}). Weights are collected as {@link SynthWeight}s and turned into
 * initializers by the writer; small shape constants become Constant nodes, as exporters emit them.
 */
final class GraphBuilder {
    static final String MS_DOMAIN = "com.microsoft";

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Map<String, Integer> nameCounts = new HashMap<>();
    private final Map<String, String> constants = new HashMap<>();
    private final Map<String, SynthWeight> weights = new LinkedHashMap<>();

    GraphBuilder(String graphName) { graph.setName(graphName); }

    /** One attribute of a node. */
    record Attr(AttributeProto proto) {
        static Attr i(String name, long v) {
            return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build());
        }
        static Attr f(String name, float v) {
            return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build());
        }
        static Attr s(String name, String v) {
            return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                    .setS(ByteString.copyFromUtf8(v)).build());
        }
        static Attr ints(String name, long... v) {
            AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
            for (long x : v) b.addInts(x);
            return new Attr(b.build());
        }
        static Attr t(String name, TensorProto v) {
            return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(v).build());
        }
    }

    /** Adds a node with one output in the default domain; returns the output name. */
    String op(String scope, String opType, List<String> inputs, Attr... attrs) {
        return opN(scope, "", opType, 1, inputs, attrs).getFirst();
    }

    /** Adds a node with one output in the com.microsoft domain. */
    String msOp(String scope, String opType, List<String> inputs, Attr... attrs) {
        return opN(scope, MS_DOMAIN, opType, 1, inputs, attrs).getFirst();
    }

    /** Adds a node with {@code outputs} outputs; returns their names. Empty input names mean "absent". */
    List<String> opN(String scope, String domain, String opType, int outputs, List<String> inputs, Attr... attrs) {
        String base = scope + "/" + opType;
        int n = nameCounts.merge(base, 1, Integer::sum);
        String nodeName = n == 1 ? base : base + "_" + (n - 1);
        List<String> outs = new ArrayList<>(outputs);
        for (int i = 0; i < outputs; i++) outs.add(nodeName + "_output_" + i);
        return node(nodeName, domain, opType, inputs, outs, attrs);
    }

    /** Adds a node whose outputs have the given names (graph outputs such as logits, present.N.key). */
    List<String> node(String nodeName, String domain, String opType, List<String> inputs, List<String> outputs, Attr... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setName(nodeName).setOpType(opType);
        if (!domain.isEmpty()) b.setDomain(domain);
        b.addAllInput(inputs).addAllOutput(outputs);
        for (Attr a : attrs) b.addAttribute(a.proto());
        graph.addNode(b);
        return outputs;
    }

    /** An int64 constant (1-D, or a scalar when {@code scalar}), shared by equal values. */
    String constI64(boolean scalar, long... values) {
        String key = "i64" + scalar + Arrays.toString(values);
        return constants.computeIfAbsent(key, k -> {
            ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) buf.putLong(v);
            TensorProto.Builder t = TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE)
                    .setRawData(ByteString.copyFrom(buf.array()));
            if (!scalar) t.addDims(values.length);
            return op("/model/constants", "Constant", List.of(), Attr.t("value", t.build()));
        });
    }

    String ints(long... values) { return constI64(false, values); }

    String scalarI64(long value) { return constI64(true, value); }

    /** A float32 scalar (or 1-D when values.length != 1) constant. */
    String constF32(boolean scalar, float... values) {
        String key = "f32" + scalar + Arrays.toString(values);
        return constants.computeIfAbsent(key, k -> {
            ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) buf.putFloat(v);
            TensorProto.Builder t = TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
                    .setRawData(ByteString.copyFrom(buf.array()));
            if (!scalar) t.addDims(values.length);
            return op("/model/constants", "Constant", List.of(), Attr.t("value", t.build()));
        });
    }

    String scalarF32(float value) { return constF32(true, value); }

    /** Registers an initializer; returns its name. */
    String weight(SynthWeight w) {
        if (weights.putIfAbsent(w.name(), w) != null) throw new IllegalStateException("duplicate initializer " + w.name());
        return w.name();
    }

    /** Declares a graph input; dims are Long (fixed) or String (symbolic). */
    void input(String name, TensorProto.DataType type, Object... dims) { graph.addInput(valueInfo(name, type, dims)); }

    /** Declares a graph output; dims are Long (fixed) or String (symbolic). */
    void output(String name, TensorProto.DataType type, Object... dims) { graph.addOutput(valueInfo(name, type, dims)); }

    List<SynthWeight> weights() { return List.copyOf(weights.values()); }

    /** The graph without initializers (the writer adds them). */
    GraphProto.Builder graph() { return graph; }

    private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            switch (d) {
                case Integer i -> shape.addDimBuilder().setDimValue(i);
                case Long l -> shape.addDimBuilder().setDimValue(l);
                case String s -> shape.addDimBuilder().setDimParam(s);
                default -> throw new IllegalArgumentException("dim " + d);
            }
        }
        TypeProto.Builder tp = TypeProto.newBuilder();
        tp.getTensorTypeBuilder().setElemType(type.getNumber()).setShape(shape);
        return ValueInfoProto.newBuilder().setName(name).setType(tp).build();
    }
}
