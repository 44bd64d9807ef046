package dev.tokenfab.host.power;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Finds the power sensors of this machine. Absent sensors are reported with their reason and the
 * rest are returned ready to read; a kind the caller explicitly {@linkplain Config#required requires}
 * that has no available sensor is an error with the fix (Zeus: a missing sensor does not stop the
 * others, an explicitly requested one does).
 */
public final class SensorDiscovery {
    private SensorDiscovery() {}

    /**
     * Where to look. Roots are overridable so tests read a fake sysfs tree.
     *
     * @param powercapRoot RAPL zones, default {@link RaplSensor#DEFAULT_ROOT}
     * @param hwmonRoot    hwmon devices, default {@link HwmonSensor#DEFAULT_ROOT}
     * @param nvmlLibrary  a libnvidia-ml path, or null for the driver's libnvidia-ml.so.1
     * @param xrtSources   XRT electrical report sources, one per Alveo card (none by default: there is
     *                     no reliable way to find AMD's xbutil; pass one explicitly)
     * @param kinds        which kinds to look for
     * @param required     kinds that must have at least one available sensor
     * @param machine      host name put in every measured provenance
     */
    public record Config(Path powercapRoot, Path hwmonRoot, Path nvmlLibrary, List<XrtElectricalSource> xrtSources,
                         Set<SensorKind> kinds, Set<SensorKind> required, String machine) {
        public Config {
            xrtSources = List.copyOf(xrtSources);
            kinds = kinds.isEmpty() ? EnumSet.noneOf(SensorKind.class) : EnumSet.copyOf(kinds);
            required = required.isEmpty() ? EnumSet.noneOf(SensorKind.class) : EnumSet.copyOf(required);
        }

        /** This machine's standard locations, every measured kind, nothing required. */
        public static Config defaults() {
            return new Config(RaplSensor.DEFAULT_ROOT, HwmonSensor.DEFAULT_ROOT, null, List.of(),
                    EnumSet.of(SensorKind.GPU_NVML, SensorKind.CPU_RAPL, SensorKind.BOARD_HWMON, SensorKind.BOARD_XRT),
                    Set.of(), SysfsFiles.hostName());
        }

        public Config withRoots(Path powercap, Path hwmon) { return new Config(powercap, hwmon, nvmlLibrary, xrtSources, kinds, required, machine); }
        public Config withNvmlLibrary(Path lib) { return new Config(powercapRoot, hwmonRoot, lib, xrtSources, kinds, required, machine); }
        public Config withXrt(List<XrtElectricalSource> sources) { return new Config(powercapRoot, hwmonRoot, nvmlLibrary, sources, kinds, required, machine); }
        public Config withKinds(Set<SensorKind> k) { return new Config(powercapRoot, hwmonRoot, nvmlLibrary, xrtSources, k, required, machine); }
        public Config withRequired(Set<SensorKind> r) { return new Config(powercapRoot, hwmonRoot, nvmlLibrary, xrtSources, kinds, r, machine); }
    }

    /** Result: sensors ready to read (the caller owns and closes them) and the unavailable ones with reasons. */
    public record Found(List<PowerSensor> available, List<SensorStatus.Unavailable> unavailable) {
        public List<SensorStatus> all() {
            List<SensorStatus> out = new ArrayList<>();
            available.forEach(s -> out.add(new SensorStatus.Available(s)));
            out.addAll(unavailable);
            return out;
        }
    }

    /**
     * @throws PowerException UNAVAILABLE (sensors opened so far are closed) when a required kind has no
     *                        available sensor; the message lists each reason, which carries the fix
     */
    public static Found discover(Config config) throws PowerException {
        List<SensorStatus> all = new ArrayList<>();
        if (config.kinds().contains(SensorKind.GPU_NVML)) all.addAll(NvmlSensor.discover(config.nvmlLibrary(), config.machine()));
        if (config.kinds().contains(SensorKind.CPU_RAPL)) all.addAll(RaplSensor.discover(config.powercapRoot(), config.machine()));
        if (config.kinds().contains(SensorKind.BOARD_HWMON)) all.addAll(HwmonSensor.discover(config.hwmonRoot(), config.machine()));
        if (config.kinds().contains(SensorKind.BOARD_XRT)) {
            if (config.xrtSources().isEmpty()) {
                all.add(new SensorStatus.Unavailable("xrt", SensorKind.BOARD_XRT,
                        "no XRT electrical source given (pass --xrt-json FILE or --xbutil PATH --bdf ADDR)"));
            }
            for (int i = 0; i < config.xrtSources().size(); i++)
                all.add(XrtBoardSensor.discover("xrt:" + i, config.xrtSources().get(i), 0, config.machine()));
        }
        List<PowerSensor> available = new ArrayList<>();
        List<SensorStatus.Unavailable> unavailable = new ArrayList<>();
        for (SensorStatus s : all) {
            switch (s) {
                case SensorStatus.Available a -> available.add(a.sensor());
                case SensorStatus.Unavailable u -> unavailable.add(u);
            }
        }
        for (SensorKind k : config.required()) {
            if (available.stream().anyMatch(s -> s.kind() == k)) continue;
            available.reversed().forEach(PowerSensor::close);
            String reasons = unavailable.stream().filter(u -> u.kind() == k)
                    .map(u -> u.name() + ": " + u.reason()).collect(Collectors.joining("; "));
            throw new PowerException(PowerException.ErrorCode.UNAVAILABLE, "required sensor kind " + k
                    + " is unavailable: " + (reasons.isEmpty() ? "not searched (add it to the kinds to look for)" : reasons));
        }
        return new Found(List.copyOf(available), List.copyOf(unavailable));
    }
}
