package dev.tokenfab.host.device;

import dev.tokenfab.format.quant.KvCacheDtype;
import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.bitstreams.xclbin.XclbinMode;
import dev.tokenfab.bitstreams.xclbin.XclbinWriter;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.xrt.XrtTestSupport;
import dev.tokenfab.host.runtime.Decoder;
import dev.tokenfab.host.runtime.KvCache;
import dev.tokenfab.host.runtime.ModelConfig;
import dev.tokenfab.host.runtime.Sampler;
import dev.tokenfab.host.runtime.TestPackages;
import dev.tokenfab.kernels.KernelLibrary;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime's decode loop on XrtDevice (XRT noop shim: BOs, runs, sub-BOs, then the
 * C-simulation on the mapped BOs) against the same loop on the emulated device: every step's
 * logits must be identical, since both run the same kernels on the same bytes at the same offsets.
 */
class XrtDecodeTest {

    @TempDir Path dir;

    static Stream<Arguments> packages() {
        return Stream.of(
                Arguments.of("llama", PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16),
                Arguments.of("llama", PackedFormat.Q4_GROUP, KvCacheDtype.INT8),
                Arguments.of("gpt2", PackedFormat.F16, KvCacheDtype.FP16));
    }

    @ParameterizedTest(name = "{0} {1} kv {2}")
    @MethodSource("packages")
    void decodeOnXrtMatchesTheEmulatedDeviceBitForBit(String family, PackedFormat format, KvCacheDtype kv) throws Exception {
        XrtTestSupport.assumeNoopXrt();
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        DecoderConfig c = family.equals("llama") ? TestPackages.llama(40) : TestPackages.gpt2(40);
        Manifest m = TestPackages.write(dir, c, format, kv, 7);
        Platform p = ModelConfig.from(m).platform();
        try (XrtDevice xrt = XrtDevice.open(XrtDevice.Options.emulation(p, sim));
             Device emu = new EmuDevice(p, Devices.libraryBinding(KernelLibrary.libraryPath()));
             Decoder onXrt = Decoder.load(xrt, m, dir, Decoder.Options.forBatch(c, 1));
             Decoder onEmu = Decoder.load(emu, m, dir, Decoder.Options.forBatch(c, 1));
             KvCache.Sequence sx = onXrt.kvCache().openSequence();
             KvCache.Sequence se = onEmu.kvCache().openSequence()) {
            xrt.checkPackage(m);
            int token = 1;
            long emuNs = 0, xrtNs = 0;
            final int steps = 20;   // crosses a KV page boundary (16 tokens per page)
            for (int pos = 0; pos < steps; pos++) {
                long t0 = System.nanoTime();
                float[] expected = onEmu.forward(se, token, pos);
                long t1 = System.nanoTime();
                float[] actual = onXrt.forward(sx, token, pos);
                long t2 = System.nanoTime();
                if (pos > 0) { emuNs += t1 - t0; xrtNs += t2 - t1; }   // timed from the second token
                assertArrayEquals(expected, actual, "logits at position " + pos);
                token = Sampler.argmax(expected);
            }
            System.out.printf("decode %s %s kv %s: emu %.2f ms/token, xrt noop %.2f ms/token (measured, host wall clock, tiny test model)%n",
                    family, format, kv, emuNs / 1e6 / (steps - 1), xrtNs / 1e6 / (steps - 1));
        }
    }

    /**
     * On XRT the recorded step (pre-bound runs replayed, positions patched) gives the direct
     * launches' logits bit for bit, and both equal the emulated card, in lockstep batches of 1 and 3
     * over 20 positions (a KV page boundary); the same kernels are issued either way.
     */
    @ParameterizedTest(name = "{0} {1} kv {2}")
    @MethodSource("packages")
    void programReplayOnXrtEqualsDirectLaunchesAndEmuBitForBit(String family, PackedFormat format, KvCacheDtype kv) throws Exception {
        XrtTestSupport.assumeNoopXrt();
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        DecoderConfig c = family.equals("llama") ? TestPackages.llama(40) : TestPackages.gpt2(40);
        Manifest m = TestPackages.write(dir, c, format, kv, 13);
        Platform p = ModelConfig.from(m).platform();
        final int steps = 20;
        for (int batch : new int[] {1, 3}) {
            float[][][] emu = lockstep(new EmuDevice(p, Devices.libraryBinding(KernelLibrary.libraryPath())), m, c, batch, steps, null);
            long[] launches = new long[2];
            float[][][] direct = lockstep(XrtDevice.open(XrtDevice.Options.emulation(p, sim)), m, c, batch, steps, Decoder.LaunchMode.DIRECT, launches, 0);
            float[][][] program = lockstep(XrtDevice.open(XrtDevice.Options.emulation(p, sim)), m, c, batch, steps, Decoder.LaunchMode.PROGRAM, launches, 1);
            for (int s = 0; s < steps; s++)
                for (int b = 0; b < batch; b++) {
                    assertArrayEquals(emu[s][b], direct[s][b], "xrt direct vs emu, batch " + batch + " step " + s + " row " + b);
                    assertArrayEquals(direct[s][b], program[s][b], "xrt program vs direct, batch " + batch + " step " + s + " row " + b);
                }
            assertEquals(launches[0], launches[1], "same kernels issued, batch " + batch);
        }
    }

