package dev.tokenfab.host.e2e;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.quant.QuantScheme;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.synth.SynthForm;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.host.cli.RunCommand;
import dev.tokenfab.host.device.DeviceInfo;
import dev.tokenfab.host.device.xrt.XrtTestSupport;
import dev.tokenfab.host.runtime.Sampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Acceptance matrix of "import real ONNX LLM exports of every common form", synthetic half: every
 * ONNX form the synth writer emits (RAW standard ops, CONTRIB com.microsoft fused ops, OPSET24
 * Attention/RMSNormalization/RotaryEmbedding) x both families x fp16/int8, plus imported MatMulNBits
 * 4-bit, int4-g32 RTN and an int8 KV cache, each compiled once by the real Compiler and decoded on
 * the emulated card against ONNX Runtime on the original file (see {@link OrtComparison}).
 */
class AcceptanceMatrixTest {

    static final int[] PROMPT = {1, 2, 3, 4};
    static final int STEPS = 16;

    /*
     * Tolerances: max |emu - ORT| / max |ORT logit| at any of the 16 steps (teacher-forced). Observed values are
     * from this class on the demo-shaped models below; the three ONNX forms of one spec compute the same function
     * and give the same figure to 3 digits. Emu vs ReferenceDecoder (same package) stays at or under 2.8e-4 (fp16 KV) and 1.6e-3
     * (int8 KV), so each figure is the scheme's quantization error, not the kernels'.
     */
    /** fp16 weights and KV: 2^-11 relative rounding per element; observed 4.4e-4 (Llama), 7.9e-4 (GPT-2): 2.5x headroom. */
    static final double FP16_TOLERANCE = 2e-3;
    /** int8 per-output-channel weights: observed 1.36e-2 (Llama), 1.89e-2 (GPT-2): 1.6x headroom over the worse. */
    static final double INT8_TOLERANCE = 3e-2;
    /**
     * MatMulNBits imported as-is and ORT runs the same 4-bit blocks, the rest fp16: observed 3.7e-4 (Llama, zero points)
     * and 4.5e-4 (GPT-2, biases after MatMulNBits), i.e. fp16-level.
     * Held to the fp16 bound on purpose: a compiler that re-quantized the blocks would not meet it (int8 of the
     * same-shaped float model measures 1.4e-2 here, int4 RTN 1.7e-1).
     */
    static final double IMPORTED_Q4_TOLERANCE = FP16_TOLERANCE;
    /**
     * int4 RTN, groups of 32 (embedding and LM head included; down_proj's 172 columns fall back to int8) on a
     * float model: observed 1.68e-1, with 4 of 16 free-run tokens equal. That is int4 on tiny random weights,
     * not the kernels (emu vs ReferenceDecoder 8.5e-5); 1.5x headroom, logits only: no token check is meaningful.
     */
    static final double INT4_TOLERANCE = 2.5e-1;
    /** int8 weights and int8 KV cache: observed 1.38e-2 (vs 1.36e-2 with fp16 KV): the int8 bound applies. */
    static final double INT8_KV8_TOLERANCE = INT8_TOLERANCE;

    /**
     * Fewest of the 16 steps whose ORT margin exceeds 2 x tolerance, where the argmax is asserted. fp16's gate
     * (4e-3 of max |logit|) is below every synthetic margin (smallest 1.5e-2 Llama, 5.3e-2 GPT-2; observed 16/16;
     * the Llama MatMulNBits model's smallest is 1.1e-3: 15/16). int8's gate (6e-2) leaves 12 (Llama) and 14 (GPT-2).
     */
    static final int FP16_MIN_CHECKED = 14;
    static final int INT8_MIN_CHECKED = 10;
    static final int LOGITS_ONLY = -1;

    @TempDir Path dir;

    /** A case: the spec written to ONNX, how it is compiled, its tolerance and its token gate. */
    record Case(String label, SynthSpec spec, UnaryOperator<CompileOptions> options, double tolerance, int minCheckedSteps) {
        @Override public String toString() { return label; }
    }

    static SynthSpec llama() { return EndToEndTest.llamaSpec(); }

    static SynthSpec gpt2() { return SynthSpec.gpt2Demo().seed(EndToEndTest.GPT2_SEED).build(); }

    static Stream<Arguments> cases() {
        List<Case> cases = new ArrayList<>();
        for (SynthForm form : SynthForm.values()) {
            for (SynthSpec base : List.of(llama(), gpt2())) {
                String name = base.family().name().toLowerCase() + " " + form.name().toLowerCase();
                SynthSpec spec = base.withForm(form);
                cases.add(new Case(name + " fp16", spec, o -> o.withQuant(QuantScheme.FP16), FP16_TOLERANCE, FP16_MIN_CHECKED));
                cases.add(new Case(name + " int8", spec, o -> o.withQuant(QuantScheme.INT8), INT8_TOLERANCE, INT8_MIN_CHECKED));
            }
        }
        // the projections stay MatMulNBits' own 4-bit blocks; embeddings/LM head fp16 so the error measures the pass-through
        cases.add(new Case("llama contrib MatMulNBits q4 g32 zp (+fp16)",
                llama().toBuilder().form(SynthForm.CONTRIB).nbitsBlockSize(32).nbitsZeroPoints(true).build(),
                o -> o.withQuant(QuantScheme.FP16), IMPORTED_Q4_TOLERANCE, FP16_MIN_CHECKED));
        cases.add(new Case("gpt2 contrib MatMulNBits q4 g32 (+fp16)",
                gpt2().toBuilder().form(SynthForm.CONTRIB).nbitsBlockSize(32).build(),
                o -> o.withQuant(QuantScheme.FP16), IMPORTED_Q4_TOLERANCE, FP16_MIN_CHECKED));
        cases.add(new Case("llama raw int4 g32 rtn", llama(),
                o -> o.withInt4(32, false, Int4Method.RTN), INT4_TOLERANCE, LOGITS_ONLY));
        cases.add(new Case("llama raw int8 --kv-cache int8", llama(),
                o -> o.withQuant(QuantScheme.INT8).withKvCache(KvCacheDtype.INT8), INT8_KV8_TOLERANCE, INT8_MIN_CHECKED));
        return cases.stream().map(c -> Arguments.of(c.label(), c));
    }

