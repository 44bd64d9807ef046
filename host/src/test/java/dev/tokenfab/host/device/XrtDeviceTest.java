package dev.tokenfab.host.device;

import dev.tokenfab.format.plan.Part;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.bitstreams.EmulationXclbins;
import dev.tokenfab.bitstreams.xclbin.XclbinMode;
import dev.tokenfab.bitstreams.xclbin.XclbinWriter;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceException.ErrorCode;
import dev.tokenfab.host.device.xrt.RunState;
import dev.tokenfab.host.device.xrt.XrtTestSupport;
import dev.tokenfab.kernels.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * XrtDevice on XRT's noop shim with the hls-kernels C-simulation on the mapped BOs. The reference
 * is the same C-simulation run on plain host memory (what the emulated device does): equal
 * inputs must give bit-identical outputs, and a wrong offset or argument must not.
 */
class XrtDeviceTest {

    static final int ROWS = 8, COLS = 32;
    /** Offset of x inside its buffer: launches must pass it through (a sub-BO) to the compute. */
    static final long X_OFFSET_BYTES = 256;
    /** Buffers are this big so that deliberately wrong launches stay inside them. */
    static final long BUFFER_BYTES = 4096;

    @TempDir static Path dir;
    static final CsimCompute.Simulator NOT_REACHED = (k, a) -> { throw new AssertionError("simulation must not run: " + k); };

    static byte[] w = new byte[ROWS * COLS];
    static float[] scales = new float[ROWS], x = new float[COLS];

    @BeforeAll
    static void setUp() {
        XrtTestSupport.assumeNoopXrt();
        Random r = new Random(42);
        r.nextBytes(w);
        for (int i = 0; i < ROWS; i++) scales[i] = 0.01f + r.nextFloat() * 0.02f;
        for (int i = 0; i < COLS; i++) x[i] = r.nextFloat() * 2 - 1;
    }

    /** y = W x on the emulated device (EmuDevice: the C-simulation on host memory), the reference. */
    static float[] emuReference() throws DeviceException {
        XrtTestSupport.assumeSimulator();
        try (Device emu = new EmuDevice(Platform.U55C, Devices.libraryBinding(dev.tokenfab.kernels.KernelLibrary.libraryPath()))) {
            Bufs b = upload(emu);
            launchGemv(emu, b, X_OFFSET_BYTES, ROWS, COLS);
            return readY(emu, b, ROWS);
        }
    }

    static void launchGemv(Device d, Bufs b, long xOffsetBytes, int rows, int cols) throws DeviceException {
        d.launch(Kernel.GEMV_Q8, KernelArg.of(b.w()), KernelArg.of(b.scales()), KernelArg.NULL,
                KernelArg.of(b.x(), xOffsetBytes), KernelArg.of(b.y()), KernelArg.i32(rows), KernelArg.i32(cols), KernelArg.i32(1));
    }

    record Bufs(DeviceBuffer w, DeviceBuffer scales, DeviceBuffer x, DeviceBuffer y) {}

    static Bufs upload(Device d) throws DeviceException {
        Bufs b = new Bufs(d.allocate(0, BUFFER_BYTES), d.allocate(1, BUFFER_BYTES), d.allocate(2, BUFFER_BYTES), d.allocate(3, BUFFER_BYTES));
        d.write(b.w(), 0, MemorySegment.ofArray(w));
        d.write(b.scales(), 0, MemorySegment.ofArray(scales));
        d.write(b.x(), X_OFFSET_BYTES, MemorySegment.ofArray(x));
        return b;
    }

    static float[] readY(Device d, Bufs b, int n) throws DeviceException {
        float[] y = new float[n];
        d.read(b.y(), 0, MemorySegment.ofArray(y));
        return y;
    }

