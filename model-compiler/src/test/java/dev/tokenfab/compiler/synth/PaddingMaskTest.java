package dev.tokenfab.compiler.synth;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.reference.Margins;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attention_mask is honored: a left-padded prompt (mask 0 on the pad, positions restarting at the
 * first real token) gives the last-position logits of the unpadded prompt, in every form whose
 * attention takes an additive mask (RAW, OPSET24, and CONTRIB with MultiHeadAttention).
 */
class PaddingMaskTest {
    /** Masked keys get finfo.min added, so they contribute exp(-huge) = 0: only summation order differs. */
    private static final float PADDING_LOGIT_TOLERANCE = 1e-4f;

    @TempDir Path tmp;

    static Stream<SynthSpec> specs() {
        return Stream.of(
                SynthSpec.llamaDemo().build(),
                SynthSpec.llamaDemo().form(SynthForm.OPSET24).build(),
                SynthSpec.llamaDemo().form(SynthForm.CONTRIB).kvHeads(4).build(),
                SynthSpec.gpt2Demo().build(),
                SynthSpec.gpt2Demo().form(SynthForm.CONTRIB).build(),
                SynthSpec.gpt2Demo().form(SynthForm.OPSET24).build());
    }

    @ParameterizedTest
    @MethodSource("specs")
    void leftPaddingIsMaskedOut(SynthSpec spec) throws Exception {
        Path model = SyntheticDecoderWriter.write(spec, tmp.resolve("m.onnx")).model();
        long[] ids = {11, 22, 33};
        float[] plain = OrtHarness.prefill(model, spec, ids).logits();
        float[] padded = OrtHarness.prefill(model, spec, new long[] {0, 0, 11, 22, 33}, new long[] {0, 0, 1, 1, 1},
                new long[] {0, 0, 0, 1, 2}).logits();
        int v = spec.vocab();
        float[] a = Arrays.copyOfRange(plain, 2 * v, 3 * v);
        float[] b = Arrays.copyOfRange(padded, 4 * v, 5 * v);
        float d = Margins.maxAbsDiff(a, b);
        assertTrue(d <= PADDING_LOGIT_TOLERANCE, spec.family() + " " + spec.form() + ": padded vs plain max |dlogit| " + d);
    }
}
