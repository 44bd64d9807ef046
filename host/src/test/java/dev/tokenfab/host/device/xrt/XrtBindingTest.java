package dev.tokenfab.host.device.xrt;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.bitstreams.EmulationXclbins;
import dev.tokenfab.bitstreams.xclbin.XclbinReader;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.kernels.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FFM binding against the real XRT 2.13 with the noop shim, loading xclbins our writer produced. */
class XrtBindingTest {

    @TempDir static Path dir;
    static Path xclbin;

    @BeforeAll
    static void setUp() throws Exception {
        XrtTestSupport.assumeNoopXrt();
        xclbin = EmulationXclbins.build(Platform.U55C, dir);
    }

    @Test
    void xrtReadsOurXclbin() throws Exception {
        UUID ours = XclbinReader.read(xclbin).uuid();
        try (Xrt.Xclbin x = Xrt.Xclbin.fromFile(xclbin)) {
            assertEquals(ours, x.uuid());
            assertEquals(Platform.U55C.vitisPlatform(), x.platformName());
            assertEquals(Kernel.values().length, x.kernelCount());
        }
    }

    @Test
    void loadOpenAllocateRun() throws Exception {
        try (Xrt.Device d = Xrt.Device.open(0); Xrt.Xclbin x = Xrt.Xclbin.fromFile(xclbin)) {
            assertTrue(d.emulated());
            UUID uuid = d.load(x);
            assertEquals(x.uuid(), uuid);
            assertEquals(uuid, d.xclbinUuid());
            Xrt.Kernel add = d.openKernel(uuid, Kernel.ADD.symbol());
            int group = add.groupId(0);
            assertTrue(group >= 0 && group < Platform.U55C.memoryBanks(), "group " + group);

            Xrt.Bo bo = d.allocate(4096, 3);
            assertEquals(4096, bo.nativeSizeBytes());
            try (Arena a = Arena.ofConfined()) {
                MemorySegment src = a.allocate(JAVA_FLOAT, 4);
                for (int i = 0; i < 4; i++) src.setAtIndex(JAVA_FLOAT, i, i + 0.5f);
                bo.write(src, 64);
                bo.sync(SyncDirection.TO_DEVICE, 16, 64);
                assertEquals(2.5f, bo.map().get(JAVA_FLOAT, 64 + 8));      // the mapped backing store holds what was written
                bo.sync(SyncDirection.FROM_DEVICE, 16, 64);
                MemorySegment back = a.allocate(16);
                bo.read(back, 64);
                assertEquals(-1L, back.mismatch(src));
                // a heap segment goes through a native bounce buffer
                float[] heap = new float[4];
                bo.read(MemorySegment.ofArray(heap), 64);
                assertEquals(3.5f, heap[3]);
            }
            Xrt.Bo sub = bo.subBuffer(1024, 1024);
            assertEquals(bo.map().address() + 1024, sub.map().address(), "sub-BO maps into its parent at the offset");
            assertEquals(1024, sub.parentOffsetBytes());

            Xrt.Run run = add.openRun();
            run.setArg(0, bo);
            run.setArg(1, sub);
            run.setArg(2, d.allocate(4096, 5));
            run.setArg(3, 4);
            run.start();
            assertEquals(RunState.COMPLETED, run.await(Duration.ofSeconds(5)));
            assertEquals(RunState.COMPLETED, run.state());

            // XRT parsed our EMBEDDED_METADATA: tf_add has exactly 4 arguments
            var extra = assertThrows(DeviceException.class, () -> run.setArg(4, 1));
            assertEquals(DeviceException.ErrorCode.BAD_ARGUMENT, extra.code());
            assertTrue(extra.getMessage().contains("xrtRunSetArg(tf_add arg 4 = 1) failed: XRT ERROR"), extra.getMessage());

            Xrt.Run rms = d.openKernel(uuid, Kernel.RMSNORM.symbol()).openRun();
            rms.setArg(4, 1e-5f);   // float through varargs as double
            rms.setArg(3, 16);
        }
    }

