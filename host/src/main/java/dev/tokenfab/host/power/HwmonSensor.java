package dev.tokenfab.host.power;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One {@code powerN_input} attribute of a Linux hwmon device: instantaneous power in microwatts
 * (Documentation/hwmon/sysfs-interface.rst). Alveo boards' xocl/xclmgmt drivers register hwmon
 * devices; so do many server BMC and PSU drivers. No energy counter: the monitor integrates samples.
 *
 * <p>The refresh period comes from the device's {@code update_interval} (ms) when present, else
 * {@link #DEFAULT_UPDATE_PERIOD}.
 */
public final class HwmonSensor implements PowerSensor {

    public static final Path DEFAULT_ROOT = Path.of("/sys/class/hwmon");

    /**
     * Alveo board sensors: read once a second, as AMD's xbtest does (no refresh period is documented;
     * docs/SOURCES-runtime.md); used when hwmon gives no update_interval.
     */
    static final Duration DEFAULT_UPDATE_PERIOD = Duration.ofSeconds(1);

    private static final Pattern POWER_INPUT = Pattern.compile("power(\\d+)_input");
    private static final double WATTS_PER_MICROWATT = 1e-6;

    private final String name;
    private final Path inputFile;
    private final Duration updatePeriod;
    private final Provenance provenance;
    private volatile boolean closed;

    private HwmonSensor(String name, Path inputFile, Duration updatePeriod, String machine) {
        this.name = name;
        this.inputFile = inputFile;
        this.updatePeriod = updatePeriod;
        this.provenance = new Provenance.Measured("hwmon " + inputFile, machine);
    }

    /** Every readable {@code power*_input} under {@code root}/hwmon*; unreadable ones are reported unavailable. */
    public static List<SensorStatus> discover(Path root, String machine) {
        List<SensorStatus> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            out.add(new SensorStatus.Unavailable("hwmon", SensorKind.BOARD_HWMON,
                    root + " does not exist (no hwmon drivers; Alveo boards need the xocl/xclmgmt driver loaded)"));
            return out;
        }
        List<Path> devices;
        try (Stream<Path> s = Files.list(root)) {
            devices = s.filter(p -> p.getFileName().toString().startsWith("hwmon")).sorted().toList();
        } catch (IOException e) {
            out.add(new SensorStatus.Unavailable("hwmon", SensorKind.BOARD_HWMON, root + ": " + e.getMessage()));
            return out;
        }
        for (Path dev : devices) {
            String devName;
            try {
                devName = SysfsFiles.readString(dev.resolve("name"));
            } catch (PowerException e) {
                devName = dev.getFileName().toString();
            }
            Duration period = DEFAULT_UPDATE_PERIOD;
            if (Files.exists(dev.resolve("update_interval"))) {
                try {
                    long ms = SysfsFiles.readLong(dev.resolve("update_interval"));
                    if (ms > 0) period = Duration.ofMillis(ms);
                } catch (PowerException e) {
                    // keep the default: the period only decides the tooShort flag
                }
            }
            List<Path> inputs;
            try (Stream<Path> s = Files.list(dev)) {
                inputs = s.filter(p -> POWER_INPUT.matcher(p.getFileName().toString()).matches()).sorted().toList();
            } catch (IOException e) {
                out.add(new SensorStatus.Unavailable("hwmon:" + devName, SensorKind.BOARD_HWMON, dev + ": " + e.getMessage()));
                continue;
            }
            for (Path input : inputs) {
                Matcher m = POWER_INPUT.matcher(input.getFileName().toString());
                m.matches();
                String channel = "power" + m.group(1);
                Path labelFile = dev.resolve(channel + "_label");
                String label = channel;
                if (Files.exists(labelFile)) {
                    try {
                        label = SysfsFiles.readString(labelFile);
                    } catch (PowerException e) {
                        // label is cosmetic
                    }
                }
                String sensorName = "hwmon:" + dev.getFileName() + ":" + devName + ":" + label;
                try {
                    SysfsFiles.readLong(input);
                    out.add(new SensorStatus.Available(new HwmonSensor(sensorName, input, period, machine)));
                } catch (PowerException e) {
                    String fix = e.code() == PowerException.ErrorCode.NO_PERMISSION ? "; run as root or chmod o+r " + input : "";
                    out.add(new SensorStatus.Unavailable(sensorName, SensorKind.BOARD_HWMON, e.getMessage() + fix));
                }
            }
        }
        if (out.isEmpty()) {
            out.add(new SensorStatus.Unavailable("hwmon", SensorKind.BOARD_HWMON,
                    root + " has no power*_input attributes (no power-reporting hwmon driver)"));
        }
        return out;
    }

    @Override public String name() { return name; }
    @Override public SensorKind kind() { return SensorKind.BOARD_HWMON; }
    @Override public Provenance provenance() { return provenance; }
    @Override public Duration updatePeriod() { return updatePeriod; }
    @Override public boolean hasEnergyCounter() { return false; }

    @Override
    public Reading read(long timeNanos) throws PowerException {
        if (closed) throw new IllegalStateException("HwmonSensor " + name + " is closed");
        long microwatts = SysfsFiles.readLong(inputFile);
        if (microwatts < 0) throw new PowerException(PowerException.ErrorCode.BAD_DATA,
                inputFile + ": negative power " + microwatts + " uW");
        return new Reading(timeNanos, microwatts * WATTS_PER_MICROWATT, Double.NaN);
    }

    @Override
    public void close() { closed = true; }
}
