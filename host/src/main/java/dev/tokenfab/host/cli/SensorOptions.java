package dev.tokenfab.host.cli;

import dev.tokenfab.host.power.SensorDiscovery;
import dev.tokenfab.host.power.XrtElectricalSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where to look for power sensors: one picocli mixin shared by `power` and `bench`, so both commands
 * find (and are tested against) the same sensors the same way.
 */
public final class SensorOptions {

    @Option(names = "--powercap-root", description = "RAPL powercap directory (default /sys/class/powercap)")
    Path powercapRoot;

    @Option(names = "--hwmon-root", description = "hwmon directory (default /sys/class/hwmon)")
    Path hwmonRoot;

    @Option(names = "--nvml-library", description = "path of libnvidia-ml (default: the driver's libnvidia-ml.so.1)")
    Path nvmlLibrary;

    @Option(names = "--xrt-json", description = "an XRT electrical report file (xbutil examine -r electrical --format JSON), repeatable")
    List<Path> xrtJson = new ArrayList<>();

    @Option(names = "--xbutil", description = "AMD's xbutil executable to query each read (needs --bdf); Debian's xbutil does not work")
    Path xbutil;

    @Option(names = "--bdf", description = "the Alveo card's PCIe address for --xbutil")
    String bdf;

    /**
     * The discovery configuration these options describe (defaults where an option is absent).
     *
     * @throws IllegalArgumentException when --xbutil and --bdf are not given together
     */
    public SensorDiscovery.Config toConfig() {
        if ((xbutil == null) != (bdf == null)) throw new IllegalArgumentException("--xbutil and --bdf go together");
        SensorDiscovery.Config cfg = SensorDiscovery.Config.defaults();
        if (powercapRoot != null || hwmonRoot != null) {
            cfg = cfg.withRoots(powercapRoot != null ? powercapRoot : cfg.powercapRoot(), hwmonRoot != null ? hwmonRoot : cfg.hwmonRoot());
        }
        List<XrtElectricalSource> xrt = new ArrayList<>();
        xrtJson.forEach(p -> xrt.add(XrtElectricalSource.ofFile(p)));
        if (xbutil != null) xrt.add(XrtElectricalSource.xbutil(xbutil, bdf));
        return cfg.withNvmlLibrary(nvmlLibrary).withXrt(xrt);
    }
}
