package dev.tokenfab.host.cli;

import dev.tokenfab.host.power.PowerException;
import dev.tokenfab.host.power.PowerMonitor;
import dev.tokenfab.host.power.PowerSensor;
import dev.tokenfab.host.power.Reading;
import dev.tokenfab.host.power.SensorDiscovery;
import dev.tokenfab.host.power.SensorKind;
import dev.tokenfab.host.power.SensorStatus;
import dev.tokenfab.host.power.TimeSource;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenfab power}: lists this machine's power sensors (and why others are unavailable), or watches them live. */
@Command(name = "power", mixinStandardHelpOptions = true,
        description = {"List the power sensors found on this machine (NVML GPUs, RAPL CPU zones, hwmon, XRT boards) "
                + "and the unavailable ones with the reason, or print live readings with --watch."})
public final class PowerCommand implements Callable<Integer> {

    /** Exit code when a --require'd sensor kind is unavailable or an option is wrong. */
    static final int EXIT_UNAVAILABLE = 2;

    @Spec CommandSpec spec;

    @Option(names = "--watch", description = "print one line of readings every --interval-ms")
    boolean watch;

    @Option(names = "--interval-ms", defaultValue = "1000", description = "watch interval in milliseconds (default ${DEFAULT-VALUE})")
    long intervalMs;

    @Option(names = "--count", defaultValue = "0", description = "stop watching after this many lines (0 = until interrupted)")
    int count;

    @Mixin SensorOptions sensors;

    @Option(names = "--require", split = ",", description = "fail unless these kinds have a sensor: ${COMPLETION-CANDIDATES}")
    List<SensorKind> required = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (intervalMs <= 0 || count < 0) {
            err.println("power: --interval-ms must be > 0 and --count >= 0 (got " + intervalMs + ", " + count + ")");
            return EXIT_UNAVAILABLE;
        }
        SensorDiscovery.Config cfg;
        try {
            cfg = sensors.toConfig();
        } catch (IllegalArgumentException e) {
            err.println("power: " + e.getMessage());
            return EXIT_UNAVAILABLE;
        }
        cfg = cfg.withRequired(required.isEmpty() ? EnumSet.noneOf(SensorKind.class) : EnumSet.copyOf(required));
        SensorDiscovery.Found found;
        try {
            found = SensorDiscovery.discover(cfg);
        } catch (PowerException e) {
            err.println("power: " + e.getMessage());
            return EXIT_UNAVAILABLE;
        }
        try (PowerMonitor monitor = PowerMonitor.manual(found.available(), Duration.ofMillis(intervalMs), TimeSource.system())) {
            list(found, out);
            if (watch) watch(monitor, out);
        }
        return 0;
    }

    private static void list(SensorDiscovery.Found found, PrintWriter out) {
        out.printf("available sensors: %d%n", found.available().size());
        for (PowerSensor s : found.available()) {
            out.printf("  %-40s %-12s %-15s update %-8s %s%n", s.name(), s.kind(),
                    s.hasEnergyCounter() ? "energy counter" : "power samples", s.updatePeriod(), s.provenance().label());
        }
        out.printf("unavailable: %d%n", found.unavailable().size());
        for (SensorStatus.Unavailable u : found.unavailable()) out.printf("  %-40s %-12s %s%n", u.name(), u.kind(), u.reason());
        out.flush();
    }

    /** Live watts: the sensor's own power where it has one, else the energy counter's slope since the last line. */
    private void watch(PowerMonitor monitor, PrintWriter out) throws InterruptedException {
        Map<String, Reading> previous = new HashMap<>(monitor.latest());
        long t0 = System.nanoTime();
        for (int line = 0; count == 0 || line < count; line++) {
            Thread.sleep(intervalMs);
            monitor.sampleNow();
            Map<String, Reading> now = monitor.latest();
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "t=%.3fs", (System.nanoTime() - t0) / 1e9));
            for (PowerSensor s : monitor.sensors()) {
                Reading r = now.get(s.name());
                if (r == null) {
                    sb.append("  ").append(s.name()).append("=unavailable");
                    continue;
                }
                double w = r.watts();
                Reading p = previous.get(s.name());
                if (Double.isNaN(w) && r.hasEnergy() && p != null && r.timeNanos() > p.timeNanos())
                    w = (r.energyJoules() - p.energyJoules()) / ((r.timeNanos() - p.timeNanos()) / 1e9);
                sb.append(String.format(Locale.ROOT, "  %s=%.2f W", s.name(), w));
                if (!s.provenance().isMeasured()) sb.append(" (modeled)");
            }
            previous = new HashMap<>(now);
            out.println(sb);
            out.flush();
        }
    }
}
