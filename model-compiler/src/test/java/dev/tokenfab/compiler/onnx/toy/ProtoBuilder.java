package dev.tokenfab.compiler.onnx.toy;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test helper: builds ONNX ModelProtos node by node (the toy graphs of the importer's tests). */
public final class ProtoBuilder {
    public static final int FLOAT = 1, INT64 = 7, FLOAT16 = 10, UINT8 = 2;

    private final GraphProto.Builder g = GraphProto.newBuilder().setName("toy");
    private int counter;

    public GraphProto.Builder graph() { return g; }

    /** Adds a node; attributes as alternating name, value (Long, Float, long[], String, TensorProto). */
    public String node(String op, List<String> inputs, Object... attrs) {
        String out = op.toLowerCase() + "_" + (counter++);
        nodeTo(op, "", inputs, List.of(out), attrs);
        return out;
    }

    public void nodeTo(String op, String domain, List<String> inputs, List<String> outputs, Object... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setDomain(domain).setName(op + "_n" + (counter++))
                .addAllInput(inputs).addAllOutput(outputs);
        for (int i = 0; i < attrs.length; i += 2) n.addAttribute(attr((String) attrs[i], attrs[i + 1]));
        g.addNode(n);
    }

    static AttributeProto attr(String name, Object v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
        switch (v) {
            case Long l -> a.setType(AttributeProto.AttributeType.INT).setI(l);
            case Integer i -> a.setType(AttributeProto.AttributeType.INT).setI(i);
            case Float f -> a.setType(AttributeProto.AttributeType.FLOAT).setF(f);
            case long[] ls -> { a.setType(AttributeProto.AttributeType.INTS); for (long l : ls) a.addInts(l); }
            case String s -> a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
            case TensorProto t -> a.setType(AttributeProto.AttributeType.TENSOR).setT(t);
            default -> throw new IllegalArgumentException("attribute type " + v.getClass());
        }
        return a.build();
    }

    public static TensorProto floats(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : values) b.putFloat(f);
        return raw(name, FLOAT, dims, b.array());
    }

    public static TensorProto halfs(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : values) b.putShort(Float.floatToFloat16(f));
        return raw(name, FLOAT16, dims, b.array());
    }

    public static TensorProto longs(String name, long[] dims, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long l : values) b.putLong(l);
        return raw(name, INT64, dims, b.array());
    }

    public static TensorProto raw(String name, int type, long[] dims, byte[] bytes) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(bytes));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    public String init(TensorProto t) {
        g.addInitializer(t);
        return t.getName();
    }

    public String constLongs(String name, long... values) { return init(longs(name, new long[] {values.length}, values)); }

    public String scalar(String name, float value) { return init(floats(name, new long[0], new float[] {value})); }

    /** Graph input or output with dims given as Long (fixed) or String (symbolic). */
    public static ValueInfoProto value(String name, int type, Object... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String p) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(p));
            else s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    public ModelProto model() {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("tokenfab-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1))
                .setGraph(g).build();
    }

    /** Writes the model; initializers of at least {@code externalMinBytes} go to {@code dataFile} (null: none). */
    public static void write(ModelProto model, Path onnx, String dataFile, int externalMinBytes) throws IOException {
        if (dataFile == null) {
            Files.write(onnx, model.toByteArray());
            return;
        }
        ModelProto.Builder m = model.toBuilder();
        GraphProto.Builder gb = m.getGraphBuilder();
        Path data = onnx.resolveSibling(dataFile);
        long offset = 0;
        try (OutputStream out = Files.newOutputStream(data)) {
            for (int i = 0; i < gb.getInitializerCount(); i++) {
                TensorProto t = gb.getInitializer(i);
                if (t.getRawData().size() < externalMinBytes) continue;
                byte[] bytes = t.getRawData().toByteArray();
                out.write(bytes);
                gb.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(kv("location", dataFile)).addExternalData(kv("offset", Long.toString(offset)))
                        .addExternalData(kv("length", Integer.toString(bytes.length))).build());
                offset += bytes.length;
            }
        }
        Files.write(onnx, m.build().toByteArray());
    }

    static StringStringEntryProto kv(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }
}
