package dev.tokenfab.compiler.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.compiler.reference.GreedyResult;
import dev.tokenfab.compiler.reference.Margins;
import dev.tokenfab.compiler.reference.OrtDecoderRunner;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The three forms of one spec are the same function: the CONTRIB and OPSET24 graphs, run by ONNX
 * Runtime's fused kernels, give the RAW graph's logits within fp32 tolerance, in prefill and on the
 * KV-cache path. Since the fused kernels follow their own specs (rotate_half vs interleaved RoPE,
 * GQA head grouping, masking), this also checks the RAW decomposition independently.
 */
class FormsEquivalenceTest {
    private static final long[] PROMPT = {5, 17, 42, 7, 99};
    private static final int NEW_TOKENS = 8;
    /** Fused kernels sum in another order (GQA/MHA/Attention use their own softmax): fp32 noise; measured max 1.8e-5 on logits of std ~4. */
    private static final float FORM_LOGIT_TOLERANCE = 1e-4f;

    @TempDir Path tmp;

    static Stream<Arguments> specs() {
        return Stream.of(
                Arguments.of("llama gqa", SynthSpec.llamaDemo().build()),
                Arguments.of("llama mha tied", SynthSpec.llamaDemo().seed(2).kvHeads(4).tiedEmbeddings(true).build()),
                Arguments.of("llama interleaved mqa", SynthSpec.llamaDemo().seed(3).kvHeads(1).ropeInterleaved(true).build()),
                Arguments.of("llama partial rotary", SynthSpec.llamaDemo().seed(4).headDim(32).rotaryDim(16).build()),
                Arguments.of("llama f16 outliers", SynthSpec.llamaDemo().seed(5).weightType(ElementType.F16).outlierChannels(2).build()),
                Arguments.of("llama int4 b32", SynthSpec.llamaDemo().seed(7).nbitsBlockSize(32).build()),
                Arguments.of("llama int4 b16 zero points", SynthSpec.llamaDemo().seed(8).nbitsBlockSize(16).nbitsZeroPoints(true).build()),
                Arguments.of("llama int4 b128 zero points", SynthSpec.llamaDemo().seed(10).hidden(128).intermediate(344)
                        .nbitsBlockSize(128).nbitsZeroPoints(true).outlierChannels(2).build()),
                Arguments.of("gpt2 int4 b32 zero points", SynthSpec.gpt2Demo().seed(9).nbitsBlockSize(32).nbitsZeroPoints(true).build()),
                Arguments.of("gpt2 tied", SynthSpec.gpt2Demo().build()),
                Arguments.of("gpt2 untied bf16", SynthSpec.gpt2Demo().seed(6).tiedEmbeddings(false).weightType(ElementType.BF16).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void formsComputeTheSameFunction(String name, SynthSpec raw) throws Exception {
        float[][] refPrefill;
        GreedyResult refGreedy;
        try (OrtDecoderRunner r = OrtDecoderRunner.open(SyntheticDecoderWriter.write(raw, tmp.resolve("raw.onnx")).model())) {
            refPrefill = r.prefillAll(PROMPT);
            refGreedy = r.greedy(PROMPT, NEW_TOKENS);
        }
        for (SynthForm form : new SynthForm[] {SynthForm.CONTRIB, SynthForm.OPSET24}) {
            SynthSpec spec = raw.withForm(form);
            Path model = SyntheticDecoderWriter.write(spec, tmp.resolve(form + ".onnx")).model();
            try (OrtDecoderRunner r = OrtDecoderRunner.open(model)) {
                float[][] prefill = r.prefillAll(PROMPT);
                float worst = 0;
                for (int i = 0; i < PROMPT.length; i++) worst = Math.max(worst, Margins.maxAbsDiff(refPrefill[i], prefill[i]));
                assertTrue(worst <= FORM_LOGIT_TOLERANCE, name + " " + form + " prefill max |dlogit| " + worst);
                GreedyResult g = r.greedy(PROMPT, NEW_TOKENS);
                float stepWorst = 0;
                for (int i = 0; i < NEW_TOKENS; i++) {
                    stepWorst = Math.max(stepWorst, Margins.maxAbsDiff(refGreedy.stepLogits().get(i), g.stepLogits().get(i)));
                }
                assertTrue(stepWorst <= FORM_LOGIT_TOLERANCE, name + " " + form + " decode max |dlogit| " + stepWorst);
                // ids are comparable because every margin is far above the tolerance
                assertTrue(refGreedy.minTop1Top2Gap() > 2 * FORM_LOGIT_TOLERANCE, "margin " + refGreedy.minTop1Top2Gap());
                assertArrayEquals(refGreedy.tokens(), g.tokens(), name + " " + form);
                System.out.printf("%s %s: prefill max|dlogit| %.2e, decode %.2e, min margin %.3f%n",
                        name, form, worst, stepWorst, refGreedy.minTop1Top2Gap());
            }
        }
    }
}
