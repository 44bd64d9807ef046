package dev.tokenfab.host.power;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HwmonSensorTest {

    @Test
    void findsPowerInputsWithLabelAndUpdateInterval(@TempDir Path dir) throws Exception {
        Path root = Fixtures.sysfsCopy(dir).resolve("hwmon");
        List<SensorStatus> found = HwmonSensor.discover(root, "testhost");
        assertEquals(1, found.size(), found.toString()); // coretemp has no power input
        PowerSensor s = ((SensorStatus.Available) found.getFirst()).sensor();
        assertEquals("hwmon:hwmon0:xocl_hwmon:12V board input", s.name());
        assertEquals(Duration.ofMillis(1000), s.updatePeriod());
        assertEquals(37.5, s.read(0).watts(), 1e-12);
        assertFalse(s.hasEnergyCounter());
        s.close();
        assertThrows(IllegalStateException.class, () -> s.read(0));
    }

    @Test
    void stepCurveIntegratesByTrapezoidsAndShortWindowIsFlagged(@TempDir Path dir) throws Exception {
        Path root = Fixtures.sysfsCopy(dir).resolve("hwmon");
        Path input = root.resolve("hwmon0/power1_input");
        // 40 W for the first 2 s, then 60 W: samples every 1 s (the sensor's update period)
        ScriptedTime time = new ScriptedTime(n -> Fixtures.write(input, n < 2_000_000_000L ? 40_000_000 : 60_000_000));
        List<PowerSensor> sensors = List.of(((SensorStatus.Available) HwmonSensor.discover(root, "h").getFirst()).sensor());
        try (PowerMonitor monitor = PowerMonitor.manual(sensors, Duration.ofSeconds(1), time)) {
            monitor.begin("steps");
            for (int i = 0; i < 4; i++) {
                time.advance(Duration.ofSeconds(1));
                monitor.sampleNow();
            }
            SensorEnergy e = monitor.end("steps").bySensor().values().iterator().next();
            // samples at t=0,1,2,3,4 s: 40,40,60,60,60 W → 40 + 50 + 60 + 60 = 210 J
            assertEquals(210.0, e.joules(), 1e-9);
            assertEquals(SensorEnergy.Status.OK, e.status());

            monitor.begin("blink");
            time.advance(Duration.ofMillis(200));
            SensorEnergy blink = monitor.end("blink").bySensor().values().iterator().next();
            assertEquals(SensorEnergy.Status.TOO_SHORT, blink.status());
            assertTrue(blink.note().contains("shorter than the sensor's update period"), blink.note());
            assertEquals(60.0 * 0.2, blink.joules(), 1e-9);
        }
    }
}
