package dev.tokenfab.host.device.xrt;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The environment check that keeps XRT from aborting the JVM, and the pure value mappings. */
class XrtLibraryTest {

    @Test
    void refusesMissingXilinxXrt() {
        var a = assertInstanceOf(XrtLibrary.Availability.Unavailable.class, XrtLibrary.check(Map.of("XCL_EMULATION_MODE", "noop")));
        assertTrue(a.reason().contains("XILINX_XRT is not set"), a.reason());
        assertTrue(a.fix().contains("ln -sfn /usr/lib/x86_64-linux-gnu"), a.fix());
    }

    @Test
    void refusesEmulationModesThatKillTheJvm() {
        for (String mode : new String[] {"sw_emu", "hw_emu", "bogus"}) {
            var a = assertInstanceOf(XrtLibrary.Availability.Unavailable.class,
                    XrtLibrary.check(Map.of("XCL_EMULATION_MODE", mode, "XILINX_XRT", "/opt/xilinx/xrt")));
            assertTrue(a.reason().contains("XCL_EMULATION_MODE=" + mode), a.reason());
        }
    }

    @Test
    void refusesMissingShim(@TempDir Path root) {
        var a = assertInstanceOf(XrtLibrary.Availability.Unavailable.class,
                XrtLibrary.check(Map.of("XCL_EMULATION_MODE", "noop", "XILINX_XRT", root.toString())));
        assertTrue(a.reason().contains(root.resolve("lib/libxrt_noop.so.2").toString()), a.reason());
    }

    @Test
    void acceptsNoopAndCardEnvironments(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("lib"));
        Files.createFile(root.resolve("lib/libxrt_noop.so.2"));
        var noop = assertInstanceOf(XrtLibrary.Availability.Available.class,
                XrtLibrary.check(Map.of("XCL_EMULATION_MODE", "noop", "XILINX_XRT", root.toString())));
        assertTrue(noop.emulated());
        // no XCL_EMULATION_MODE: a card, through the hardware shim
        assertInstanceOf(XrtLibrary.Availability.Unavailable.class, XrtLibrary.check(Map.of("XILINX_XRT", root.toString())));
        Files.createFile(root.resolve("lib/libxrt_core.so.2"));
        var card = assertInstanceOf(XrtLibrary.Availability.Available.class, XrtLibrary.check(Map.of("XILINX_XRT", root.toString())));
        assertFalse(card.emulated());
    }

    @Test
    void runTimeoutMapsToUnsignedMilliseconds() {
        assertEquals(1, Xrt.timeoutMillis(Duration.ofNanos(1)));          // rounds up, never 0 (= wait forever)
        assertEquals(2, Xrt.timeoutMillis(Duration.ofNanos(1_000_001)));
        assertEquals(1500, Xrt.timeoutMillis(Duration.ofMillis(1500)));
        assertEquals(-1, Xrt.timeoutMillis(Duration.ofDays(365)));        // saturates at 2^32-1 (unsigned)
        assertThrows(IllegalArgumentException.class, () -> Xrt.timeoutMillis(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Xrt.timeoutMillis(Duration.ofMillis(-5)));
    }

    @Test
    void runStatesFollowErtH() {
        assertEquals(RunState.COMPLETED, RunState.of(4));
        assertEquals(RunState.TIMEOUT, RunState.of(8));
        assertEquals(RunState.UNKNOWN, RunState.of(42));
        assertTrue(RunState.RUNNING.pending() && RunState.QUEUED.pending());
        assertFalse(RunState.COMPLETED.pending() || RunState.ERROR.pending() || RunState.TIMEOUT.pending());
    }
}