    private float[][][] lockstep(Device device, Manifest m, DecoderConfig c, int batch, int steps, Decoder.LaunchMode mode) throws Exception {
        return lockstep(device, m, c, batch, steps, mode, new long[1], 0);
    }

    /** Greedy lockstep decode of {@code batch} sequences on {@code device} (closed after); kernel launches into launches[at]. */
    private float[][][] lockstep(Device device, Manifest m, DecoderConfig c, int batch, int steps, Decoder.LaunchMode mode,
                                 long[] launches, int at) throws Exception {
        try (device; Decoder d = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, batch))) {
            if (mode != null) d.launchMode(mode);
            d.timeKernels(true);
            java.util.List<KvCache.Sequence> seqs = new java.util.ArrayList<>();
            for (int b = 0; b < batch; b++) seqs.add(d.kvCache().openSequence());
            int[] tokens = new int[batch], positions = new int[batch];
            for (int b = 0; b < batch; b++) tokens[b] = 1 + 3 * b;
            float[][][] out = new float[steps][][];
            for (int s = 0; s < steps; s++) {
                for (int b = 0; b < batch; b++) positions[b] = s;
                out[s] = d.forwardBatch(seqs, tokens, positions);
                for (int b = 0; b < batch; b++) tokens[b] = Sampler.argmax(out[s][b]);
            }
            if (mode == Decoder.LaunchMode.PROGRAM) assertEquals(steps - 1, d.programReplays(), "recorded once, replayed after");
            launches[at] = d.kernelLaunches();
            for (KvCache.Sequence sq : seqs) sq.close();
            return out;
        }
    }

    /**
     * A plan-specific xclbin (BankMap.forPlacement: one GEMV unit per weight bank, every port wired
     * only to its buffers' banks) with the runtime's explicit KV and activation placement: every
     * launch must find a compute unit that reaches its buffers, and the logits must still equal emu.
     */
    @Test
    void decodeOnAPlanSpecificXclbinFindsAComputeUnitForEveryLaunch() throws Exception {
        XrtTestSupport.assumeNoopXrt();
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        DecoderConfig c = TestPackages.llama(40);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q8_CHANNEL, KvCacheDtype.INT8, 11);
        Platform p = ModelConfig.from(m).platform();
        int activationBank = p.memoryBanks() - 1;
        int[][] kvBanks = new int[c.numLayers()][];
        for (int l = 0; l < kvBanks.length; l++) kvBanks[l] = new int[] {20 + l % 2, 24 + l % 2};
        var weights = new java.util.EnumMap<PackedFormat, java.util.SortedSet<Integer>>(PackedFormat.class);
        var vectors = new java.util.TreeSet<Integer>();
        for (Manifest.Tensor t : m.tensors())
            for (Manifest.Shard sh : t.shards())
                if (t.format() == PackedFormat.F32) vectors.add(sh.bank());
                else weights.computeIfAbsent(t.format(), f -> new java.util.TreeSet<>()).add(sh.bank());
        var placement = new BankMap.Placement(weights, vectors, new java.util.TreeSet<>(java.util.Set.of(20, 21)),
                new java.util.TreeSet<>(java.util.Set.of(24, 25)), activationBank);
        BankMap map = BankMap.forPlacement(p, placement);
        long gemvUnits = map.instances().stream().filter(i -> i.kernel() == dev.tokenfab.kernels.Kernel.GEMV_Q8).count();
        assertEquals(weights.get(PackedFormat.Q8_CHANNEL).size(), gemvUnits, "one GEMV unit per weight bank");
        Path xclbin = XclbinWriter.write(map, XclbinMode.HW_EMU, dir.resolve("plan.xclbin"));
        Decoder.Options opts = Decoder.Options.forBatch(c, 1).withPlacement(kvBanks, activationBank);
        try (XrtDevice xrt = XrtDevice.open(new XrtDevice.Options(0, p, xclbin, XrtDevice.Options.DEFAULT_RUN_TIMEOUT, sim));
             Device emu = new EmuDevice(p, Devices.libraryBinding(KernelLibrary.libraryPath()));
             Decoder onXrt = Decoder.load(xrt, m, dir, opts);
             Decoder onEmu = Decoder.load(emu, m, dir, opts);
             KvCache.Sequence sx = onXrt.kvCache().openSequence();
             KvCache.Sequence se = onEmu.kvCache().openSequence()) {
            int token = 1;
            for (int pos = 0; pos < 18; pos++) {
                float[] expected = onEmu.forward(se, token, pos);
                assertArrayEquals(expected, onXrt.forward(sx, token, pos), "logits at position " + pos);
                token = Sampler.argmax(expected);
            }
            System.out.printf("plan-specific xclbin: %d compute units (%d GEMV), decode equal to emu%n", map.instances().size(), gemvUnits);
        }
    }
}
