package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.build.ModelImporter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.compiler.onnx.toy.ProtoBuilder;
import dev.tokenfab.compiler.onnx.toy.ToyLlama;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input fails with a typed CompileException whose message names the culprit. */
class BadInputTest {

    @TempDir Path dir;

    private CompileException fails(Path p, ErrorCode code, String... mentions) {
        CompileException e = assertThrows(CompileException.class, () -> ModelImporter.onnx().importModel(p));
        assertEquals(code, e.code(), e.getMessage());
        for (String s : mentions) assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' should name " + s);
        return e;
    }

    @Test
    void missingFile() {
        fails(dir.resolve("nope.onnx"), ErrorCode.FILE_NOT_FOUND, "nope.onnx");
    }

    @Test
    void folderWithoutOnnx() {
        fails(dir, ErrorCode.FILE_NOT_FOUND, "no .onnx");
    }

    @Test
    void notOnnxBytes() throws Exception {
        Path p = dir.resolve("model.onnx");
        Files.writeString(p, "#!/bin/sh\necho this is a shell script, not a protobuf\n");
        fails(p, ErrorCode.NOT_ONNX, "model.onnx");
    }

    @Test
    void emptyFile() throws Exception {
        Path p = Files.createFile(dir.resolve("empty.onnx"));
        fails(p, ErrorCode.NOT_ONNX, "empty.onnx");
    }

    @Test
    void truncatedOnnx() throws Exception {
        Path p = dir.resolve("model.onnx");
        byte[] whole = new ToyLlama(ToyLlama.DEFAULT).build().toByteArray();
        Files.write(p, Arrays.copyOf(whole, whole.length * 2 / 3));
        CompileException e = assertThrows(CompileException.class, () -> ModelImporter.onnx().importModel(p));
        assertTrue(e.code() == ErrorCode.TRUNCATED || e.code() == ErrorCode.NOT_ONNX, e.code() + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("model.onnx"), e.getMessage());
    }

    @Test
    void unknownOpNamesOpDomainAndNode() throws Exception {
        ProtoBuilder b = new ProtoBuilder();
        b.graph().addInput(ProtoBuilder.value("x", ProtoBuilder.FLOAT, 1L, 4L));
        b.nodeTo("LSTM", "", List.of("x"), List.of("y"));
        b.graph().setNode(0, b.graph().getNode(0).toBuilder().setName("rnn_block_7"));
        b.graph().addOutput(ProtoBuilder.value("y", ProtoBuilder.FLOAT, 1L, 4L));
        Path p = dir.resolve("rnn.onnx");
        ProtoBuilder.write(b.model(), p, null, 0);
        fails(p, ErrorCode.UNSUPPORTED_OP, "LSTM", "rnn_block_7", "ai.onnx", "supported ops");
    }

    @Test
    void customDomainOpNamesDomain() throws Exception {
        ProtoBuilder b = new ProtoBuilder();
        b.graph().addInput(ProtoBuilder.value("x", ProtoBuilder.FLOAT, 1L, 4L));
        b.nodeTo("FlashDecode", "com.example", List.of("x"), List.of("y"));
        b.graph().addOutput(ProtoBuilder.value("y", ProtoBuilder.FLOAT, 1L, 4L));
        Path p = dir.resolve("custom.onnx");
        ProtoBuilder.write(b.model(), p, null, 0);
        fails(p, ErrorCode.UNSUPPORTED_OP, "FlashDecode", "com.example", "re-export");
    }

    @Test
    void validOnnxButNoDecoder() throws Exception {
        ProtoBuilder b = new ProtoBuilder();
        b.graph().addInput(ProtoBuilder.value("x", ProtoBuilder.FLOAT, 1L, 4L));
        b.nodeTo("Relu", "", List.of("x"), List.of("y"));
        b.graph().addOutput(ProtoBuilder.value("y", ProtoBuilder.FLOAT, 1L, 4L));
        Path p = dir.resolve("relu.onnx");
        ProtoBuilder.write(b.model(), p, null, 0);
        // Relu is not in the op set either: the op check comes first and names it
        fails(p, ErrorCode.UNSUPPORTED_OP, "Relu");
        ProtoBuilder b2 = new ProtoBuilder();
        b2.graph().addInput(ProtoBuilder.value("x", ProtoBuilder.FLOAT, 1L, 4L));
        b2.nodeTo("Sigmoid", "", List.of("x"), List.of("y"));
        b2.graph().addOutput(ProtoBuilder.value("y", ProtoBuilder.FLOAT, 1L, 4L));
        ProtoBuilder.write(b2.model(), p, null, 0);
        fails(p, ErrorCode.UNSUPPORTED_MODEL, "token embedding");
    }

