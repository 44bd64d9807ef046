package dev.tokenfab.host.runtime;

import dev.tokenfab.format.quant.KvCacheDtype;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.compiler.reference.ReferenceDecoder;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.Devices;
import dev.tokenfab.host.device.EmuDevice;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The device decoder (kernels on the emulated card) against the plain-Java ReferenceDecoder on the same package. */
class DecoderTest {

    /**
     * Max |device - reference| over a step's logits, relative to the reference's max |logit|. The
     * weights are identical (both read the package), so the difference is the KV cache's precision
     * (reference fp32) and float accumulation order: fp16 KV rounds at 2^-11 relative, int8 KV with
     * a per-(token, head) scale at 1/254 of the head's max.
     */
    static final double FP16_KV_RELATIVE_TOLERANCE = 5e-3;
    static final double INT8_KV_RELATIVE_TOLERANCE = 5e-2;

    @TempDir Path dir;

    static Stream<Arguments> packages() {
        return Stream.of(
                Arguments.of("llama", PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16),
                Arguments.of("llama", PackedFormat.Q8_CHANNEL, KvCacheDtype.INT8),
                Arguments.of("llama", PackedFormat.Q4_GROUP, KvCacheDtype.FP16),
                Arguments.of("llama", PackedFormat.F16, KvCacheDtype.FP16),
                Arguments.of("gpt2", PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16),
                Arguments.of("gpt2", PackedFormat.F16, KvCacheDtype.INT8));
    }

    static double relativeError(float[] actual, float[] expected) {
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxDiff / maxRef;
    }

