package dev.tokenfab.compiler.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import dev.tokenfab.compiler.synth.SharedModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The runner against the three real exports in ../shared/models (skipped when absent). */
class OrtDecoderRunnerFixturesTest {
    private static final long[] PROMPT = {1, 2, 3, 4};
    /** REFERENCE.txt greedy runs are prefill + 10 decode steps = 11 tokens. */
    private static final int REFERENCE_TOKENS = 11;
    private static final String ORT_VERSION = "1.29.0";
    /** fp16 logits: half an fp16 ulp at |x| < 0.5 is 1.2e-4; allow a few ulps of kernel-order difference between ORT builds. */
    private static final float FP16_LOGIT_TOLERANCE = 1e-3f;
    /** fp32 logits of the 5-layer GPT-2: summation order differences only. */
    private static final float FP32_LOGIT_TOLERANCE = 1e-5f;
    /** REFERENCE.txt prints the body's hidden state with 8 significant digits. */
    private static final float HIDDEN_PRINT_TOLERANCE = 1e-5f;

    private static Path fixture(String relative) {
        Path p = SharedModels.resolve(relative);
        Assumptions.assumeTrue(p != null, SharedModels.missingMessage(relative));
        return p;
    }

    @Test
    void genaiLlamaFp16ReproducesReferenceGreedyAndLogits() throws Exception {
        Path dir = fixture("llama-tiny-genai-fp16");
        ReferenceFile ref = ReferenceFile.read(dir.resolve("REFERENCE.txt"), ORT_VERSION);
        try (OrtDecoderRunner r = OrtDecoderRunner.open(dir.resolve("model.onnx"))) {
            DecoderConvention c = r.convention();
            assertEquals(DecoderConvention.CacheLayout.SEPARATE_KV, c.cacheLayout());
            assertEquals(OnnxJavaType.FLOAT16, c.cacheType());
            assertEquals(OnnxJavaType.INT64, c.idsType());
            assertEquals(4, c.cache().size());
            assertEquals(1, c.cacheHeads());
            assertEquals(16, c.cacheHeadDim());
            assertEquals("logits", r.outputName());

            GreedyResult g = r.greedy(PROMPT, REFERENCE_TOKENS);
            assertArrayEquals(ref.greedy(), g.tokens());
            float[] golden = OrtDecoderRunner.readF32(dir.resolve("prefill_last_logits_prompt_1_2_3_4.f32"));
            assertEquals(32000, golden.length);
            float diff = Margins.maxAbsDiff(golden, g.stepLogits().getFirst());
            assertTrue(diff <= FP16_LOGIT_TOLERANCE, "prefill logits differ by " + diff);
            assertEquals(10, g.measuredDecodeSecondsHostCpu().length);
            assertTrue(g.measuredPrefillSecondsHostCpu() > 0);
            // README: smallest reference margin 0.008057; the margin must exceed the fp16 tolerance for ids to be comparable
            assertTrue(g.minTop1Top2Gap() > FP16_LOGIT_TOLERANCE, "margin " + g.minTop1Top2Gap());
        }
    }

    @Test
    void fusedGpt2ReproducesReferenceGreedyAndLogits() throws Exception {
        Path dir = fixture("gpt2-tiny-ort-fused");
        ReferenceFile ref = ReferenceFile.read(dir.resolve("REFERENCE.txt"), ORT_VERSION);
        try (OrtDecoderRunner r = OrtDecoderRunner.open(dir.resolve("past.onnx"))) {
            DecoderConvention c = r.convention();
            assertEquals(DecoderConvention.CacheLayout.STACKED_KV, c.cacheLayout());
            assertEquals(OnnxJavaType.INT32, c.idsType());
            assertEquals(OnnxJavaType.INT32, c.maskType());
            assertEquals(OnnxJavaType.INT32, c.positionType());
            assertEquals(5, c.cache().size());
            assertEquals(new DecoderConvention.CachePair("past_0", "present_0"), c.cache().getFirst());

            GreedyResult g = r.greedy(PROMPT, REFERENCE_TOKENS);
            assertArrayEquals(ref.greedy(), g.tokens());
            float[] golden = OrtDecoderRunner.readF32(dir.resolve("prefill_last_logits_prompt_1_2_3_4.f32"));
            float diff = Margins.maxAbsDiff(golden, g.stepLogits().getFirst());
            assertTrue(diff <= FP32_LOGIT_TOLERANCE, "prefill logits differ by " + diff);
            assertEquals(0.007218f, g.minTop1Top2Gap(), 1e-5f, "README: smallest reference gap 0.0072");

            // the KV-cache path and token-at-a-time feeding agree
            long[] stream = new long[PROMPT.length + REFERENCE_TOKENS - 1];
            System.arraycopy(PROMPT, 0, stream, 0, PROMPT.length);
            System.arraycopy(g.tokens(), 0, stream, PROMPT.length, REFERENCE_TOKENS - 1);
            List<float[]> tf = r.teacherForced(stream);
            for (int i = 0; i < REFERENCE_TOKENS; i++) {
                float d = Margins.maxAbsDiff(g.stepLogits().get(i), tf.get(PROMPT.length - 1 + i));
                assertTrue(d <= FP32_LOGIT_TOLERANCE, "step " + i + " differs by " + d);
            }
        }
    }

    @Test
    void torchGpt2BodyGivesReferenceHiddenState() throws Exception {
        Path dir = fixture("gpt2-torch-export-body");
        ReferenceFile ref = ReferenceFile.read(dir.resolve("REFERENCE.txt"), ORT_VERSION);
        try (OrtDecoderRunner r = OrtDecoderRunner.open(dir.resolve("gpt2_past.onnx"))) {
            DecoderConvention c = r.convention();
            assertEquals("last_state", r.outputName());
            assertEquals(ref.outputName(), r.outputName());
            assertFalse(c.hasLogits());
            assertTrue(c.singleToken());
            assertNull(c.maskName());
            assertNull(c.positionName());
            assertEquals(12, c.cache().size());
            assertEquals(2, c.cacheHeads());
            assertEquals(2, c.cacheHeadDim());

            // REFERENCE: tokens 1,2,3,4 fed one per run (then the prompt again, up to the context of 8)
            List<float[]> rows = r.teacherForced(new long[] {1, 2, 3, 4, 1, 2, 3, 4});
            assertEquals(8, rows.size());
            float[] afterPrompt = rows.get(3);
            assertEquals(4, afterPrompt.length);
            for (int i = 0; i < ref.prefillFirst5().length; i++) {
                assertEquals(ref.prefillFirst5()[i], afterPrompt[i], HIDDEN_PRINT_TOLERANCE, "last_state[" + i + "]");
            }
            ReferenceException e = assertThrows(ReferenceException.class, () -> r.greedy(PROMPT, 3));
            assertEquals(ReferenceException.ErrorCode.BAD_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("last_state"), e.getMessage());
        }
    }
}
