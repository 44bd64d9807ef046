package dev.tokenfab.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Dim;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import dev.tokenfab.compiler.onnx.toy.ProtoBuilder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxReaderTest {
    @TempDir Path dir;

    @Test
    void typedFieldsSymbolicDimsAndConstantAttributes() throws Exception {
        ProtoBuilder b = new ProtoBuilder();
        // fp16 in int32_data holds the raw half bits (onnx.proto: "float16 values must be bit-wise converted")
        b.init(TensorProto.newBuilder().setName("h").setDataType(ProtoBuilder.FLOAT16).addDims(2)
                .addInt32Data(Float.floatToFloat16(1.5f) & 0xFFFF).addInt32Data(Float.floatToFloat16(-2f) & 0xFFFF).build());
        b.init(TensorProto.newBuilder().setName("i").setDataType(ProtoBuilder.INT64).addDims(3).addInt64Data(7).addInt64Data(-1).addInt64Data(1L << 40).build());
        b.graph().addInput(ProtoBuilder.value("x", ProtoBuilder.FLOAT, "unk", 2L, "unk"));
        b.nodeTo("Constant", "", List.of(), List.of("c"), "value", ProtoBuilder.floats("", new long[] {2}, new float[] {3f, 4f}));
        b.nodeTo("Add", "", List.of("x", "h"), List.of("y"));
        b.graph().addOutput(ProtoBuilder.value("y", ProtoBuilder.FLOAT, "unk", 2L, "unk"));
        Path p = dir.resolve("m.onnx");
        ProtoBuilder.write(b.model(), p, null, 0);

        Graph g = new OnnxReader().read(p);
        Tensor h = g.initializers().get("h");
        assertEquals(DataType.FLOAT16, h.dtype());
        assertEquals(-2.0, h.getDouble(1));
        assertEquals(1L << 40, g.initializers().get("i").getLong(2));
        var x = g.inputs().get(0);
        assertEquals(new Dim.Symbolic("unk"), x.shape().get(0));
        assertEquals(2, x.fixedDim(1));
        assertEquals(-1, x.fixedDim(2), "a symbolic dim has no size, whatever its name");
        var c = g.nodes().get(0).attributes().get("value");
        assertInstanceOf(dev.tokenfab.compiler.onnx.graph.Attribute.TensorValue.class, c);
        assertEquals(4.0, ((dev.tokenfab.compiler.onnx.graph.Attribute.TensorValue) c).value().getDouble(1));
    }
}
