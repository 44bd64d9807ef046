package dev.tokenfab.host.e2e;

import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.synth.SharedModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Acceptance matrix, real-export half in int8 (fp16 is in {@link EndToEndTest}): the three exported
 * fixtures of ../shared/models compiled int8 for the U55C and decoded on the emulated card against
 * ONNX Runtime on the original files (see {@link OrtComparison}). Skips with a message when absent.
 */
class RealFixturesInt8Test {

    static final int[] PROMPT = {1, 2, 3, 4};
    static final int STEPS = 16;

    /**
     * Max |emu - ORT| / max |ORT logit| over 16 teacher-forced steps, int8 per-channel weights: observed 1.02e-2
     * (llama-tiny-genai-fp16) and 1.27e-2 (gpt2-tiny-ort-fused), emu vs ReferenceDecoder under 1.5e-4 (so it is the
     * quantization's); 1.6x headroom. Tighter than the synthetic int8 bound (3e-2) on purpose: these logits are
     * small (max |logit| 0.3 to 0.6) and their margins too, so a wider bound would leave few steps to check.
     */
    static final double INT8_TOLERANCE = 2e-2;
    /**
     * Steps of 16 whose ORT margin exceeds 2 x 2e-2 of max |logit|, where the argmax is asserted: observed 12
     * (Llama: four margins of 1.7e-2 to 2.8e-2) and 15 (GPT-2: its step 6 gap is the README's 0.0072 absolute,
     * 1.8e-2 relative, too small to decide under int8; the free run still matched there).
     */
    static final int MIN_CHECKED = 10;
    /**
     * Final hidden state (last_state, after ln_f) of the 12-layer hidden-4 body, relative to its max |value|:
     * observed 1.0e-3 over 7 positions (each 4-wide row is quantized per channel, so int8 is nearly exact); 3x headroom.
     */
    static final double BODY_INT8_TOLERANCE = 3e-3;

    @TempDir Path dir;

    @ParameterizedTest(name = "{0} int8")
    @ValueSource(strings = {"llama-tiny-genai-fp16", "gpt2-tiny-ort-fused"})
    void int8PackageOfARealExportAgreesWithOnnxRuntime(String fixture) throws Exception {
        Path folder = SharedModels.resolve(fixture);
        Assumptions.assumeTrue(folder != null, SharedModels.missingMessage(fixture));
        long t0 = System.nanoTime();
        Path onnx = EndToEndTest.onnxIn(folder);
        Path pkg = Pipeline.compile(onnx, QuantScheme.INT8, Platform.U55C, dir.resolve(fixture + ".tfpkg"));
        OrtComparison.Outcome o = OrtComparison.compare(fixture + " int8", onnx, pkg, PROMPT, STEPS, INT8_TOLERANCE, MIN_CHECKED);
        OrtComparison.printRow(fixture + " int8", o, INT8_TOLERANCE, System.nanoTime() - t0);
    }

    @Test
    void int8BodyOnlyTorchGpt2HiddenStatesAgreeWithOnnxRuntime() throws Exception {
        String fixture = "gpt2-torch-export-body";
        Path folder = SharedModels.resolve(fixture);
        Assumptions.assumeTrue(folder != null, SharedModels.missingMessage(fixture));
        long t0 = System.nanoTime();
        Path onnx = EndToEndTest.onnxIn(folder);
        Path pkg = Pipeline.compile(onnx, QuantScheme.INT8, Platform.U55C, dir.resolve(fixture + ".tfpkg"));
        int[] tokens = {1, 2, 3, 4, 5, 6, 7};
        double worst = OrtComparison.compareHiddenStates(fixture + " int8", onnx, pkg, tokens, BODY_INT8_TOLERANCE);
        System.out.printf("acceptance | %-40s | max rel. err %.2e (tol %.1e) | last_state at %d positions | %.2f s%n",
                fixture + " int8 (body)", worst, BODY_INT8_TOLERANCE, tokens.length, (System.nanoTime() - t0) / 1e9);
    }
}