    static Path compile(Path onnx, UnaryOperator<CompileOptions> options, Path out) throws Exception {
        CompileOptions o = options.apply(CompileOptions.defaults().withPlatform(Platform.U55C));
        return new Compiler(ModelImporter.onnx(), line -> {}).compile(onnx, out, o, null).output();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void compiledPackageOnTheEmulatedCardAgreesWithOnnxRuntime(String label, Case c) throws Exception {
        long t0 = System.nanoTime();
        Path onnx = SyntheticDecoderWriter.write(c.spec(), dir.resolve("model.onnx")).model();
        Path pkg = compile(onnx, c.options(), dir.resolve("model.tfpkg"));
        if (c.spec().nbitsBlockSize() > 0) assertImportedQ4PassedThrough(pkg, c.spec());
        if (label.contains("kv-cache int8")) {
            try (var p = PackageAccess.open(pkg)) {
                assertEquals(KvCacheDtype.INT8, p.manifest().quant().kvCache());
            }
        }
        OrtComparison.Outcome o = OrtComparison.compare(label, onnx, pkg, PROMPT, STEPS, c.tolerance(), c.minCheckedSteps());
        OrtComparison.printRow(label, o, c.tolerance(), System.nanoTime() - t0);
    }

    /**
     * Every projection of the package (each 2-D tensor but the embeddings and LM head) is the source's 4-bit
     * blocks: Q4_GROUP with the source's zero-point choice, not re-quantized to the fp16 scheme. A projection
     * whose K is not a multiple of the block (Llama down_proj, K = 172) keeps each block's scale/zero over
     * gcd(K, block)-wide groups: the importer's exact re-layout, same codes.
     */
    static void assertImportedQ4PassedThrough(Path pkg, SynthSpec spec) throws Exception {
        try (var p = PackageAccess.open(pkg)) {
            List<Manifest.Tensor> projections = p.manifest().tensors().stream()
                    .filter(t -> t.rows() > 1 && !t.name().equals(TensorNames.TOKEN_EMBEDDING)
                            && !t.name().equals(TensorNames.POSITION_EMBEDDING) && !t.name().equals(TensorNames.LM_HEAD))
                    .toList();
            int perLayer = spec.family() == DecoderConfig.Family.LLAMA ? 7 : 6;   // q k v o gate up down | q k v o fc proj
            assertEquals(perLayer * spec.layers(), projections.size(), "projections in the package");
            for (Manifest.Tensor t : projections) {
                assertEquals(PackedFormat.Q4_GROUP, t.format(), t.name());
                assertEquals(0, spec.nbitsBlockSize() % t.groupSize(), t.name() + " group " + t.groupSize());
                assertEquals(spec.nbitsZeroPoints(), t.zeroPoints(), t.name() + " zero points");
            }
        }
    }

    /**
     * The XRT backend (noop shim, kernels by the hls-kernels C-simulation) on a synthetic GPT-2 int8
     * package: the same greedy tokens as the emulated card, and logits bit-for-bit (same kernels, same bytes).
     */
    @Test
    void xrtBackendGivesTheEmulatedCardsTokensOnGpt2Int8() throws Exception {
        XrtTestSupport.assumeNoopXrt();
        long t0 = System.nanoTime();
        Path onnx = SyntheticDecoderWriter.write(gpt2(), dir.resolve("gpt2.onnx")).model();
        Path pkg = compile(onnx, o -> o.withQuant(QuantScheme.INT8), dir.resolve("gpt2.tfpkg"));
        int[] emu = RunCommand.execute(pkg, DeviceInfo.Kind.EMU, PROMPT, STEPS, Sampler.Settings.greedy()).result().generatedIds();
        RunCommand.RunOutcome xrt = RunCommand.execute(pkg, DeviceInfo.Kind.XRT, PROMPT, STEPS, Sampler.Settings.greedy());
        assertEquals(DeviceInfo.Kind.XRT, xrt.device().kind());
        assertEquals(STEPS, emu.length);
        assertArrayEquals(emu, xrt.result().generatedIds(), "xrt (noop) vs emu greedy tokens");
        long[] ort = OrtComparison.ortGreedy(onnx, PROMPT, STEPS).tokens();
        System.out.printf("acceptance | %-40s | xrt tokens == emu tokens (%d steps), == ORT for %d | %.2f s%n", "gpt2 raw int8 on xrt (noop)",
                STEPS, equalPrefix(emu, ort), (System.nanoTime() - t0) / 1e9);
    }

    static int equalPrefix(int[] a, long[] b) {
        int n = 0;
        while (n < a.length && n < b.length && a[n] == b[n]) n++;
        return n;
    }
}
