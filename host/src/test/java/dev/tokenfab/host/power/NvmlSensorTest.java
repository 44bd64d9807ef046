package dev.tokenfab.host.power;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real FFM NVML binding against a fake libnvidia-ml whose power/energy curve the test scripts. */
class NvmlSensorTest {

    /** Ramp 100 W → 300 W over 10 s: ∫ = (100 + 300) / 2 × 10 = 2000 J. */
    static final double START_WATTS = 100, END_WATTS = 300, RAMP_SECONDS = 10, RAMP_JOULES = 2000;
    /** Energy in mJ since "driver load" at t = 0 (arbitrary, non-zero so the binding must subtract it). */
    static final long ENERGY_AT_ZERO_MJ = 5_000_000;
    /** The counter has 1 mJ resolution and the trapezoid is exact on a linear ramp: only rounding remains. */
    static final double TOLERANCE_JOULES = 0.01;

    Path lib;

    @BeforeEach
    void build() throws Exception { lib = FakeNvml.library(); }

    @AfterEach
    void cleanUp() throws Exception { FakeNvml.deleteScript(); }

    static double watts(double t) { return START_WATTS + (END_WATTS - START_WATTS) * Math.min(t, RAMP_SECONDS) / RAMP_SECONDS; }

    static double joules(double t) {
        double tt = Math.min(t, RAMP_SECONDS);
        return START_WATTS * tt + 0.5 * (END_WATTS - START_WATTS) / RAMP_SECONDS * tt * tt;
    }

    /** GPU 0 has an energy counter, GPU 1 (pre-Volta) reports power only. */
    static void writeCurve(long nanos) {
        double t = nanos / 1e9;
        long mw = Math.round(watts(t) * 1000);
        long mj = ENERGY_AT_ZERO_MJ + Math.round(joules(t) * 1000);
        FakeNvml.script("device " + mw + " " + mj + " Fake H100 80GB\n" + "device " + mw + " -1 Fake P100\n");
    }

    @Test
    void discoversBothGpusWithNamesAndProvenance() throws Exception {
        writeCurve(0);
        List<SensorStatus> found = NvmlSensor.discover(lib, "testhost");
        assertEquals(2, found.size(), found.toString());
        NvmlSensor gpu0 = (NvmlSensor) ((SensorStatus.Available) found.get(0)).sensor();
        NvmlSensor gpu1 = (NvmlSensor) ((SensorStatus.Available) found.get(1)).sensor();
        try {
            assertEquals("nvml:0 Fake H100 80GB", gpu0.name());
            assertEquals("nvml:1 Fake P100", gpu1.name());
            assertTrue(gpu0.hasEnergyCounter());
            assertFalse(gpu1.hasEnergyCounter());
            assertEquals(NvmlSensor.POWER_USAGE_UPDATE_PERIOD, gpu1.updatePeriod());
            assertEquals("measured (NVML nvmlDeviceGetTotalEnergyConsumption GPU 0 on testhost)", gpu0.provenance().label());
            Reading r = gpu0.read(7);
            assertEquals(100.0, r.watts(), 1e-9);
            assertEquals(0.0, r.energyJoules(), 1e-9, "energy is counted from open, not from driver load");
            assertTrue(Double.isNaN(gpu1.read(7).energyJoules()));
        } finally {
            gpu1.close();
            gpu0.close();
        }
    }

    @Test
    void windowOverScriptedRampGivesKnownJoulesByCounterAndByTrapezoids() throws Exception {
        ScriptedTime time = new ScriptedTime(NvmlSensorTest::writeCurve);
        List<PowerSensor> sensors = NvmlSensor.discover(lib, "testhost").stream()
                .map(s -> ((SensorStatus.Available) s).sensor()).toList();
        try (PowerMonitor monitor = PowerMonitor.manual(sensors, Duration.ofMillis(100), time)) {
            monitor.begin("ramp");
            for (int i = 0; i < 100; i++) {
                time.advance(Duration.ofMillis(100));
                monitor.sampleNow();
            }
            EnergyWindow w = monitor.end("ramp");
            assertEquals(RAMP_SECONDS, w.seconds(), 1e-12);
            SensorEnergy byCounter = w.sensor("nvml:0 Fake H100 80GB");
            SensorEnergy bySamples = w.sensor("nvml:1 Fake P100");
            assertEquals(SensorEnergy.Method.ENERGY_COUNTER, byCounter.method());
            assertEquals(SensorEnergy.Method.TRAPEZOID_SAMPLES, bySamples.method());
            assertEquals(RAMP_JOULES, byCounter.joules(), TOLERANCE_JOULES);
            assertEquals(RAMP_JOULES, bySamples.joules(), TOLERANCE_JOULES);
            assertEquals(200.0, byCounter.averageWatts(), TOLERANCE_JOULES / RAMP_SECONDS);
            assertEquals(SensorEnergy.Status.OK, byCounter.status());
            assertEquals(2 * RAMP_JOULES, w.measuredJoules(), 2 * TOLERANCE_JOULES);
            assertTrue(Double.isNaN(w.modeledJoules()), "no modeled sensor: no modeled figure");
            assertEquals(102, bySamples.samples());
        }
    }

