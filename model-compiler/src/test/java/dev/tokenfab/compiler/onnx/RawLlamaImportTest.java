package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.build.ModelImporter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.onnx.toy.ProtoBuilder;
import dev.tokenfab.compiler.onnx.toy.ToyLlama;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Verification point "after import" for form (1): raw Llama as the synthetic writer emits it. */
class RawLlamaImportTest {

    @TempDir Path dir;

    static Stream<ToyLlama.Dims> shapes() {
        return Stream.of(ToyLlama.DEFAULT,
                new ToyLlama.Dims(48, 32, 3, 8, 8, 40, 64, 500000f, 1e-6f, false),   // MHA, Llama-3 theta
                new ToyLlama.Dims(40, 24, 1, 6, 1, 16, 20, 10000f, 1e-5f, true));    // MQA, tied head
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void recoversConfigAndWeights(ToyLlama.Dims d) throws Exception {
        ToyLlama toy = new ToyLlama(d);
        Path onnx = dir.resolve("model.onnx");
        ProtoBuilder.write(toy.build(), onnx, null, 0);

        DecoderModel m = ModelImporter.onnx().importModel(onnx);
        DecoderConfig c = m.config();
        assertEquals(DecoderConfig.Family.LLAMA, c.family());
        assertEquals(d.vocab(), c.vocabSize());
        assertEquals(d.hidden(), c.hiddenSize());
        assertEquals(d.layers(), c.numLayers());
        assertEquals(d.heads(), c.numHeads());
        assertEquals(d.kvHeads(), c.numKvHeads());
        assertEquals(d.headDim(), c.headDim());
        assertEquals(d.intermediate(), c.intermediateSize());
        assertEquals(d.maxContext(), c.maxContextTokens());
        assertEquals(DecoderConfig.NormKind.RMS_NORM, c.norm());
        assertEquals(d.eps(), c.normEpsilon(), 0f);
        assertEquals(DecoderConfig.Activation.SILU_GLU, c.activation());
        assertEquals(DecoderConfig.PositionEncoding.ROPE, c.positions());
        assertEquals(d.theta(), c.ropeTheta(), 0f);
        assertEquals(d.headDim(), c.rotaryDim());
        assertEquals(DecoderConfig.RopeLayout.HALF_SPLIT, c.ropeLayout());
        assertEquals(d.tied(), c.tiedEmbeddings());
        assertTrue(c.hasLmHead());
        assertFalse(c.attentionBias());
        assertFalse(c.mlpBias());

        // canonical [out][in] element (r, c) is the ONNX MatMul initializer's [c][r]
        int last = d.layers() - 1;
        String p = "model.layers." + last + ".";
        int qCols = d.heads() * d.headDim(), kvCols = d.kvHeads() * d.headDim();
        assertMatMulWeight(m, TensorNames.layer(last).wq(), toy, p + "self_attn.q_proj.weight", qCols);
        assertMatMulWeight(m, TensorNames.layer(last).wk(), toy, p + "self_attn.k_proj.weight", kvCols);
        assertMatMulWeight(m, TensorNames.layer(last).wv(), toy, p + "self_attn.v_proj.weight", kvCols);
        assertMatMulWeight(m, TensorNames.layer(0).wo(), toy, "model.layers.0.self_attn.o_proj.weight", d.hidden());
        assertMatMulWeight(m, TensorNames.layer(0).wGate(), toy, "model.layers.0.mlp.gate_proj.weight", d.intermediate());
        assertMatMulWeight(m, TensorNames.layer(0).wUp(), toy, "model.layers.0.mlp.up_proj.weight", d.intermediate());
        assertMatMulWeight(m, TensorNames.layer(0).wDown(), toy, "model.layers.0.mlp.down_proj.weight", d.hidden());
        WeightTensor wq = m.weight(TensorNames.layer(last).wq());
        assertEquals(WeightTensor.Layout.IN_OUT, ((WeightTensor.Dense) wq).layout(), "MatMul weights are not transposed at import");
        assertEquals(qCols, wq.rows());
        assertEquals(d.hidden(), wq.cols());

        float[] emb = toy.values.get("model.embed_tokens.weight");
        assertEquals(emb[5 * d.hidden() + 3], WeightAccess.at(m.weight(TensorNames.TOKEN_EMBEDDING), 5, 3));
        float[] norm = toy.values.get("model.layers.0.post_attention_layernorm.weight");
        assertEquals(norm[7], WeightAccess.at(m.weight(TensorNames.layer(0).mlpNormWeight()), 0, 7));
        assertEquals(toy.values.get("model.norm.weight")[2], WeightAccess.at(m.weight(TensorNames.FINAL_NORM_WEIGHT), 0, 2));
        if (d.tied()) {
            assertFalse(m.weights().containsKey(TensorNames.LM_HEAD));
        } else {
            assertMatMulWeight(m, TensorNames.LM_HEAD, toy, "lm_head.weight", d.vocab());
        }
        assertEquals(onnx, m.source());
        assertTrue(((WeightTensor.Dense) wq).data().isNative(), "inline raw_data is aliased from the mapped .onnx, not copied to the heap");
        assertEquals(java.util.List.copyOf(m.weights().keySet()).indexOf(TensorNames.TOKEN_EMBEDDING), 0, "packer order starts with the embedding");
    }

    private static void assertMatMulWeight(DecoderModel m, String canonical, ToyLlama toy, String onnxName, int onnxCols) {
        WeightTensor t = m.weight(canonical);
        float[] src = toy.values.get(onnxName);
        for (int[] rc : new int[][] {{0, 0}, {t.rows() - 1, t.cols() - 1}, {t.rows() / 2, t.cols() / 3}}) {
            assertEquals(src[rc[1] * onnxCols + rc[0]], WeightAccess.at(t, rc[0], rc[1]),
                    canonical + "[" + rc[0] + "][" + rc[1] + "] vs " + onnxName + "[" + rc[1] + "][" + rc[0] + "]");
        }
    }

    @Test
    void runTimeCosSinFromInvFreqWithContextFromConfigJson() throws Exception {
        ToyLlama.Dims d = new ToyLlama.Dims(64, 32, 2, 4, 2, 24, 32, 500000f, 1e-5f, false);
        Path onnx = dir.resolve("model.onnx");
        ProtoBuilder.write(new ToyLlama(d, true).build(), onnx, null, 0);
        java.nio.file.Files.writeString(dir.resolve("config.json"),
                "{\"max_position_embeddings\": 4096, \"eos_token_id\": [7, 9], \"bos_token_id\": 1}");
        DecoderModel m = ModelImporter.onnx().importModel(onnx);
        assertEquals(500000f, m.config().ropeTheta(), "theta from the inv_freq constant");
        assertEquals(8, m.config().rotaryDim());
        assertEquals(4096, m.config().maxContextTokens(), "no cache in the graph: context from config.json");
        assertEquals(java.util.List.of(7, 9), m.generation().eosTokenIds());
        assertEquals(1, m.generation().bosTokenId());
    }

    @Test
    void runTimeCosSinWithoutAnyContextLengthIsRefused() throws Exception {
        Path onnx = dir.resolve("model.onnx");
        ProtoBuilder.write(new ToyLlama(ToyLlama.DEFAULT, true).build(), onnx, null, 0);
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.tokenfab.compiler.error.CompileException.class, () -> ModelImporter.onnx().importModel(onnx));
        assertEquals(dev.tokenfab.format.FormatException.ErrorCode.UNSUPPORTED_MODEL, e.code());
        assertTrue(e.getMessage().contains("maximum context"), e.getMessage());
    }

    @Test
    void weightsStayInTheMappedExternalFile() throws Exception {
        ToyLlama toy = new ToyLlama(ToyLlama.DEFAULT);
        Path onnx = dir.resolve("model.onnx");
        ProtoBuilder.write(toy.build(), onnx, "model.onnx.data", 64);
        DecoderModel m = ModelImporter.onnx().importModel(dir);
        WeightTensor.Dense wq = (WeightTensor.Dense) m.weight(TensorNames.layer(0).wq());
        assertTrue(wq.data().isNative(), "weights are views of the mapped file, not heap copies");
        assertInstanceOf(WeightTensor.Dense.class, m.weight(TensorNames.TOKEN_EMBEDDING));
        assertEquals(toy.values.get("model.layers.0.self_attn.q_proj.weight")[1 * 16 + 2], WeightAccess.at(wq, 2, 1));
    }
}
