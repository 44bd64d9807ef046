package dev.tokenfab.compiler.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The runner on synthetic decoders: KV-cache path vs token-at-a-time feeding, margins, errors. */
class OrtDecoderRunnerSynthTest {
    private static final long[] PROMPT = {1, 2, 3, 4};
    private static final int NEW_TOKENS = 12;
    /** Prefill-at-once and token-at-a-time compute the same sums in a different grouping: fp32 noise only. */
    private static final float KV_PATH_LOGIT_TOLERANCE = 1e-4f;

    @TempDir Path tmp;

    static Stream<SynthSpec> specs() {
        return Stream.of(
                SynthSpec.llamaDemo().build(),
                SynthSpec.llamaDemo().seed(3).tiedEmbeddings(true).ropeInterleaved(true).build(),
                SynthSpec.llamaDemo().seed(5).headDim(32).rotaryDim(16).weightType(ElementType.F16).build(),
                SynthSpec.llamaDemo().seed(9).kvHeads(1).outlierChannels(3).externalData(true).build());
    }

    static Stream<SynthSpec> demos() {
        return Stream.of(SynthSpec.llamaDemo().build(), SynthSpec.gpt2Demo().build());
    }

    @ParameterizedTest
    @MethodSource("specs")
    void kvCachePathEqualsTokenAtATimeFeeding(SynthSpec spec) throws Exception {
        Path model = SyntheticDecoderWriter.write(spec, tmp.resolve("m.onnx")).model();
        try (OrtDecoderRunner r = OrtDecoderRunner.open(model)) {
            assertEquals(DecoderConvention.CacheLayout.SEPARATE_KV, r.convention().cacheLayout());
            assertEquals(spec.kvHeads(), r.convention().cacheHeads());
            assertEquals(spec.headDim(), r.convention().cacheHeadDim());
            GreedyResult g = r.greedy(PROMPT, NEW_TOKENS);
            assertEquals(NEW_TOKENS, g.tokens().length);
            assertEquals(NEW_TOKENS - 1, g.measuredDecodeSecondsHostCpu().length);
            for (long t : g.tokens()) assertTrue(t >= 0 && t < spec.vocab());

            long[] stream = new long[PROMPT.length + NEW_TOKENS - 1];
            System.arraycopy(PROMPT, 0, stream, 0, PROMPT.length);
            System.arraycopy(g.tokens(), 0, stream, PROMPT.length, NEW_TOKENS - 1);
            List<float[]> tf = r.teacherForced(stream);
            float worst = 0;
            for (int i = 0; i < NEW_TOKENS; i++) {
                worst = Math.max(worst, Margins.maxAbsDiff(g.stepLogits().get(i), tf.get(PROMPT.length - 1 + i)));
            }
            assertTrue(worst <= KV_PATH_LOGIT_TOLERANCE, "KV path vs token-at-a-time: max |dlogit| " + worst);

            // the same prefix in one run gives the same rows as the token-at-a-time path
            float[][] all = r.prefillAll(stream);
            for (int i = 0; i < stream.length; i++) {
                float d = Margins.maxAbsDiff(all[i], tf.get(i));
                assertTrue(d <= KV_PATH_LOGIT_TOLERANCE, "position " + i + ": " + d);
            }
            float margin = g.minTop1Top2Gap();
            System.out.printf("synth %s seed=%d: greedy=%s min top1-top2 gap=%.4f, KV-path max|dlogit|=%.2e%n",
                    spec.weightType(), spec.seed(), java.util.Arrays.toString(g.tokens()), margin, worst);
            // the token equality above is meaningful only if margins exceed the path error; assert it
            assertTrue(margin > KV_PATH_LOGIT_TOLERANCE, "margin " + margin);
        }
    }

    @ParameterizedTest
    @MethodSource("demos")
    void demoModelHasHealthyMarginsOnMostSteps(SynthSpec spec) throws Exception {
        Path model = SyntheticDecoderWriter.write(spec, tmp.resolve("d.onnx")).model();
        try (OrtDecoderRunner r = OrtDecoderRunner.open(model)) {
            GreedyResult g = r.greedy(PROMPT, 32);
            float[] gaps = Margins.top1Top2Gaps(g.stepLogits());
            int healthy = 0;
            for (float gap : gaps) if (gap > 0.05f) healthy++;
            System.out.printf("%s demo: %d/%d steps with top1-top2 gap > 0.05, min %.4f%n", spec.family(), healthy, gaps.length,
                    Margins.minTop1Top2Gap(g.stepLogits()));
            assertTrue(healthy >= gaps.length * 3 / 4, "steps with gap > 0.05: " + healthy + "/" + gaps.length);
        }
    }

    @Test
    void marginsHelper() {
        assertEquals(1.5f, Margins.top1Top2Gap(new float[] {0f, 3f, 1.5f}));
        assertEquals(0f, Margins.top1Top2Gap(new float[] {2f, 2f, 1f}));
        assertEquals(0.5f, Margins.minTop1Top2Gap(List.of(new float[] {0f, 3f}, new float[] {1f, 0.5f})));
        assertEquals(1, Margins.argmax(new float[] {0f, 3f, 3f}));
        assertThrows(IllegalArgumentException.class, () -> Margins.minTop1Top2Gap(List.of()));
    }

    @Test
    void badInputsAreTypedErrors() throws Exception {
        ReferenceException e = assertThrows(ReferenceException.class, () -> OrtDecoderRunner.open(tmp.resolve("none.onnx")));
        assertEquals(ReferenceException.ErrorCode.MODEL_LOAD, e.code());
        assertTrue(e.getMessage().contains("none.onnx"));

        Path garbage = tmp.resolve("garbage.onnx");
        Files.writeString(garbage, "not a model");
        e = assertThrows(ReferenceException.class, () -> OrtDecoderRunner.open(garbage));
        assertEquals(ReferenceException.ErrorCode.MODEL_LOAD, e.code());

        SynthSpec spec = SynthSpec.llamaDemo().maxContext(8).build();
        Path model = SyntheticDecoderWriter.write(spec, tmp.resolve("small.onnx")).model();
        OrtDecoderRunner r = OrtDecoderRunner.open(model);
        try (r) {
            e = assertThrows(ReferenceException.class, () -> r.greedy(new long[0], 1));
            assertEquals(ReferenceException.ErrorCode.BAD_ARGUMENT, e.code());
            // positions beyond the RoPE cache: ORT's Gather fails; the error names the step
            e = assertThrows(ReferenceException.class, () -> r.greedy(PROMPT, 10));
            assertEquals(ReferenceException.ErrorCode.RUN_FAILED, e.code());
            assertTrue(e.getMessage().contains("past length"), e.getMessage());
        }
        assertThrows(IllegalStateException.class, r::outputName);
    }

    @Test
    void cudaRequestOnCpuBuildIsTyped() throws Exception {
        Path model = SyntheticDecoderWriter.write(SynthSpec.llamaDemo().build(), tmp.resolve("c.onnx")).model();
        if (ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA)) {
            try (OrtDecoderRunner r = OrtDecoderRunner.open(model, OrtDecoderRunner.Options.cuda())) {
                assertEquals("CUDA", r.executionProvider());
            }
        } else {
            ReferenceException e = assertThrows(ReferenceException.class,
                    () -> OrtDecoderRunner.open(model, OrtDecoderRunner.Options.cuda()));
            assertEquals(ReferenceException.ErrorCode.PROVIDER_UNAVAILABLE, e.code());
        }
    }
}