    @Test
    void gemvOnMappedBosMatchesTheEmulatedReference() throws Exception {
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        float[] expected = emuReference();
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, sim))) {
            assertEquals(DeviceInfo.Kind.XRT, d.info().kind());
            assertTrue(d.info().emulatedCompute());
            assertEquals(32, d.info().banks().size());
            assertEquals("HBM[31]", d.info().banks().get(31).tag());
            assertTrue(d.launchRecorder().isPresent(), "XRT records launch programs (pre-bound runs)");
            assertFalse(d.writesConcurrentWithLaunches());
            Bufs b = upload(d);
            launchGemv(d, b, X_OFFSET_BYTES, ROWS, COLS);
            assertArrayEquals(expected, readY(d, b, ROWS), "XRT + C-simulation on mapped BOs must equal the emulated device bit for bit");
        }
    }

    /**
     * Offset arguments get one sub-BO per (buffer, offset), kept for the buffer's life: repeated
     * launches make none, a closed buffer gives its entries back, and past the bound a launch gets a
     * sub-BO for itself alone (counted) with the same result.
     */
    @Test
    void subBuffersAreCachedPerOffsetWithinTheBound() throws Exception {
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        float[] expected = emuReference();
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, sim))) {
            Bufs b = upload(d);
            for (int i = 0; i < 3; i++) launchGemv(d, b, X_OFFSET_BYTES, ROWS, COLS);
            assertEquals(1, d.cachedSubBuffers(), "one sub-BO for x at its offset, made once");
            assertEquals(0, d.transientSubBuffers());
            assertArrayEquals(expected, readY(d, b, ROWS));
            b.x().close();
            assertEquals(0, d.cachedSubBuffers(), "closing the buffer closes its sub-BOs");
        }
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, sim).withSubBufferCacheEntries(0))) {
            Bufs b = upload(d);
            for (int i = 0; i < 3; i++) launchGemv(d, b, X_OFFSET_BYTES, ROWS, COLS);
            assertEquals(0, d.cachedSubBuffers());
            assertEquals(3, d.transientSubBuffers(), "cache bound 0: a sub-BO per launch, closed after it");
            assertArrayEquals(expected, readY(d, b, ROWS));
        }
    }

    /**
     * The per-token path allocates nothing: after warm-up, direct launches with an offset argument
     * and replays of a recorded program make no sub-BO and allocate (almost) no Java heap
     * (ThreadMXBean, this thread; the bound leaves room for a stray JIT or FFM allocation, far
     * below the ~2 KB per launch of the path this replaced).
     */
    @Test
    void launchesAndReplaysAllocateNothingOnceWarm() throws Exception {
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        final int warmup = 2_000, launches = 5_000;
        final long maxBytesPerLaunch = 8;
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, sim))) {
            DeviceBuffer a = d.allocate(0, 1 << 12), b = d.allocate(1, 1 << 12), out = d.allocate(2, 1 << 12);
            KernelArg[] args = {KernelArg.of(a, 256), KernelArg.of(b), KernelArg.of(out, 512), KernelArg.i32(64)};
            LaunchRecorder recorder = d.launchRecorder().orElseThrow();
            recorder.beginRecording();
            d.launch(Kernel.ADD, args);
            d.launch(Kernel.ADD, KernelArg.of(out, 512), KernelArg.of(b, 128), KernelArg.of(out, 512), KernelArg.i32(64));
            int slot = recorder.recordedArgSlot(3);
            LaunchProgram p = recorder.finishRecording().orElseThrow();
            for (int i = 0; i < warmup; i++) {
                d.launch(Kernel.ADD, args);
                p.setInt(slot, 32 + (i & 31));
                recorder.replay(p);
            }
            int cached = d.cachedSubBuffers();
            long a0 = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < launches; i++) {
                d.launch(Kernel.ADD, args);
                p.setInt(slot, 32 + (i & 31));
                recorder.replay(p);
            }
            long bytes = threads.getCurrentThreadAllocatedBytes() - a0;
            System.out.printf("XRT noop: %d bytes of Java heap over %d direct launches + %d replays of 2 runs (measured, ThreadMXBean)%n",
                    bytes, launches, launches);
            assertEquals(cached, d.cachedSubBuffers(), "no sub-BO made once warm");
            assertEquals(0, d.transientSubBuffers());
            assertTrue(bytes <= maxBytesPerLaunch * launches, bytes + " bytes allocated over " + launches + " launches and replays");
            p.close();
        }
    }

    /**
     * XRT's launch program: recorded launches (which run while recorded) replay from pre-bound runs,
     * a patched int changes what the replay computes, and a closed buffer stops the replay; ARGMAX
     * (whose return a replay cannot give) breaks the recording.
     */
    @Test
    void recordedProgramReplaysWithPatchedScalars() throws Exception {
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, sim)); Arena a = Arena.ofConfined()) {
            DeviceBuffer x = d.allocate(0, 64), y = d.allocate(1, 64), out = d.allocate(2, 64);
            d.write(x, 0, a.allocateFrom(JAVA_FLOAT, 1f, 2f, 3f, 4f));
            d.write(y, 0, a.allocateFrom(JAVA_FLOAT, 10f, 20f, 30f, 40f));
            d.write(out, 0, a.allocate(64));
            LaunchRecorder recorder = d.launchRecorder().orElseThrow();
            recorder.beginRecording();
            d.launch(Kernel.ADD, KernelArg.of(x), KernelArg.of(y), KernelArg.of(out), KernelArg.i32(2)); // runs while recorded
            int nSlot = recorder.recordedArgSlot(3);
            d.launch(Kernel.ADD, KernelArg.of(out, 8), KernelArg.of(y, 8), KernelArg.of(out, 8), KernelArg.i32(1));
            LaunchProgram p = recorder.finishRecording().orElseThrow();
            assertEquals(2, p.commands());
            MemorySegment host = a.allocate(16);
            d.read(out, 0, host);
            assertArrayEquals(new float[] {11f, 22f, 30f, 0f}, host.toArray(JAVA_FLOAT));
            p.setInt(nSlot, 4); // the first add now covers 4 floats; the second adds y[2] to out[2] again
            recorder.replay(p);
            d.read(out, 0, host);
            assertArrayEquals(new float[] {11f, 22f, 63f, 44f}, host.toArray(JAVA_FLOAT));
            assertThrows(IllegalArgumentException.class, () -> p.setInt(nSlot - 1, 1), "slot of a pointer argument");
            out.close();
            DeviceException e = assertThrows(DeviceException.class, () -> recorder.replay(p));
            assertEquals(ErrorCode.BAD_ARGUMENT, e.code());
            p.close();
            recorder.beginRecording();
            d.launch(Kernel.ARGMAX, KernelArg.of(x), KernelArg.i32(4));
            assertTrue(recorder.finishRecording().isEmpty(), "ARGMAX cannot be replayed");
        }
    }

    @Test
    void factoryDefaultsRunUnderNoopWithTheBundledSimulation() throws Exception {
        XrtTestSupport.assumeSimulator();
        float[] expected = emuReference();
        XrtDevice.Options o = XrtDevice.Options.defaults(Platform.U55C, null);
        assertNotNull(o.simulator(), "noop shim selected: the C-simulation is required");
        try (XrtDevice d = XrtDevice.open(o)) {
            Bufs b = upload(d);
            launchGemv(d, b, X_OFFSET_BYTES, ROWS, COLS);
            assertArrayEquals(expected, readY(d, b, ROWS));
        }
    }

    @Test
    void wrongOffsetOrSwappedArgumentsChangeTheResult() throws Exception {
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        float[] expected = emuReference();
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, sim))) {
            Bufs b = upload(d);
            // offset forgotten: the kernel reads the zeros before x
            launchGemv(d, b, 0, ROWS, COLS);
            assertFalse(java.util.Arrays.equals(expected, readY(d, b, ROWS)), "wrong x offset must change y");
            // rows and cols swapped
            launchGemv(d, b, X_OFFSET_BYTES, COLS, ROWS);
            assertFalse(java.util.Arrays.equals(expected, readY(d, b, ROWS)), "swapped rows/cols must change y");
            // w and x buffers swapped: int8 weights read as floats and the other way round
            d.launch(Kernel.GEMV_Q8, KernelArg.of(b.x(), X_OFFSET_BYTES), KernelArg.of(b.scales()), KernelArg.NULL,
                    KernelArg.of(b.w()), KernelArg.of(b.y()), KernelArg.i32(ROWS), KernelArg.i32(COLS), KernelArg.i32(1));
            assertFalse(java.util.Arrays.equals(expected, readY(d, b, ROWS)), "swapped w/x must change y");
            // the right launch again restores the reference: nothing else leaked between runs
            launchGemv(d, b, X_OFFSET_BYTES, ROWS, COLS);
            assertArrayEquals(expected, readY(d, b, ROWS));
        }
    }

    @Test
    void argmaxReturnsThroughLaunch() throws Exception {
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U280, sim))) {
            DeviceBuffer v = d.allocate(33, 64);   // DDR[1] on the U280
            d.write(v, 0, MemorySegment.ofArray(new float[] {0.5f, -2f, 7.25f, 7.0f, 1f}));
            assertEquals(2, d.launch(Kernel.ARGMAX, KernelArg.of(v), KernelArg.i32(5)));
            assertEquals(1, d.launch(Kernel.ARGMAX, KernelArg.of(v, 4), KernelArg.i32(4)), "offset 4 bytes: index within [-2, 7.25, 7, 1]");
            assertEquals(0, d.launch(Kernel.ARGMAX, KernelArg.of(v, 12), KernelArg.i32(2)), "offset 12 bytes: index within [7, 1]");
        }
    }

    /** An xclbin with every U55C bank whose only kernel, tf_gemv_q8, has x wired to HBM[2] alone. */
    static Path restrictedXclbin() throws Exception {
        Map<String, List<BankMap.BankRange>> banks = new LinkedHashMap<>();
        for (Kernel.Arg a : Kernel.GEMV_Q8.args())
            if (a.kind() == Kernel.ArgKind.POINTER) banks.put(a.name(), List.of(new BankMap.BankRange(0, 31)));
        banks.put("x", List.of(BankMap.BankRange.of(2)));
        var map = new BankMap(Platform.U55C, List.of(new BankMap.Instance(Kernel.GEMV_Q8, "tf_gemv_q8_1", banks, OptionalInt.empty())));
        return XclbinWriter.write(map, XclbinMode.FLAT, dir.resolve("restricted.xclbin"));
    }

    @Test
    void bufferInABankTheArgumentIsNotWiredToIsRefused() throws Exception {
        var o = new XrtDevice.Options(0, Platform.U55C, restrictedXclbin(), Duration.ofSeconds(5), NOT_REACHED);
        try (XrtDevice d = XrtDevice.open(o)) {
            DeviceBuffer buf = d.allocate(5, BUFFER_BYTES);
            var e = assertThrows(DeviceException.class, () -> d.launch(Kernel.GEMV_Q8, KernelArg.of(buf), KernelArg.of(buf), KernelArg.NULL,
                    KernelArg.of(buf), KernelArg.of(buf), KernelArg.i32(1), KernelArg.i32(1), KernelArg.i32(1)));
            assertEquals(ErrorCode.BAD_BANK, e.code());
            assertTrue(e.getMessage().contains("tf_gemv_q8.x (argument 3) is wired to memory [HBM[2]]")
                    && e.getMessage().contains("bank 5 (HBM[5])"), e.getMessage());
            // a kernel the user's xclbin lacks fails at launch, naming it
            var missing = assertThrows(DeviceException.class, () -> d.launch(Kernel.ARGMAX, KernelArg.of(buf), KernelArg.i32(1)));
            assertEquals(ErrorCode.BAD_BINARY, missing.code());
            assertTrue(missing.getMessage().contains("no kernel tf_argmax"), missing.getMessage());
        }
    }

    @Test
    void xclbinForAnotherPlatformOrGarbageIsRefused() throws Exception {
        Path u280 = EmulationXclbins.build(Platform.U280, dir);
        var e = assertThrows(DeviceException.class, () -> XrtDevice.open(new XrtDevice.Options(0, Platform.U55C, u280, Duration.ofSeconds(1), NOT_REACHED)));
        assertEquals(ErrorCode.BAD_BINARY, e.code());
        assertTrue(e.getMessage().contains("built for platform 'xilinx_u280") && e.getMessage().contains("memory topology has 32 of the 32")
                || e.getMessage().contains("built for platform 'xilinx_u280"), e.getMessage());
        Path garbage = Files.write(dir.resolve("garbage.xclbin"), "definitely not axlf".getBytes());
        var g = assertThrows(DeviceException.class, () -> XrtDevice.open(new XrtDevice.Options(0, Platform.U55C, garbage, Duration.ofSeconds(1), NOT_REACHED)));
        assertEquals(ErrorCode.BAD_BINARY, g.code());
        assertTrue(g.getMessage().contains("garbage.xclbin") && g.getMessage().contains("too short"), g.getMessage());
    }

    @Test
    void kernelSignatureMismatchIsRefused() throws Exception {
        // tf_argmax (2 args) relabelled tf_swiglu (4 args): same name length, so every offset stays valid
        Map<String, List<BankMap.BankRange>> banks = Map.of("x", List.of(new BankMap.BankRange(0, 31)));
        byte[] img = XclbinWriter.toBytes(new BankMap(Platform.U55C, List.of(
                new BankMap.Instance(Kernel.ARGMAX, "k_1", banks, OptionalInt.empty()))), XclbinMode.FLAT);
        String s = new String(img, java.nio.charset.StandardCharsets.ISO_8859_1).replace("tf_argmax", "tf_swiglu");
        Path f = Files.write(dir.resolve("renamed.xclbin"), s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        var e = assertThrows(DeviceException.class, () -> XrtDevice.open(new XrtDevice.Options(0, Platform.U55C, f, Duration.ofSeconds(1), NOT_REACHED)));
        assertEquals(ErrorCode.BAD_BINARY, e.code());
        assertTrue(e.getMessage().contains("tf_swiglu has 2 arguments, tokenfab expects 4"), e.getMessage());
    }

    @Test
    void badBanksSizesAndArgumentsAreRefused() throws Exception {
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, NOT_REACHED))) {
            var bank = assertThrows(DeviceException.class, () -> d.allocate(32, 64));
            assertEquals(ErrorCode.BAD_BANK, bank.code());
            assertTrue(bank.getMessage().contains("bank 32"), bank.getMessage());
            assertEquals(ErrorCode.OUT_OF_MEMORY, assertThrows(DeviceException.class, () -> d.allocate(0, 1L << 40)).code());
            DeviceBuffer b = d.allocate(0, 64);
            var count = assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD, KernelArg.of(b)));
            assertEquals(ErrorCode.BAD_ARGUMENT, count.code());
            assertTrue(count.getMessage().contains("tf_add takes 4 arguments"), count.getMessage());
            var kind = assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD, KernelArg.of(b), KernelArg.of(b), KernelArg.of(b), KernelArg.of(b)));
            assertTrue(kind.getMessage().contains("tf_add.n (argument 3) is INT, got a buffer"), kind.getMessage());
            var off = assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD, KernelArg.of(b, 64), KernelArg.of(b), KernelArg.of(b), KernelArg.i32(1)));
            assertEquals(ErrorCode.OUT_OF_RANGE, off.code());
            var range = assertThrows(DeviceException.class, () -> d.write(b, 60, MemorySegment.ofArray(new float[2])));
            assertEquals(ErrorCode.OUT_OF_RANGE, range.code());
            b.close();
            assertThrows(IllegalStateException.class, () -> d.write(b, 0, MemorySegment.ofArray(new float[1])));
        }
    }

    @Test
    void packageForAnotherPlatformOrBankIsRefused() throws Exception {
        var data = Map.of("data", new dev.tokenfab.format.plan.Part(0, 1024));
        java.util.function.IntFunction<dev.tokenfab.format.pkg.Manifest> pkgWithBank = bank -> new dev.tokenfab.format.pkg.Manifest(
                dev.tokenfab.format.pkg.Manifest.FORMAT_VERSION, "test", null, null, "U250",
                List.of(new dev.tokenfab.format.pkg.Manifest.Tensor("layers.0.wq", dev.tokenfab.format.quant.PackedFormat.Q8_CHANNEL, 64, 16, 0, false,
                        List.of(new dev.tokenfab.format.pkg.Manifest.Shard(0, 32, 0, "weights/bank-00.bin", data),
                                new dev.tokenfab.format.pkg.Manifest.Shard(32, 32, bank, "weights/bank-xx.bin", data)))),
                List.of(), null);
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U250, NOT_REACHED))) {
            assertDoesNotThrow(() -> d.checkPackage(pkgWithBank.apply(3)));
            var bank = assertThrows(DeviceException.class, () -> d.checkPackage(pkgWithBank.apply(4)));
            assertEquals(ErrorCode.BAD_BINARY, bank.code());
            assertTrue(bank.getMessage().contains("tensor layers.0.wq rows 32..63 are placed in bank 4, the xclbin has banks 0..3"), bank.getMessage());
        }
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, NOT_REACHED))) {
            var plat = assertThrows(DeviceException.class, () -> d.checkPackage(pkgWithBank.apply(1)));
            assertTrue(plat.getMessage().contains("package targets platform U250, device loaded an xclbin for U55C"), plat.getMessage());
        }
    }

    @Test
    void closedDeviceAndItsBuffersRefuseUse() throws Exception {
        XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U250, NOT_REACHED));
        List<DeviceBuffer> bufs = new ArrayList<>();
        for (int bank = 0; bank < 4; bank++) bufs.add(d.allocate(bank, 1024));
        d.close();
        assertEquals("XrtDevice is closed", assertThrows(IllegalStateException.class, () -> d.allocate(0, 8)).getMessage());
        bufs.forEach(DeviceBuffer::close);   // closing twice after the device is harmless
    }

    @Test
    void runStatesMapToTimeoutOrError() {
        // the noop shim completes every run at start, so a real timeout cannot happen here: the mapping is tested directly
        assertDoesNotThrow(() -> XrtDevice.checkState(Kernel.ADD, RunState.COMPLETED, Duration.ofMillis(5)));
        var t = assertThrows(DeviceException.class, () -> XrtDevice.checkState(Kernel.ADD, RunState.RUNNING, Duration.ofMillis(5)));
        assertEquals(ErrorCode.TIMEOUT, t.code());
        assertTrue(t.getMessage().contains("tf_add still RUNNING after 5 ms"), t.getMessage());
        var e = assertThrows(DeviceException.class, () -> XrtDevice.checkState(Kernel.ADD, RunState.ERROR, Duration.ofMillis(5)));
        assertEquals(ErrorCode.NATIVE_ERROR, e.code());
    }
}
