package dev.tokenfab.host.power;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RAPL through a fake powercap tree: zone selection, wrap-around, bad data, and a real read when this machine has RAPL. */
class RaplSensorTest {

    /** Fixture: package-0 wraps at 100 J and starts at 99 J, so the first joule already wraps. */
    static final long PACKAGE_MAX_UJ = 100_000_000, PACKAGE_START_UJ = 99_000_000;
    static final long DRAM_START_UJ = 5_000_000;
    static final double PACKAGE_WATTS = 50, DRAM_WATTS = 4;

    @Test
    void discoversPackageAndDramSkipsCoreReportsBadZone(@TempDir Path dir) throws Exception {
        Path root = Fixtures.sysfsCopy(dir).resolve("powercap");
        List<SensorStatus> found = RaplSensor.discover(root, "testhost");
        assertEquals(List.of("rapl:package-0", "rapl:0:1:dram", "rapl:package-1"), found.stream().map(SensorStatus::name).toList());
        SensorStatus.Unavailable bad = assertInstanceOf(SensorStatus.Unavailable.class, found.get(2));
        assertTrue(bad.reason().contains("intel-rapl:1/energy_uj") && bad.reason().contains("'garbage'"), bad.reason());
        found.forEach(s -> { if (s instanceof SensorStatus.Available a) a.sensor().close(); });
    }

    @Test
    void wrapAroundIsRemovedAndWindowGivesKnownJoules(@TempDir Path dir) throws Exception {
        Path root = Fixtures.sysfsCopy(dir).resolve("powercap");
        Path pkg = root.resolve("intel-rapl:0/energy_uj");
        Path dram = root.resolve("intel-rapl:0:1/energy_uj");
        // the hardware: constant power, counters in µJ, package wrapping every 100 J (5 times in 10 s)
        ScriptedTime time = new ScriptedTime(n -> {
            double t = n / 1e9;
            Fixtures.write(pkg, (PACKAGE_START_UJ + Math.round(PACKAGE_WATTS * t * 1e6)) % (PACKAGE_MAX_UJ + 1));
            Fixtures.write(dram, DRAM_START_UJ + Math.round(DRAM_WATTS * t * 1e6));
        });
        List<PowerSensor> sensors = RaplSensor.discover(root, "testhost").stream()
                .filter(s -> s instanceof SensorStatus.Available).map(s -> ((SensorStatus.Available) s).sensor()).toList();
        try (PowerMonitor monitor = PowerMonitor.manual(sensors, Duration.ofMillis(500), time)) {
            monitor.begin("run");
            for (int i = 0; i < 20; i++) {
                time.advance(Duration.ofMillis(500));
                monitor.sampleNow();
            }
            EnergyWindow w = monitor.end("run");
            // each 0.5 s step adds 25 J < 100 J range, so every wrap is seen; one µJ of rounding per wrap at most
            assertEquals(PACKAGE_WATTS * 10, w.sensor("rapl:package-0").joules(), 1e-5);
            assertEquals(DRAM_WATTS * 10, w.sensor("rapl:0:1:dram").joules(), 1e-5);
            assertEquals(SensorEnergy.Method.ENERGY_COUNTER, w.sensor("rapl:package-0").method());
            assertEquals("measured (RAPL " + root.resolve("intel-rapl:0") + " on testhost)",
                    w.sensor("rapl:package-0").provenance().label());
        }
    }

    @Test
    void missingPowercapIsUnavailableWithReason(@TempDir Path dir) {
        SensorStatus.Unavailable u = assertInstanceOf(SensorStatus.Unavailable.class,
                RaplSensor.discover(dir.resolve("powercap"), "h").getFirst());
        assertTrue(u.reason().contains("does not exist"), u.reason());
    }

    @Test
    void readsThisMachinesRaplWhenPresent() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(RaplSensor.DEFAULT_ROOT),
                "no /sys/class/powercap on this machine (a VM?): skipping the real RAPL read");
        List<SensorStatus> found = RaplSensor.discover(RaplSensor.DEFAULT_ROOT, SysfsFiles.hostName());
        List<PowerSensor> sensors = found.stream().filter(s -> s instanceof SensorStatus.Available)
                .map(s -> ((SensorStatus.Available) s).sensor()).toList();
        org.junit.jupiter.api.Assumptions.assumeFalse(sensors.isEmpty(), "RAPL present but unreadable: " + found);
        try (PowerMonitor monitor = PowerMonitor.start(sensors, Duration.ofMillis(10), TimeSource.system())) {
            monitor.begin("busy");
            long x = 0;
            for (long end = System.nanoTime() + 200_000_000L; System.nanoTime() < end; ) x += Long.hashCode(x + 1);
            EnergyWindow w = monitor.end("busy");
            assertTrue(w.measuredJoules() > 0, "a busy CPU uses energy: " + w + " " + x);
        }
    }
}