    @ParameterizedTest(name = "{0} {1} kv {2}")
    @MethodSource("packages")
    void deviceLogitsMatchTheReferenceDecoder(String family, PackedFormat format, KvCacheDtype kv) throws Exception {
        DecoderConfig c = family.equals("llama") ? TestPackages.llama(40) : TestPackages.gpt2(40);
        Manifest m = TestPackages.write(dir, c, format, kv, 42);
        ReferenceDecoder ref = new ReferenceDecoder(m, dir);
        double tolerance = kv == KvCacheDtype.FP16 ? FP16_KV_RELATIVE_TOLERANCE : INT8_KV_RELATIVE_TOLERANCE;
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1));
             KvCache.Sequence seq = decoder.kvCache().openSequence()) {
            int token = 1;
            double worst = 0;
            // 20 positions cross page boundaries (16 tokens per page)
            for (int pos = 0; pos < 20; pos++) {
                float[] expected = ref.forward(token, pos);
                float[] actual = decoder.forward(seq, token, pos);
                double err = relativeError(actual, expected);
                assertTrue(err < tolerance, "step " + pos + ": relative logit error " + err + " >= " + tolerance);
                worst = Math.max(worst, err);
                token = Sampler.argmax(expected);
            }
            assertEquals(2, seq.pageCount());
            System.out.printf("decoder vs reference %s %s kv %s: worst relative logit error %.2e (tolerance %.0e)%n", family, format, kv, worst, tolerance);
        }
    }

    /** Greedy tokens and per-step logits of one sequence run alone. */
    private static float[][] singleRun(Decoder decoder, int[] prompt, int steps) throws Exception {
        float[][] logits = new float[prompt.length + steps][];
        try (KvCache.Sequence seq = decoder.kvCache().openSequence()) {
            int token = prompt[0];
            for (int pos = 0; pos < logits.length; pos++) {
                logits[pos] = decoder.forward(seq, token, pos);
                token = pos + 1 < prompt.length ? prompt[pos + 1] : Sampler.argmax(logits[pos]);
            }
        }
        return logits;
    }

    @ParameterizedTest(name = "{0} {1} kv {2}")
    @MethodSource("packages")
    void batchedDecodeEqualsSingleRuns(String family, PackedFormat format, KvCacheDtype kv) throws Exception {
        DecoderConfig c = family.equals("llama") ? TestPackages.llama(40) : TestPackages.gpt2(40);
        Manifest m = TestPackages.write(dir, c, format, kv, 7);
        int[][] prompts = {{1, 2, 3, 4}, {5, 6}, {9, 8, 7, 6, 5, 4, 3}};
        int steps = 12;
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 3))) {
            float[][][] single = new float[3][][];
            for (int b = 0; b < 3; b++) single[b] = singleRun(decoder, prompts[b], steps);
            assertEquals(decoder.kvCache().pages().totalPages(), decoder.kvCache().pages().freePages(), "single runs gave their pages back");
            List<KvCache.Sequence> seqs = List.of(decoder.kvCache().openSequence(), decoder.kvCache().openSequence(),
                    decoder.kvCache().openSequence());
            int[] tokens = {prompts[0][0], prompts[1][0], prompts[2][0]};
            int[] positions = new int[3];
            // lockstep: every sequence advances one position per step; prompts of different lengths mix prefill and decode
            for (int step = 0; step < prompts[2].length + steps; step++) {
                float[][] out = decoder.forwardBatch(seqs, tokens, positions);
                for (int b = 0; b < 3; b++) {
                    int pos = positions[b];
                    if (pos < single[b].length) {
                        double err = relativeError(out[b], single[b][pos]);
                        assertTrue(err <= BATCH_RELATIVE_TOLERANCE, "sequence " + b + " position " + pos + ": " + err);
                        assertEquals(Sampler.argmax(single[b][pos]), Sampler.argmax(out[b]), "sequence " + b + " position " + pos);
                    }
                    tokens[b] = pos + 1 < prompts[b].length ? prompts[b][pos + 1] : Sampler.argmax(out[b]);
                    positions[b]++;
                }
            }
            for (KvCache.Sequence s : seqs) s.close();
        }
    }

    /** Per-step logits of three sequences decoded in lockstep (different prompts), with the launch count. */
    private record Lockstep(float[][][] logits, long launches) {}

    private static Lockstep lockstep(Decoder decoder, int[][] prompts, int steps) throws Exception {
        int n = prompts.length;
        List<KvCache.Sequence> seqs = new java.util.ArrayList<>();
        for (int b = 0; b < n; b++) seqs.add(decoder.kvCache().openSequence());
        int[] tokens = new int[n], positions = new int[n];
        for (int b = 0; b < n; b++) tokens[b] = prompts[b][0];
        float[][][] logits = new float[steps][][];
        decoder.timeKernels(true);
        for (int step = 0; step < steps; step++) {
            logits[step] = decoder.forwardBatch(seqs, tokens, positions);
            for (int b = 0; b < n; b++) {
                tokens[b] = positions[b] + 1 < prompts[b].length ? prompts[b][positions[b] + 1] : Sampler.argmax(logits[step][b]);
                positions[b]++;
            }
        }
        long launches = decoder.kernelLaunches();
        for (KvCache.Sequence sq : seqs) sq.close();
        return new Lockstep(logits, launches);
    }

    /**
     * The recorded-program path (one tf_exec_program downcall per step after the first) gives the
     * direct launches' logits bit for bit and issues the same kernels: batch 1 over 20 positions
     * (a page boundary) and batch 3 in lockstep, every family/format/KV dtype of {@link #packages}.
     */
    @ParameterizedTest(name = "{0} {1} kv {2}")
    @MethodSource("packages")
    void programLaunchesEqualDirectLaunchesBitForBit(String family, PackedFormat format, KvCacheDtype kv) throws Exception {
        DecoderConfig c = family.equals("llama") ? TestPackages.llama(40) : TestPackages.gpt2(40);
        Manifest m = TestPackages.write(dir, c, format, kv, 11);
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 3))) {
            assertEquals(Decoder.LaunchMode.PROGRAM, decoder.launchMode(), "the emulated card defaults to programs");
            for (int[][] prompts : new int[][][] {{{1, 2, 3}}, {{1, 2, 3, 4}, {5, 6}, {9, 8, 7, 6, 5, 4, 3}}}) {
                decoder.launchMode(Decoder.LaunchMode.DIRECT);
                Lockstep direct = lockstep(decoder, prompts, 20);
                decoder.launchMode(Decoder.LaunchMode.PROGRAM);
                long replays = decoder.programReplays();
                Lockstep program = lockstep(decoder, prompts, 20);
                assertEquals(19, decoder.programReplays() - replays, "recorded once, replayed for the other 19 steps");
                for (int step = 0; step < 20; step++) {
                    for (int b = 0; b < prompts.length; b++) {
                        assertArrayEquals(direct.logits()[step][b], program.logits()[step][b], "batch " + prompts.length + " step " + step + " row " + b);
                    }
                }
                assertEquals(direct.launches(), program.launches(), "same kernels issued, batch " + prompts.length);
            }
        }
    }

    /**
     * Batched GEMVs read the same weights, but the C-simulation kernels vectorize the batch loop
     * differently from batch 1 (AVX2/AVX-512 clones), so float summation order differs (~2e-5
     * relative); a last-bit difference can then flip the fp16/int8 rounding of a KV entry (2^-11
     * relative for fp16), seen up to 5.3e-4 after 14 positions. Tokens must still be identical.
     */
    static final double BATCH_RELATIVE_TOLERANCE = 2e-3;

    @Test
    void kvPageExhaustionIsAStatusAndLeavesOtherSequencesIntact() throws Exception {
        DecoderConfig c = TestPackages.llama(64);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16, 3);
        int[] prompt = {1, 2, 3, 4};
        // 3 pages of 16 tokens: sequence A takes 2 (20 positions), B gets 1, then B's 17th position finds none
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, dir, new Decoder.Options(2, 16, 3))) {
            float[][] aloneA = singleRun(decoder, prompt, 16);
            KvCache.Sequence a = decoder.kvCache().openSequence();
            KvCache.Sequence b = decoder.kvCache().openSequence();
            int tokenA = prompt[0];
            for (int pos = 0; pos < 17; pos++) {
                float[] l = decoder.forward(a, tokenA, pos);
                assertArrayEquals(aloneA[pos], l, 1e-6f);
                tokenA = pos + 1 < prompt.length ? prompt[pos + 1] : Sampler.argmax(l);
            }
            for (int pos = 0; pos < 16; pos++) decoder.forward(b, 5, pos);
            int[] pagesB = b.pages();
            KvCacheException e = assertThrows(KvCacheException.class, () -> decoder.forward(b, 5, 16));
            assertEquals(KvCache.Status.OUT_OF_PAGES, e.status());
            assertEquals(b.id(), e.sequenceId());
            assertTrue(e.getMessage().contains("0 of 3 pages free"), e.getMessage());
            assertArrayEquals(pagesB, b.pages(), "failed reservation took no page");
            // A carries on in its own pages and still matches its solo run
            for (int pos = 17; pos < 20; pos++) {
                float[] l = decoder.forward(a, tokenA, pos);
                assertArrayEquals(aloneA[pos], l, 1e-6f, "position " + pos + " after B ran out of pages");
                tokenA = Sampler.argmax(l);
            }
            // a batch with B fails as a whole before any kernel runs, and A is still intact
            assertThrows(KvCacheException.class, () -> decoder.forwardBatch(List.of(a, b), new int[] {1, 5}, new int[] {20, 16}));
            b.close();
            assertEquals(1, decoder.kvCache().pages().freePages());
            a.close();
        }
    }

    @Test
    void f32MatricesAreRefusedNamingTheTensor() throws Exception {
        DecoderConfig c = TestPackages.llama(16);
        Manifest m = TestPackages.write(dir, c, PackedFormat.F32, KvCacheDtype.FP16, 5);
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1));
             KvCache.Sequence seq = decoder.kvCache().openSequence()) {
            DeviceException e = assertThrows(DeviceException.class, () -> decoder.forward(seq, 1, 0));
            assertEquals(DeviceException.ErrorCode.BAD_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("is F32: no GEMV kernel reads F32 matrices"), e.getMessage());
            assertTrue(e.getMessage().contains("tensor layers.0.attn.wq "), e.getMessage());
        }
    }

    @Test
    void generatorStopsAtMaxTokensAndTimesFromTheSecondToken() throws Exception {
        DecoderConfig c = TestPackages.llama(64);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16, 11);
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1))) {
            Generator g = new Generator(decoder);
            Generator.Result greedy = g.generate(new int[] {1, 2, 3, 4}, 8, new Sampler(Sampler.Settings.greedy()), true);
            assertEquals(8, greedy.generatedIds().length);
            assertEquals(Generator.FinishReason.MAX_TOKENS, greedy.finish());
            float[][] alone = singleRun(decoder, new int[] {1, 2, 3, 4}, 8);
            for (int i = 0; i < 8; i++) assertEquals(Sampler.argmax(alone[3 + i]), greedy.generatedIds()[i]);
            long[] ns = greedy.tokenNanos();
            assertEquals(8, ns.length);
            long laterNanos = 0;
            for (int i = 0; i < ns.length; i++) {
                assertTrue(ns[i] > 0, "step " + i + " took no time: " + Arrays.toString(ns));
                if (i > 0) laterNanos += ns[i];
            }
            assertTrue(greedy.prefillNanos() >= ns[0], "prefill " + greedy.prefillNanos() + " ns includes its last step " + ns[0]);
            // tokens/s leaves out token 0, whose step is the last prefill step
            assertEquals(7e9 / laterNanos, greedy.measuredTokensPerSecond(), 1e-9 * greedy.measuredTokensPerSecond());
            assertTrue(Double.isNaN(g.generate(new int[] {1, 2}, 1, new Sampler(Sampler.Settings.greedy()), false).measuredTokensPerSecond()),
                    "one token has no decode-only rate");
            Sampler.Settings hot = new Sampler.Settings(1.0f, 20, 0.9f, 1234);
            int[] a = g.generate(new int[] {1, 2}, 10, new Sampler(hot), false).generatedIds();
            int[] b = g.generate(new int[] {1, 2}, 10, new Sampler(hot), false).generatedIds();
            assertArrayEquals(a, b, "same seed, same tokens");
        }
    }

    @Test
    void generatorStopsAtEos() throws Exception {
        DecoderConfig c = TestPackages.llama(64);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16, 11);
        int firstGreedy;
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1))) {
            firstGreedy = new Generator(decoder).generate(new int[] {1, 2, 3}, 4, new Sampler(Sampler.Settings.greedy()), false)
                    .generatedIds()[1];
        }
        Manifest withEos = new Manifest(m.formatVersion(), m.producer(), m.model(), m.quant(), m.platform(), m.tensors(), m.files(),
                new Manifest.Generation(List.of(firstGreedy), -1, c.maxContextTokens(), null));
        try (Device device = EmuDevices.open(ModelConfig.from(withEos).platform());
             Decoder decoder = Decoder.load(device, withEos, dir, Decoder.Options.forBatch(c, 1))) {
            Generator.Result r = new Generator(decoder).generate(new int[] {1, 2, 3}, 10, new Sampler(Sampler.Settings.greedy()), false);
            assertEquals(Generator.FinishReason.EOS, r.finish());
            assertEquals(firstGreedy, r.generatedIds()[r.generatedIds().length - 1]);
            assertTrue(r.generatedIds().length <= 2, java.util.Arrays.toString(r.generatedIds()));
            assertEquals(decoder.kvCache().pages().totalPages(), decoder.kvCache().pages().freePages(), "the finished sequence gave its pages back");
        }
    }

    /**
     * A device without launch programs (here the emulated card through a binding that lacks
     * tf_exec_program) gets the documented fallback: direct launches by default, PROGRAM refused as
     * UNAVAILABLE naming the device, and the same logits bit for bit as the recorded programs.
     */
    @Test
    void deviceWithoutLaunchProgramsFallsBackToDirectLaunchesBitForBit() throws Exception {
        DecoderConfig c = TestPackages.llama(40);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16, 11);
        int[][] prompts = {{1, 2, 3, 4}, {5, 6}};
        Lockstep programs;
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 2))) {
            assertEquals(Decoder.LaunchMode.PROGRAM, decoder.launchMode());
            programs = lockstep(decoder, prompts, 20);
            assertEquals(19, decoder.programReplays());
        }
        EmuDevice.KernelBinding full = Devices.emulationKernels();
        EmuDevice.KernelBinding withoutPrograms = full::handle; // no addressHandle, no programHandle
        try (Device device = new EmuDevice(ModelConfig.from(m).platform(), withoutPrograms);
             Decoder decoder = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 2))) {
            assertTrue(device.launchRecorder().isEmpty());
            assertEquals(Decoder.LaunchMode.DIRECT, decoder.launchMode(), "no recorder: direct launches");
            DeviceException e = assertThrows(DeviceException.class, () -> decoder.launchMode(Decoder.LaunchMode.PROGRAM));
            assertEquals(DeviceException.ErrorCode.UNAVAILABLE, e.code());
            assertTrue(e.getMessage().contains(device.toString()), e.getMessage());
            Lockstep direct = lockstep(decoder, prompts, 20);
            assertEquals(0, decoder.programReplays());
            assertEquals(programs.launches(), direct.launches(), "same kernels issued");
            for (int step = 0; step < 20; step++) {
                for (int b = 0; b < prompts.length; b++) {
                    assertArrayEquals(programs.logits()[step][b], direct.logits()[step][b], "step " + step + " row " + b);
                }
            }
        }
    }
}
