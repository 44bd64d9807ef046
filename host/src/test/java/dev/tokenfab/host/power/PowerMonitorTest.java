package dev.tokenfab.host.power;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PowerMonitorTest {

    @Test
    void reusingAnOpenWindowNameOrEndingAnUnknownOneIsAnError() throws Exception {
        ScriptedTime time = new ScriptedTime(n -> {});
        try (PowerMonitor m = PowerMonitor.manual(List.of(new ModeledSensor("card", "test", () -> 1.0)), Duration.ofMillis(10), time)) {
            m.begin("prefill");
            PowerException dup = assertThrows(PowerException.class, () -> m.begin("prefill"));
            assertEquals(PowerException.ErrorCode.BAD_WINDOW, dup.code());
            assertTrue(dup.getMessage().contains("'prefill' is already open"), dup.getMessage());
            PowerException unknown = assertThrows(PowerException.class, () -> m.end("decode"));
            assertTrue(unknown.getMessage().contains("no open window 'decode'") && unknown.getMessage().contains("[prefill]"),
                    unknown.getMessage());
            time.advance(Duration.ofSeconds(1));
            assertEquals(1.0, m.end("prefill").modeledJoules(), 1e-12);
            m.begin("prefill"); // closed windows may be reused
            m.cancel("prefill");
            assertThrows(PowerException.class, () -> m.end("prefill"));
        }
    }

    @Test
    void idleIsMeasuredAndSubtracted() throws Exception {
        AtomicReference<Double> watts = new AtomicReference<>(10.0);
        ScriptedTime time = new ScriptedTime(n -> {});
        try (PowerMonitor m = PowerMonitor.manual(List.of(new ModeledSensor("card", "test model", watts::get)),
                Duration.ofMillis(100), time)) {
            PowerMonitor.Idle idle = m.measureIdle(Duration.ofSeconds(2));
            assertEquals(10.0, idle.wattsBySensor().get("card"), 1e-9);
            assertEquals(2.0, idle.window().seconds(), 1e-12);
            assertEquals(22, idle.window().sensor("card").samples(), "begin + 20 samples every 100 ms over 2 s + end");
            watts.set(30.0);
            m.begin("decode");
            time.advance(Duration.ofSeconds(3));
            EnergyWindow w = m.end("decode");
            SensorEnergy e = w.sensor("card");
            // begin's sample already reads 30 W, so the window is 30 W flat
            assertEquals(90.0, e.joules(), 1e-9);
            assertEquals(10.0, e.idleWatts(), 1e-9);
            assertEquals(60.0, e.aboveIdleJoules(), 1e-9);
            assertEquals(60.0, w.modeledAboveIdleJoules(), 1e-9);
            assertFalse(e.provenance().isMeasured());
            assertEquals("modeled (test model)", e.provenance().label());
        }
    }

    @Test
    void samplerThreadSamplesAtItsRateOnTheSystemClock() throws Exception {
        try (PowerMonitor m = PowerMonitor.start(List.of(new ModeledSensor("card", "constant 25 W", () -> 25.0)),
                Duration.ofMillis(5), TimeSource.system())) {
            m.begin("w");
            Thread.sleep(300);
            EnergyWindow w = m.end("w");
            SensorEnergy e = w.sensor("card");
            assertTrue(w.seconds() >= 0.3, "window " + w.seconds() + " s");
            assertEquals(25.0 * w.seconds(), e.joules(), 1e-9, "constant power integrates exactly");
            assertTrue(e.samples() >= 10, "the sampler thread took " + e.samples() + " samples in 300 ms at 5 ms");
        }
    }

    @Test
    void failingSensorIsUnavailableWhileOthersGoOn() throws Exception {
        AtomicReference<Double> flaky = new AtomicReference<>(5.0);
        ScriptedTime time = new ScriptedTime(n -> {});
        try (PowerMonitor m = PowerMonitor.manual(List.of(new ModeledSensor("flaky", "t", flaky::get),
                new ModeledSensor("steady", "t", () -> 7.0)), Duration.ofMillis(100), time)) {
            m.begin("w");
            time.advance(Duration.ofSeconds(1));
            flaky.set(Double.NaN);
            time.advance(Duration.ofSeconds(1));
            EnergyWindow w = m.end("w");
            assertEquals(SensorEnergy.Status.UNAVAILABLE, w.sensor("flaky").status());
            assertTrue(w.sensor("flaky").note().contains("must be finite"), w.sensor("flaky").note());
            assertEquals(14.0, w.sensor("steady").joules(), 1e-9);
            assertEquals(14.0, w.modeledJoules(), 1e-9, "unavailable sensors are left out of totals");
        }
    }

    @Test
    void duplicateSensorNamesAndClosedMonitorAreRefused() {
        ModeledSensor a = new ModeledSensor("x", "t", () -> 1.0);
        assertThrows(IllegalArgumentException.class,
                () -> PowerMonitor.manual(List.of(a, new ModeledSensor("x", "t", () -> 1.0)), Duration.ofMillis(1), TimeSource.system()));
        PowerMonitor m = PowerMonitor.manual(List.of(a), Duration.ofMillis(1), TimeSource.system());
        m.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.begin("w"));
        assertTrue(e.getMessage().contains("PowerMonitor is closed"));
    }
}
