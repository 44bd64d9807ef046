package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.build.ModelImporter;
import static dev.tokenfab.compiler.onnx.toy.ToyFusedLlama.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.onnx.toy.ProtoBuilder;
import dev.tokenfab.compiler.onnx.toy.ToyFusedLlama;
import dev.tokenfab.format.quant.PackedFormat;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Form (5): opset-23 LLM ops, GroupQueryAttention with packed QKV and rotary, MatMulNBits weights. */
class FusedFormsImportTest {

    @TempDir Path dir;

    private DecoderModel load(ToyFusedLlama toy) throws Exception {
        Path p = dir.resolve("model.onnx");
        ProtoBuilder.write(toy.build(), p, null, 0);
        return ModelImporter.onnx().importModel(p);
    }

    private static void assertConfig(DecoderConfig c) {
        assertEquals(VOCAB, c.vocabSize());
        assertEquals(HIDDEN, c.hiddenSize());
        assertEquals(LAYERS, c.numLayers());
        assertEquals(HEADS, c.numHeads());
        assertEquals(KV_HEADS, c.numKvHeads());
        assertEquals(HEAD_DIM, c.headDim());
        assertEquals(INTER, c.intermediateSize());
        assertEquals(CTX, c.maxContextTokens());
        assertEquals(DecoderConfig.NormKind.RMS_NORM, c.norm());
        assertEquals(EPS, c.normEpsilon());
        assertEquals(DecoderConfig.Activation.SILU_GLU, c.activation());
        assertEquals(THETA, c.ropeTheta());
        assertEquals(HEAD_DIM, c.rotaryDim());
        assertEquals(DecoderConfig.RopeLayout.HALF_SPLIT, c.ropeLayout());
    }

    @ParameterizedTest
    @CsvSource({"OPSET23, false", "CONTRIB_GQA, false"})
    void denseFusedForms(ToyFusedLlama.Form form, boolean nbits) throws Exception {
        ToyFusedLlama toy = new ToyFusedLlama(form, nbits);
        DecoderModel m = load(toy);
        assertConfig(m.config());
        if (form == ToyFusedLlama.Form.OPSET23) {
            float[] wk = toy.floats.get("layers.1.wk"); // [32][16]
            assertEquals(wk[20 * 16 + 9], WeightAccess.at(m.weight(TensorNames.layer(1).wk()), 9, 20));
        } else {
            float[] qkv = toy.floats.get("layers.1.wqkv"); // [32][(4 + 2 + 2) * 8] = q | k | v columns
            int width = (HEADS + 2 * KV_HEADS) * HEAD_DIM;
            assertEquals(qkv[20 * width + 5], WeightAccess.at(m.weight(TensorNames.layer(1).wq()), 5, 20));
            assertEquals(qkv[20 * width + 32 + 9], WeightAccess.at(m.weight(TensorNames.layer(1).wk()), 9, 20));
            assertEquals(qkv[3 * width + 48 + 15], WeightAccess.at(m.weight(TensorNames.layer(1).wv()), 15, 3));
            assertEquals(KV_HEADS * HEAD_DIM, m.weight(TensorNames.layer(1).wv()).rows());
        }
        assertEquals(toy.floats.get("layers.1.mlp_norm")[4], WeightAccess.at(m.weight(TensorNames.layer(1).mlpNormWeight()), 0, 4));
        assertEquals(toy.floats.get("final_norm")[31], WeightAccess.at(m.weight(TensorNames.FINAL_NORM_WEIGHT), 0, 31));
    }

    @Test
    void matMulNBitsImportsAsQ4GroupWithoutRequantizing() throws Exception {
        ToyFusedLlama toy = new ToyFusedLlama(ToyFusedLlama.Form.CONTRIB_GQA, true);
        DecoderModel m = load(toy);
        assertConfig(m.config());
        WeightTensor.Quantized down = (WeightTensor.Quantized) m.weight(TensorNames.layer(0).wDown());
        assertEquals(PackedFormat.Q4_GROUP, down.format());
        assertEquals(HIDDEN, down.rows());
        assertEquals(INTER, down.cols());
        assertEquals(BLOCK, down.groupSize());
        byte[] q = toy.bytes.get("layers.0.w_down.qweight"); // [N=32][blocks=4][8] = row-major [32][64/2]
        assertEquals(q.length, down.data().byteSize());
        assertEquals(q[7 * 32 + 13], down.data().get(ValueLayout.JAVA_BYTE, 7 * 32 + 13));
        float[] s = toy.floats.get("layers.0.w_down.scales");
        assertEquals(s[7 * 4 + 2], down.scales().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), (7 * 4 + 2) * 4L));
        byte[] zp = toy.bytes.get("layers.0.w_down.zp"); // [32][ceil(4/2)] nibbles, low first
        assertNotNull(down.zeros());
        assertEquals((zp[7 * 2 + 1] >> 4) & 0xF, down.zeros().get(ValueLayout.JAVA_BYTE, 7 * 4 + 3));
        assertEquals(zp[7 * 2 + 1] & 0xF, down.zeros().get(ValueLayout.JAVA_BYTE, 7 * 4 + 2));

        // packed QKV of a MatMulNBits: K and V are row ranges of the same codes
        WeightTensor.Quantized wk = (WeightTensor.Quantized) m.weight(TensorNames.layer(1).wk());
        assertEquals(KV_HEADS * HEAD_DIM, wk.rows());
        byte[] qkv = toy.bytes.get("layers.1.wqkv.qweight"); // rows = (4+2+2)*8 = 64, 16 bytes each
        assertEquals(qkv[(32 + 3) * 16 + 5], wk.data().get(ValueLayout.JAVA_BYTE, 3 * 16 + 5));
    }
}