    @Test
    void closingTheDeviceClosesChildrenAndClosedUseThrows() throws Exception {
        Xrt.Bo bo;
        Xrt.Kernel k;
        try (Xrt.Device d = Xrt.Device.open(0); Xrt.Xclbin x = Xrt.Xclbin.fromFile(xclbin)) {
            UUID uuid = d.load(x);
            k = d.openKernel(uuid, Kernel.ARGMAX.symbol());
            bo = d.allocate(256, 0);
            bo.subBuffer(64, 64);
            k.openRun();
        }
        assertTrue(bo.isClosed() && k.isClosed());
        var e = assertThrows(IllegalStateException.class, bo::map);
        assertEquals("Bo is closed", e.getMessage());
        assertEquals("Kernel is closed", assertThrows(IllegalStateException.class, k::openRun).getMessage());
    }

    /** XRT segfaults at exit when a device still owns BOs/kernels; the exit hook closes them. */
    @Test
    void exitWithOpenHandlesDoesNotCrash(@TempDir Path cwd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                LeakyXrtChild.class.getName(), xclbin.toString()).directory(cwd.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("leaving with open handles"), out);
        try (var files = Files.list(cwd)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")), "JVM crash log written");
        }
    }

    @Test
    void badXclbinBytesAreRefused() throws Exception {
        var e = assertThrows(DeviceException.class, () -> Xrt.Xclbin.fromBytes("not an xclbin".getBytes(), "garbage.xclbin"));
        assertEquals(DeviceException.ErrorCode.BAD_BINARY, e.code());
        assertTrue(e.getMessage().contains("xrtXclbinAllocRawData(garbage.xclbin) failed: XRT ERROR: Invalid xclbin"), e.getMessage());
        Path missing = dir.resolve("missing.xclbin");
        var m = assertThrows(DeviceException.class, () -> Xrt.Xclbin.fromFile(missing));
        assertTrue(m.getMessage().contains(missing.toString()), m.getMessage());
        // our bytes through the raw-data path work
        try (Xrt.Xclbin x = Xrt.Xclbin.fromBytes(Files.readAllBytes(xclbin), "memory")) {
            assertEquals(XclbinReader.read(xclbin).uuid(), x.uuid());
        }
    }

    @Test
    void unknownKernelAndBadSizesAreRefused() throws Exception {
        try (Xrt.Device d = Xrt.Device.open(0); Xrt.Xclbin x = Xrt.Xclbin.fromFile(xclbin)) {
            UUID uuid = d.load(x);
            var e = assertThrows(DeviceException.class, () -> d.openKernel(uuid, "tf_nope"));
            assertEquals(DeviceException.ErrorCode.BAD_BINARY, e.code());
            assertTrue(e.getMessage().contains("XRT ERROR: No such kernel 'tf_nope'"), e.getMessage());
            assertEquals(DeviceException.ErrorCode.OUT_OF_RANGE, assertThrows(DeviceException.class, () -> d.allocate(0, 0)).code());
            Xrt.Bo bo = d.allocate(128, 0);
            try (Arena a = Arena.ofConfined()) {
                var r = assertThrows(DeviceException.class, () -> bo.write(a.allocate(JAVA_INT, 16), 100));
                assertEquals(DeviceException.ErrorCode.OUT_OF_RANGE, r.code());
                assertTrue(r.getMessage().contains("64 bytes at offset 100 outside the 128-byte BO"), r.getMessage());
                // an offset whose sum with the size overflows a long is still outside, not a native write
                assertEquals(DeviceException.ErrorCode.OUT_OF_RANGE,
                        assertThrows(DeviceException.class, () -> bo.write(a.allocate(JAVA_INT, 16), Long.MAX_VALUE - 8)).code());
            }
            assertEquals(BankMap.emulation(Platform.U55C).instances().size(), Kernel.values().length);
        }
    }
}
