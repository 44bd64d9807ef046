package dev.tokenfab.bench.harness;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bench.result.Figure;
import dev.tokenfab.bench.result.ResultRow;
import dev.tokenfab.bench.sut.CardFigures;
import dev.tokenfab.bench.workload.Workload;
import dev.tokenfab.host.power.EnergyWindow;
import dev.tokenfab.host.power.ModeledSensor;
import dev.tokenfab.host.power.PowerMonitor;
import dev.tokenfab.host.power.SensorDiscovery;
import dev.tokenfab.host.power.TimeSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Figure assembly for an emulated card: the headline is the card's modeled figures, the host's
 * measured emulation time is kept apart, and nothing modeled is labeled measured. The energy
 * window comes from a real PowerMonitor over the modeled card sensor on a scripted clock.
 */
class BenchHarnessFiguresTest {

    static final CardFigures CARD = new CardFigures("U280", 1, 55.5, 48.0, 37.0, "m.tfpkg/dataflow.json estimateModeled (U280, batch 1)");

    static EnergyWindow cardWindow(double seconds) throws Exception {
        long[] now = {0};
        TimeSource t = new TimeSource() {
            public long nanoTime() { return now[0]; }
            public void sleep(Duration d) { now[0] += d.toNanos(); }
        };
        try (PowerMonitor m = PowerMonitor.manual(List.of(new ModeledSensor("card:U280", CARD.from(), CARD::boardWatts)),
                Duration.ofMillis(10), t)) {
            m.begin("w");
            t.sleep(Duration.ofNanos((long) (seconds * 1e9)));
            return m.end("w");
        }
    }

    static BenchHarness harness(double price) throws Exception {
        SensorDiscovery.Config cfg = SensorDiscovery.Config.defaults().withRoots(Path.of("/nonexistent"), Path.of("/nonexistent"));
        return new BenchHarness(new BenchHarness.Settings(List.of(Workload.parse("pp4+tg8")), List.of(1), Duration.ZERO,
                Duration.ofMillis(10), price, 1.5, cfg, 1, Map.of()));
    }

    @Test
    void emulatedCardHeadlineIsModeledAndHostTimeIsSeparate() throws Exception {
        // 8 tokens generated in 2 s on the host: 4 tokens/s of emulation, nothing to do with the card's 55.5
        RunStats st = new RunStats(2_000_000_000L, 1, 4, 8, 500_000_000L, 1_500_000_000L, 7, 5e8, 2.1e8);
        ResultRow r = harness(0.2).row("tokenfab-emu-u280", Optional.of(CARD), Workload.parse("pp4+tg8"), 1, st, cardWindow(2.0), "");
        Figure tps = r.figure("tokensPerSecond"), w = r.figure("averageWatts");
        assertEquals(Figure.Basis.MODELED, tps.basis());
        assertEquals(55.5, tps.value());
        assertEquals(Figure.Basis.MODELED, w.basis());
        assertEquals(48.0, w.value(), 1e-12);
        assertEquals(Figure.Basis.MODELED, r.figure("tokensPerJoule").basis());
        assertEquals(55.5 / 48.0, r.figure("tokensPerJoule").value(), 1e-12);
        assertEquals((48.0 - 37.0) / 55.5, r.figure("joulesPerTokenAboveIdle").value(), 1e-12);
        assertEquals(48.0 / 55.5 * 1e6 / 3.6e6 * 0.2 * 1.5, r.figure("costPerMillionTokens").value(), 1e-12);
        assertEquals(Figure.Basis.MODELED, r.figure("costPerMillionTokens").basis());
        Figure host = r.figure("hostEmulationTokensPerSecond");
        assertEquals(Figure.Basis.MEASURED, host.basis());
        assertEquals(4.0, host.value(), 1e-12);
        assertTrue(host.source().contains("NOT card performance"), host.source());
        assertFalse(r.figure("timeToFirstTokenMs").available(), "host emulation latency is not card latency");
    }

    @Test
    void cardEstimateOnlyCoversItsBatch() throws Exception {
        RunStats st = new RunStats(1_000_000_000L, 4, 16, 32, 1, 1, 28, 1, 1);
        ResultRow r = harness(Double.NaN).row("tokenfab-emu-u280", Optional.of(CARD), Workload.parse("pp4+tg8"), 4, st, cardWindow(1.0), "");
        Figure tps = r.figure("tokensPerSecond");
        assertFalse(tps.available());
        assertTrue(tps.source().contains("batch 1 only"), tps.source());
        assertFalse(r.figure("tokensPerJoule").available());
        assertTrue(r.figure("costPerMillionTokens").source().contains("--price-per-kwh"));
    }
}
