package dev.tokenfab.host.power;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A CPU package (or its DRAM sub-zone) read through Linux powercap: {@code intel-rapl:N/energy_uj},
 * a microjoule counter that wraps to 0 after {@code max_energy_range_uj}.
 *
 * <p>Caveats: the counter wraps within minutes at high power (about 262 kJ on many Xeons), so it
 * must be read more often than that; the {@link PowerMonitor}'s sampler does. {@code energy_uj} is
 * root-only since Linux 5.10 (CVE-2020-8694). Sub-zones {@code core}/{@code uncore} are part of
 * the package and are skipped so figures add up; {@code dram} is not and is kept. AMD CPUs use the
 * same {@code intel-rapl} names.
 */
public final class RaplSensor implements PowerSensor {

    /** Where Linux exposes powercap zones. */
    public static final Path DEFAULT_ROOT = Path.of("/sys/class/powercap");

    /** Linux updates RAPL counters about every millisecond (Intel SDM vol. 3B, 14.10.1: ~1 ms). */
    static final Duration UPDATE_PERIOD = Duration.ofMillis(1);

    private static final Pattern TOP_ZONE = Pattern.compile("intel-rapl:\\d+");
    private static final Pattern SUB_ZONE = Pattern.compile("intel-rapl:\\d+:\\d+");
    private static final double JOULES_PER_MICROJOULE = 1e-6;

    private final String name;
    private final Path energyFile;
    private final long maxEnergyRangeUj;
    private final Provenance provenance;
    private long lastRawUj;
    private long accumulatedUj;
    private boolean closed;

    private RaplSensor(String name, Path zone, long maxEnergyRangeUj, long firstRawUj, String machine) {
        this.name = name;
        this.energyFile = zone.resolve("energy_uj");
        this.maxEnergyRangeUj = maxEnergyRangeUj;
        this.lastRawUj = firstRawUj;
        this.provenance = new Provenance.Measured("RAPL " + zone, machine);
    }

    /**
     * Opens every package zone and DRAM sub-zone under {@code root}; a zone that cannot be read
     * is reported unavailable with the fix, the others are opened.
     */
    public static List<SensorStatus> discover(Path root, String machine) {
        List<SensorStatus> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            out.add(new SensorStatus.Unavailable("rapl", SensorKind.CPU_RAPL,
                    root + " does not exist (no powercap driver: a VM, or not Linux); load intel_rapl_common "
                            + "or run on bare metal"));
            return out;
        }
        List<Path> zones;
        try (Stream<Path> s = Files.list(root)) {
            zones = s.filter(p -> TOP_ZONE.matcher(p.getFileName().toString()).matches()
                            || SUB_ZONE.matcher(p.getFileName().toString()).matches())
                    .sorted().toList();
        } catch (IOException e) {
            out.add(new SensorStatus.Unavailable("rapl", SensorKind.CPU_RAPL, root + ": " + e.getMessage()));
            return out;
        }
        if (zones.isEmpty()) {
            out.add(new SensorStatus.Unavailable("rapl", SensorKind.CPU_RAPL,
                    root + " has no intel-rapl:* zones (modprobe intel_rapl_common; AMD needs Linux 5.8+)"));
            return out;
        }
        for (Path zone : zones) {
            String dir = zone.getFileName().toString();
            String zoneName;
            try {
                zoneName = SysfsFiles.readString(zone.resolve("name"));
            } catch (PowerException e) {
                zoneName = dir;
            }
            boolean sub = SUB_ZONE.matcher(dir).matches();
            if (sub && !zoneName.equals("dram")) continue; // core/uncore are inside the package figure
            String sensorName = "rapl:" + (sub ? dir.substring(dir.indexOf(':') + 1) + ":" : "") + zoneName;
            try {
                long max = SysfsFiles.readLong(zone.resolve("max_energy_range_uj"));
                long first = SysfsFiles.readLong(zone.resolve("energy_uj"));
                if (max <= 0) throw new PowerException(PowerException.ErrorCode.BAD_DATA,
                        zone.resolve("max_energy_range_uj") + ": must be positive, found " + max);
                out.add(new SensorStatus.Available(new RaplSensor(sensorName, zone, max, first, machine)));
            } catch (PowerException e) {
                String fix = e.code() == PowerException.ErrorCode.NO_PERMISSION
                        ? "; run as root or `sudo chmod o+r " + root + "/intel-rapl:*/energy_uj`" : "";
                out.add(new SensorStatus.Unavailable(sensorName, SensorKind.CPU_RAPL, e.getMessage() + fix));
            }
        }
        return out;
    }

    @Override public String name() { return name; }
    @Override public SensorKind kind() { return SensorKind.CPU_RAPL; }
    @Override public Provenance provenance() { return provenance; }
    @Override public Duration updatePeriod() { return UPDATE_PERIOD; }
    @Override public boolean hasEnergyCounter() { return true; }

    /** Energy since open; a raw value below the previous one is one wrap at {@code max_energy_range_uj}. */
    @Override
    public synchronized Reading read(long timeNanos) throws PowerException {
        if (closed) throw new IllegalStateException("RaplSensor " + name + " is closed");
        long raw = SysfsFiles.readLong(energyFile);
        if (raw < 0 || raw > maxEnergyRangeUj) throw new PowerException(PowerException.ErrorCode.BAD_DATA,
                energyFile + ": " + raw + " outside [0, max_energy_range_uj=" + maxEnergyRangeUj + "]");
        long delta = raw >= lastRawUj ? raw - lastRawUj : (maxEnergyRangeUj - lastRawUj) + raw;
        accumulatedUj += delta;
        lastRawUj = raw;
        return new Reading(timeNanos, Double.NaN, accumulatedUj * JOULES_PER_MICROJOULE);
    }

    @Override
    public synchronized void close() { closed = true; }
}
