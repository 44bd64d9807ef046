package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.build.ModelImporter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.DecoderConfig.Activation;
import dev.tokenfab.format.model.DecoderConfig.NormKind;
import dev.tokenfab.format.model.DecoderConfig.PositionEncoding;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.model.TensorNames;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Verification point "after import" on the real exports in ../shared/models: dims against each folder's
 * REFERENCE.txt / genai_config.json, and canonical weights against the ONNX initializers, read here
 * independently of the importer (plain protobuf parse, own offset arithmetic).
 */
class RealFixtureImportTest {

    static Path fixture(String name) {
        String root = System.getProperty("tokenfab.sharedModels");
        Path p = root == null ? null : Path.of(root, name);
        Assumptions.assumeTrue(p != null && Files.exists(p), "shared model fixture " + name + " not present (" + p + "); skipping");
        return p;
    }

    static TensorProto initializer(Path onnx, String name) throws IOException {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(onnx));
        return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
    }

    /** Element i of an fp16 tensor stored in external data. */
    static float externalHalf(Path folder, TensorProto t, long i) throws IOException {
        long offset = t.getExternalDataList().stream().filter(e -> e.getKey().equals("offset")).mapToLong(e -> Long.parseLong(e.getValue())).findFirst().orElse(0);
        String loc = t.getExternalDataList().stream().filter(e -> e.getKey().equals("location")).findFirst().orElseThrow().getValue();
        try (RandomAccessFile f = new RandomAccessFile(folder.resolve(loc).toFile(), "r")) {
            f.seek(offset + 2 * i);
            byte[] two = new byte[2];
            f.readFully(two);
            return Float.float16ToFloat(ByteBuffer.wrap(two).order(ByteOrder.LITTLE_ENDIAN).getShort());
        }
    }

    static float rawFloat(TensorProto t, long i) {
        if (t.getFloatDataCount() > 0) return t.getFloatData((int) i);
        return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getFloat((int) (i * 4));
    }

    @Test
    void llamaGenaiFp16() throws Exception {
        Path folder = fixture("llama-tiny-genai-fp16");
        DecoderModel m = ModelImporter.onnx().importModel(folder);
        DecoderConfig c = m.config();
        // REFERENCE.txt: past [B, 1, S, 16], logits [B, S, 32000]; genai_config: 2 layers, hidden 16, 1 head, ctx 2048
        assertEquals(DecoderConfig.Family.LLAMA, c.family());
        assertEquals(32000, c.vocabSize());
        assertEquals(16, c.hiddenSize());
        assertEquals(2, c.numLayers());
        assertEquals(1, c.numHeads());
        assertEquals(1, c.numKvHeads());
        assertEquals(16, c.headDim());
        assertEquals(64, c.intermediateSize());
        assertEquals(2048, c.maxContextTokens());
        assertEquals(NormKind.RMS_NORM, c.norm());
        assertEquals(1e-6f, c.normEpsilon());
        assertEquals(Activation.SILU_GLU, c.activation());
        assertEquals(PositionEncoding.ROPE, c.positions());
        assertEquals(10000f, c.ropeTheta(), "theta fitted from the fp16 cos/sin caches");
        assertEquals(16, c.rotaryDim());
        assertEquals(DecoderConfig.RopeLayout.HALF_SPLIT, c.ropeLayout());
        assertFalse(c.tiedEmbeddings());
        assertTrue(c.hasLmHead());
        assertEquals(List.of(1), m.generation().eosTokenIds());
        assertEquals(0, m.generation().bosTokenId());
        assertEquals(folder.resolve("tokenizer.json"), m.generation().tokenizerJson());

        Path onnx = folder.resolve("model.onnx");
        TensorProto q = initializer(onnx, "model.layers.1.attn.q_proj.MatMul.weight"); // [in 16][out 16]
        for (int[] rc : new int[][] {{0, 0}, {3, 11}, {15, 2}}) {
            assertEquals(externalHalf(folder, q, rc[1] * 16L + rc[0]), WeightAccess.at(m.weight(TensorNames.layer(1).wq()), rc[0], rc[1]));
        }
        TensorProto down = initializer(onnx, "model.layers.0.mlp.down_proj.MatMul.weight"); // [in 64][out 16]
        assertEquals(externalHalf(folder, down, 40L * 16 + 5), WeightAccess.at(m.weight(TensorNames.layer(0).wDown()), 5, 40));
        TensorProto head = initializer(onnx, "lm_head.MatMul.weight"); // [16][32000]
        assertEquals(externalHalf(folder, head, 7L * 32000 + 31999), WeightAccess.at(m.weight(TensorNames.LM_HEAD), 31999, 7));
        TensorProto emb = initializer(onnx, "model.embed_tokens.weight");
        assertEquals(externalHalf(folder, emb, 25190L * 16 + 9), WeightAccess.at(m.weight(TensorNames.TOKEN_EMBEDDING), 25190, 9));
    }

    @Test
    void gpt2OrtFused() throws Exception {
        Path folder = fixture("gpt2-tiny-ort-fused");
        DecoderModel m = ModelImporter.onnx().importModel(folder.resolve("past.onnx"));
        DecoderConfig c = m.config();
        // README/REFERENCE: 5 layers, hidden 32, 4 heads, past [2, B, 4, S, 8], vocab 1000; genai_config ctx 512
        assertEquals(DecoderConfig.Family.GPT2, c.family());
        assertEquals(1000, c.vocabSize());
        assertEquals(32, c.hiddenSize());
        assertEquals(5, c.numLayers());
        assertEquals(4, c.numHeads());
        assertEquals(4, c.numKvHeads());
        assertEquals(8, c.headDim());
        assertEquals(128, c.intermediateSize());
        assertEquals(512, c.maxContextTokens());
        assertEquals(NormKind.LAYER_NORM, c.norm());
        assertEquals(1e-5f, c.normEpsilon());
        assertEquals(Activation.GELU_TANH, c.activation());
        assertEquals(PositionEncoding.LEARNED, c.positions());
        assertTrue(c.hasLmHead());
        assertTrue(c.tiedEmbeddings(), "the exported LM head is a transposed copy of wte");
        assertTrue(c.attentionBias());
        assertTrue(c.mlpBias());
        assertEquals(List.of(98), m.generation().eosTokenIds());

        Path onnx = folder.resolve("past.onnx");
        TensorProto qkv = initializer(onnx, "transformer.h.2.attn.c_attn.weight"); // [32][96] = q | k | v columns
        for (int part = 0; part < 3; part++) {
            String name = List.of(TensorNames.layer(2).wq(), TensorNames.layer(2).wk(), TensorNames.layer(2).wv()).get(part);
            for (int[] rc : new int[][] {{0, 0}, {31, 31}, {7, 19}}) {
                assertEquals(rawFloat(qkv, rc[1] * 96L + part * 32 + rc[0]), WeightAccess.at(m.weight(name), rc[0], rc[1]), name);
            }
        }
        TensorProto qkvBias = initializer(onnx, "transformer.h.0.attn.c_attn.bias");
        assertEquals(rawFloat(qkvBias, 32 + 5), WeightAccess.at(m.weight(TensorNames.layer(3).bk()), 0, 5));
        TensorProto fc = initializer(onnx, "transformer.h.4.mlp.c_fc.weight"); // [32][128]
        assertEquals(rawFloat(fc, 30L * 128 + 100), WeightAccess.at(m.weight(TensorNames.layer(4).wUp()), 100, 30));
        TensorProto wpe = initializer(onnx, "transformer.wpe.weight");
        assertEquals(rawFloat(wpe, 511L * 32 + 31), WeightAccess.at(m.weight(TensorNames.POSITION_EMBEDDING), 511, 31));
        assertFalse(m.weights().containsKey(TensorNames.LM_HEAD));
    }

    @Test
    void gpt2TorchExportBody() throws Exception {
        Path onnx = fixture("gpt2-torch-export-body").resolve("gpt2_past.onnx");
        DecoderModel m = ModelImporter.onnx().importModel(onnx);
        DecoderConfig c = m.config();
        // REFERENCE: 12 layers, hidden 4, 2 heads, past [2, B, 2, S, 2], max context 8, no LM head (last_state [B, S, 4])
        assertEquals(DecoderConfig.Family.GPT2, c.family());
        assertEquals(20, c.vocabSize());
        assertEquals(4, c.hiddenSize());
        assertEquals(12, c.numLayers());
        assertEquals(2, c.numHeads());
        assertEquals(2, c.numKvHeads());
        assertEquals(2, c.headDim());
        assertEquals(16, c.intermediateSize());
        assertEquals(8, c.maxContextTokens());
        assertEquals(NormKind.LAYER_NORM, c.norm());
        assertEquals(Activation.GELU_TANH, c.activation());
        assertEquals(PositionEncoding.LEARNED, c.positions());
        assertFalse(c.hasLmHead());
        assertTrue(c.attentionBias());
        assertNotNull(m.weight(TensorNames.FINAL_NORM_BIAS));

        TensorProto qkv = initializer(onnx, "h.11.attn.c_attn.weight_resize"); // Gemm B [4][12]
        assertEquals(rawFloat(qkv, 3L * 12 + 4 + 1), WeightAccess.at(m.weight(TensorNames.layer(11).wk()), 1, 3));
        assertEquals(rawFloat(qkv, 2L * 12 + 8 + 3), WeightAccess.at(m.weight(TensorNames.layer(11).wv()), 3, 2));
        TensorProto proj = initializer(onnx, "h.5.mlp.c_proj.weight_resize"); // [16][4]
        assertEquals(rawFloat(proj, 13L * 4 + 2), WeightAccess.at(m.weight(TensorNames.layer(5).wDown()), 2, 13));
        TensorProto ln = initializer(onnx, "h.7.ln_2.bias_resize");
        assertEquals(rawFloat(ln, 3), WeightAccess.at(m.weight(TensorNames.layer(7).mlpNormBias()), 0, 3));
    }
}
