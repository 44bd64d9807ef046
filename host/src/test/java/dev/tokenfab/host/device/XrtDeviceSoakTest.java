package dev.tokenfab.host.device;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.xrt.XrtTestSupport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 10 000 allocate/write/read/free cycles on XRT's noop shim must not grow native memory: every
 * cycle's BO is 64 KiB, so a leak of one BO per cycle would add about 640 MiB of RSS.
 * Run: {@code ./mvnw -pl host -am test -Dtest=XrtDeviceSoakTest -Dtest.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("soak")
class XrtDeviceSoakTest {

    static final int CYCLES = 10_000, WARMUP_CYCLES = 1_000;
    static final long BO_BYTES = 64 << 10;
    /** Allowed RSS growth: JIT, malloc arenas and GC noise, far below one leaked BO per cycle (625 MiB). */
    static final long MAX_GROWTH_BYTES = 32L << 20;

    static long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) << 10;
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void allocWriteReadFreeDoesNotLeak() throws Exception {
        XrtTestSupport.assumeNoopXrt();
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, (k, a) -> 0)); Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(BO_BYTES), dst = a.allocate(BO_BYTES);
            long before = 0;
            for (int i = 0; i < WARMUP_CYCLES + CYCLES; i++) {
                if (i == WARMUP_CYCLES) { System.gc(); before = rssBytes(); }
                src.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, i);
                try (DeviceBuffer b = d.allocate(i % 32, BO_BYTES)) {
                    d.write(b, 0, src);
                    d.read(b, 0, dst);
                }
                assertEquals(i, dst.get(java.lang.foreign.ValueLayout.JAVA_INT, 0));
            }
            System.gc();
            long growth = rssBytes() - before;
            System.out.printf("XRT noop soak: %d cycles of %d KiB, RSS growth %.1f MiB (measured, /proc/self/status)%n",
                    CYCLES, BO_BYTES >> 10, growth / 1048576.0);
            assertTrue(growth < MAX_GROWTH_BYTES, "RSS grew " + growth + " bytes over " + CYCLES + " cycles");
        }
    }

    /** Host-side cost of one launch through XRT's noop shim (set args, start, wait), compute excluded. */
    @Test
    void launchOverheadIsMeasured() throws Exception {
        XrtTestSupport.assumeNoopXrt();
        final int launches = 5_000, warmup = 1_000;
        try (XrtDevice d = XrtDevice.open(XrtDevice.Options.emulation(Platform.U55C, (k, a) -> 0))) {
            DeviceBuffer a = d.allocate(0, 1 << 16), b = d.allocate(1, 1 << 16), out = d.allocate(2, 1 << 16);
            for (long offset : new long[] {0, 4096}) {
                long t0 = 0;
                for (int i = 0; i < warmup + launches; i++) {
                    if (i == warmup) t0 = System.nanoTime();
                    d.launch(dev.tokenfab.kernels.Kernel.ADD, KernelArg.of(a, offset), KernelArg.of(b), KernelArg.of(out), KernelArg.i32(1024));
                }
                double us = (System.nanoTime() - t0) / 1e3 / launches;
                System.out.printf("XRT noop launch overhead (tf_add, x offset %d B): %.1f us/launch (measured, wall clock, %d launches)%n",
                        offset, us, launches);
                assertTrue(us > 0);
            }
        }
    }
}