    @Test
    void windowShorterThanCounterUpdateIsFlaggedNotSilentZero() throws Exception {
        // the counter stays put while time moves: a window inside one counter update period
        ScriptedTime time = new ScriptedTime(n -> FakeNvml.script("device 250000 9000000 Fake H100\n"));
        List<PowerSensor> sensors = NvmlSensor.discover(lib, "testhost").stream()
                .map(s -> ((SensorStatus.Available) s).sensor()).toList();
        try (PowerMonitor monitor = PowerMonitor.manual(sensors, Duration.ofMillis(10), time)) {
            monitor.begin("short");
            time.advance(Duration.ofMillis(40));
            SensorEnergy e = monitor.end("short").sensor("nvml:0 Fake H100");
            assertEquals(SensorEnergy.Status.TOO_SHORT, e.status());
            assertEquals(SensorEnergy.Method.INSTANT_POWER_APPROXIMATION, e.method());
            assertEquals(250.0 * 0.040, e.joules(), 1e-9);
            assertTrue(e.note().contains("did not change"), e.note());
        }
    }

    @Test
    void sensorThatFailsMidRunBecomesUnavailableAndOthersGoOn() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean driverGone = new java.util.concurrent.atomic.AtomicBoolean();
        ScriptedTime time = new ScriptedTime(n -> { if (!driverGone.get()) writeCurve(n); });
        List<PowerSensor> sensors = new java.util.ArrayList<>(NvmlSensor.discover(lib, "testhost").stream()
                .map(s -> ((SensorStatus.Available) s).sensor()).toList());
        sensors.add(new ModeledSensor("card", "constant 40 W test model", () -> 40.0));
        try (PowerMonitor monitor = PowerMonitor.manual(sensors, Duration.ofMillis(100), time)) {
            monitor.begin("w");
            time.advance(Duration.ofSeconds(1));
            monitor.sampleNow();
            driverGone.set(true);
            FakeNvml.deleteScript(); // the "driver" goes away: every NVML call now fails
            time.advance(Duration.ofSeconds(1));
            EnergyWindow w = monitor.end("w");
            SensorEnergy gpu = w.sensor("nvml:0 Fake H100 80GB");
            assertEquals(SensorEnergy.Status.UNAVAILABLE, gpu.status());
            assertTrue(gpu.note().contains("nvmlDeviceGetTotalEnergyConsumption returned 6"), gpu.note());
            assertEquals(80.0, w.sensor("card").joules(), 1e-9);
            assertEquals(80.0, w.modeledJoules(), 1e-9);
            assertTrue(Double.isNaN(w.measuredJoules()), "no measured sensor left");
        }
    }

    @Test
    void initFailureIsUnavailableWithTheNativeError() throws Exception {
        FakeNvml.script("init 9\ndevice 1 1 X\n");
        List<SensorStatus> found = NvmlSensor.discover(lib, "testhost");
        SensorStatus.Unavailable u = assertInstanceOf(SensorStatus.Unavailable.class, found.getFirst());
        assertTrue(u.reason().contains("nvmlInit_v2 returned 9"), u.reason());
        assertTrue(u.reason().contains("nvidia-smi"), u.reason());
    }

    @Test
    void missingLibraryIsUnavailableAndRequiredFailsWithFix(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path missing = dir.resolve("libnvidia-ml.so.1");
        SensorStatus.Unavailable u = assertInstanceOf(SensorStatus.Unavailable.class,
                NvmlSensor.discover(missing, "testhost").getFirst());
        assertTrue(u.reason().contains("cannot be loaded") && u.reason().contains("install the NVIDIA driver"), u.reason());

        SensorDiscovery.Config cfg = SensorDiscovery.Config.defaults().withRoots(dir.resolve("none"), dir.resolve("none"))
                .withNvmlLibrary(missing).withRequired(Set.of(SensorKind.GPU_NVML));
        PowerException e = assertThrows(PowerException.class, () -> SensorDiscovery.discover(cfg));
        assertEquals(PowerException.ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("GPU_NVML") && e.getMessage().contains(missing.toString()), e.getMessage());
    }
}