    /** A one-node model whose initializer "w" [4] float lives in external data at the given location. */
    private Path externalModel(String location, long offset, long length, int dataFileBytes) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("m"));
        if (dataFileBytes >= 0) Files.write(folder.resolve("w.bin"), new byte[dataFileBytes]);
        TensorProto.Builder w = TensorProto.newBuilder().setName("w").setDataType(ProtoBuilder.FLOAT).addDims(4)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL);
        w.addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue(location));
        w.addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)));
        w.addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(length)));
        ProtoBuilder b = new ProtoBuilder();
        b.init(w.build());
        b.graph().addInput(ProtoBuilder.value("x", ProtoBuilder.FLOAT, 4L));
        b.nodeTo("Add", "", List.of("x", "w"), List.of("y"));
        b.graph().addOutput(ProtoBuilder.value("y", ProtoBuilder.FLOAT, 4L));
        Path p = folder.resolve("model.onnx");
        ProtoBuilder.write(b.model(), p, null, 0);
        return p;
    }

    @Test
    void externalDataEscapingWithDotDot() throws Exception {
        Files.write(dir.resolve("secret.bin"), new byte[16]);
        fails(externalModel("../secret.bin", 0, 16, 16), ErrorCode.UNSAFE_PATH, "../secret.bin", "'w'");
    }

    @Test
    void externalDataAbsolutePath() throws Exception {
        Path outside = Files.write(dir.resolve("abs.bin"), new byte[16]);
        fails(externalModel(outside.toAbsolutePath().toString(), 0, 16, 16), ErrorCode.UNSAFE_PATH, "absolute", "'w'");
    }

    @Test
    void externalDataSymlinkPointingOut() throws Exception {
        Path outside = Files.write(dir.resolve("outside.bin"), new byte[16]);
        Path p = externalModel("link.bin", 0, 16, 16);
        Files.createSymbolicLink(p.resolveSibling("link.bin"), outside.toAbsolutePath());
        fails(p, ErrorCode.UNSAFE_PATH, "link.bin", "outside the model folder");
    }

    @Test
    void externalDataFileMissing() throws Exception {
        fails(externalModel("gone.bin", 0, 16, 16), ErrorCode.FILE_NOT_FOUND, "gone.bin", "'w'");
    }

    @Test
    void externalLengthDisagreesWithDims() throws Exception {
        fails(externalModel("w.bin", 0, 12, 16), ErrorCode.BAD_TENSOR, "'w'", "16 bytes", "length 12");
    }

    @Test
    void externalDataTruncated() throws Exception {
        fails(externalModel("w.bin", 8, 16, 20), ErrorCode.TRUNCATED, "w.bin", "'w'", "[8, 24)");
    }

    @Test
    void rawDataDisagreesWithDims() throws Exception {
        ProtoBuilder b = new ProtoBuilder();
        b.init(ProtoBuilder.raw("bias.7", ProtoBuilder.FLOAT, new long[] {3, 4}, new byte[40]));
        b.graph().addInput(ProtoBuilder.value("x", ProtoBuilder.FLOAT, 3L, 4L));
        b.nodeTo("Add", "", List.of("x", "bias.7"), List.of("y"));
        b.graph().addOutput(ProtoBuilder.value("y", ProtoBuilder.FLOAT, 3L, 4L));
        Path p = dir.resolve("bad.onnx");
        ProtoBuilder.write(b.model(), p, null, 0);
        fails(p, ErrorCode.BAD_TENSOR, "bias.7", "48 bytes", "40");
    }

    @Test
    void typedFieldsDisagreeWithDims() throws Exception {
        ProtoBuilder b = new ProtoBuilder();
        b.init(TensorProto.newBuilder().setName("scale").setDataType(ProtoBuilder.FLOAT).addDims(5)
                .addFloatData(1f).addFloatData(2f).build());
        b.graph().addInput(ProtoBuilder.value("x", ProtoBuilder.FLOAT, 5L));
        b.nodeTo("Mul", "", List.of("x", "scale"), List.of("y"));
        b.graph().addOutput(ProtoBuilder.value("y", ProtoBuilder.FLOAT, 5L));
        Path p = dir.resolve("typed.onnx");
        ProtoBuilder.write(b.model(), p, null, 0);
        fails(p, ErrorCode.BAD_TENSOR, "scale", "5", "2");
    }

    @Test
    void protobufThatIsNotAModel() throws Exception {
        // a valid protobuf message (a TensorProto) whose fields do not make a ModelProto graph
        Path p = dir.resolve("tensor.onnx");
        Files.write(p, TensorProto.newBuilder().setName("t").setRawData(ByteString.copyFromUtf8("abc")).build().toByteArray());
        CompileException e = assertThrows(CompileException.class, () -> ModelImporter.onnx().importModel(p));
        assertEquals(ErrorCode.NOT_ONNX, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("tensor.onnx"), e.getMessage());
    }
}
