package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.build.ModelImporter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SynthesizedModel;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Verification point "after import" for the project's own synthetic writer: the imported config equals the
 * spec's {@link SynthSpec#toDecoderConfig()}, and canonical weights equal the written initializers
 * (read back here with plain protobuf and file reads, not through the importer).
 */
class SynthImportTest {

    @TempDir Path dir;

    static Stream<SynthSpec> specs() {
        return Stream.of(
                SynthSpec.llamaDemo().build(),
                SynthSpec.llamaDemo().weightType(ElementType.F16).externalData(true).build(),
                SynthSpec.llamaDemo().weightType(ElementType.BF16).tiedEmbeddings(true).build(),
                SynthSpec.llamaDemo().heads(8).kvHeads(1).hidden(64).ropeTheta(500000f).build(),
                SynthSpec.llamaDemo().rotaryDim(8).build(),
                SynthSpec.llamaDemo().ropeInterleaved(true).externalData(true).build(),
                SynthSpec.llamaDemo().layers(3).heads(4).kvHeads(4).headDim(32).build());
    }

    static Stream<SynthSpec> allForms() {
        Stream.Builder<SynthSpec> out = Stream.builder();
        for (var form : dev.tokenfab.compiler.synth.SynthForm.values()) {
            out.add(SynthSpec.llamaDemo().form(form).build());
            out.add(SynthSpec.llamaDemo().form(form).weightType(ElementType.F16).tiedEmbeddings(true).externalData(true).build());
            out.add(SynthSpec.gpt2Demo().form(form).build());
            out.add(SynthSpec.gpt2Demo().form(form).tiedEmbeddings(false).weightType(ElementType.BF16).build());
        }
        out.add(SynthSpec.llamaDemo().form(dev.tokenfab.compiler.synth.SynthForm.CONTRIB).nbitsBlockSize(32).build());
        out.add(SynthSpec.llamaDemo().form(dev.tokenfab.compiler.synth.SynthForm.CONTRIB).nbitsBlockSize(16).nbitsZeroPoints(true).build());
        return out.build();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("allForms")
    void everyFormAndFamilyImportsToTheSpecConfig(SynthSpec spec) throws Exception {
        SynthesizedModel written = SyntheticDecoderWriter.write(spec, dir.resolve("model.onnx"));
        DecoderModel m = ModelImporter.onnx().importModel(written.model());
        assertEquals(ropeIgnoredUnlessRope(spec.toDecoderConfig()), ropeIgnoredUnlessRope(m.config()));
        if (spec.nbitsBlockSize() > 0) {
            WeightTensor.Quantized wq = (WeightTensor.Quantized) m.weight(TensorNames.layer(0).wq());
            assertEquals(dev.tokenfab.format.quant.PackedFormat.Q4_GROUP, wq.format());
            assertEquals(spec.nbitsBlockSize(), wq.groupSize());
            assertEquals(spec.nbitsZeroPoints(), wq.zeros() != null);
            // intermediate 172 is not a multiple of the block: groups shrink to gcd(172, block) = 4, scales repeat
            WeightTensor.Quantized down = (WeightTensor.Quantized) m.weight(TensorNames.layer(0).wDown());
            assertEquals(4, down.groupSize());
            assertEquals(spec.intermediate() / 2 * (long) spec.hidden(), down.data().byteSize());
            var f32 = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            int perBlock = spec.nbitsBlockSize() / 4;
            assertEquals(down.scales().get(f32, 0), down.scales().get(f32, (perBlock - 1) * 4L), "one block's scale repeated");
        }
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(DecoderConfig.Family.class)
    void allFormsYieldTheSameCanonicalWeights(DecoderConfig.Family family) throws Exception {
        SynthSpec base = SynthSpec.builder(family).tiedEmbeddings(false).build();
        java.util.Map<dev.tokenfab.compiler.synth.SynthForm, DecoderModel> models = new java.util.EnumMap<>(dev.tokenfab.compiler.synth.SynthForm.class);
        for (var form : dev.tokenfab.compiler.synth.SynthForm.values()) {
            Path sub = java.nio.file.Files.createDirectories(dir.resolve(form.name()));
            models.put(form, ModelImporter.onnx().importModel(SyntheticDecoderWriter.write(base.withForm(form), sub.resolve("model.onnx")).model()));
        }
        DecoderModel raw = models.get(dev.tokenfab.compiler.synth.SynthForm.RAW);
        for (var e : models.entrySet()) {
            DecoderModel other = e.getValue();
            assertEquals(raw.weights().keySet(), other.weights().keySet(), e.getKey() + " canonical names");
            for (var w : raw.weights().entrySet()) {
                WeightTensor a = w.getValue(), b = other.weight(w.getKey());
                assertEquals(a.rows(), b.rows(), w.getKey());
                assertEquals(a.cols(), b.cols(), w.getKey());
                for (int r = 0; r < a.rows(); r += Math.max(1, a.rows() / 7)) {
                    for (int c = 0; c < a.cols(); c += Math.max(1, a.cols() / 5)) {
                        assertEquals(WeightAccess.at(a, r, c), WeightAccess.at(b, r, c), 0f, e.getKey() + " " + w.getKey() + "[" + r + "][" + c + "]");
                    }
                }
            }
        }
    }

    /** ropeTheta/rotaryDim/ropeLayout mean nothing for LEARNED positions (DecoderConfig Javadoc). */
    static DecoderConfig ropeIgnoredUnlessRope(DecoderConfig c) {
        if (c.positions() == DecoderConfig.PositionEncoding.ROPE) return c;
        return new DecoderConfig(c.family(), c.vocabSize(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                c.intermediateSize(), c.maxContextTokens(), c.norm(), c.normEpsilon(), c.activation(), c.positions(), 0f,
                c.headDim(), DecoderConfig.RopeLayout.HALF_SPLIT, c.tiedEmbeddings(), c.hasLmHead(), c.attentionBias(), c.mlpBias());
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("specs")
    void importsWhatTheWriterWrote(SynthSpec spec) throws Exception {
        SynthesizedModel written = SyntheticDecoderWriter.write(spec, dir.resolve("model.onnx"));
        DecoderModel m = ModelImporter.onnx().importModel(written.model());
        DecoderConfig expected = spec.toDecoderConfig();
        assertEquals(expected, m.config());

        ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(written.model()));
        int q = spec.queryDim(), kv = spec.kvDim();
        assertProjection(proto, written, "model.layers.0.self_attn.q_proj.weight", q, m.weight(TensorNames.layer(0).wq()));
        assertProjection(proto, written, "model.layers." + (spec.layers() - 1) + ".self_attn.v_proj.weight", kv,
                m.weight(TensorNames.layer(spec.layers() - 1).wv()));
        assertProjection(proto, written, "model.layers.1.mlp.down_proj.weight", spec.hidden(), m.weight(TensorNames.layer(1).wDown()));
        if (!spec.tiedEmbeddings()) assertProjection(proto, written, "lm_head.weight", spec.vocab(), m.weight(TensorNames.LM_HEAD));
        WeightTensor.Dense emb = (WeightTensor.Dense) m.weight(TensorNames.TOKEN_EMBEDDING);
        assertEquals(spec.weightType(), emb.type(), "weights keep their stored element type");
        assertEquals(value(proto, written, "model.embed_tokens.weight", 7L * spec.hidden() + 5), WeightAccess.at(emb, 7, 5));
        assertEquals(value(proto, written, "model.norm.weight", 3), WeightAccess.at(m.weight(TensorNames.FINAL_NORM_WEIGHT), 0, 3));
    }

    private static void assertProjection(ModelProto proto, SynthesizedModel w, String onnxName, int outFeatures, WeightTensor t)
            throws Exception {
        for (int[] rc : new int[][] {{0, 0}, {t.rows() - 1, t.cols() - 1}, {t.rows() / 3, t.cols() / 2}}) {
            assertEquals(value(proto, w, onnxName, (long) rc[1] * outFeatures + rc[0]), WeightAccess.at(t, rc[0], rc[1]),
                    onnxName + " [" + rc[1] + "][" + rc[0] + "]");
        }
    }

    /** Element i of an initializer, decoded from its stored bytes (inline or external). */
    static float value(ModelProto proto, SynthesizedModel w, String name, long i) throws Exception {
        TensorProto t = proto.getGraph().getInitializerList().stream().filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
        int size = switch (t.getDataType()) { case 1 -> 4; case 10, 16 -> 2; default -> throw new AssertionError(t.getDataType()); };
        byte[] b = new byte[size];
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            long offset = Long.parseLong(t.getExternalDataList().stream().filter(e -> e.getKey().equals("offset")).findFirst().orElseThrow().getValue());
            try (RandomAccessFile f = new RandomAccessFile(w.externalData().toFile(), "r")) {
                f.seek(offset + i * size);
                f.readFully(b);
            }
        } else {
            t.getRawData().substring((int) (i * size), (int) (i * size) + size).copyTo(b, 0);
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(size == 4 || size == 2);
        return switch (t.getDataType()) {
            case 1 -> bb.getFloat();
            case 10 -> Float.float16ToFloat(bb.getShort());
            default -> Float.intBitsToFloat((bb.getShort() & 0xFFFF) << 16);
        };
    }
}
