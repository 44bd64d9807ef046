package dev.tokenfab.host.cli;

import dev.tokenfab.bitstreams.xclbin.Xclbin;
import dev.tokenfab.bitstreams.xclbin.XclbinReader;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.XrtDevice;
import dev.tokenfab.host.device.opencl.OpenCl;
import dev.tokenfab.host.device.xrt.Xrt;
import dev.tokenfab.host.device.xrt.XrtLibrary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenfab devices}: what each backend can run on here. The emulated device is always
 * there; XRT devices are listed with the memory banks of the loaded xclbin's topology, or the
 * reason XRT cannot be used (environment, shim, no card); OpenCL devices likewise.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the devices tokenfab can run on: emulation, XRT (Alveo or noop shim), OpenCL.")
public final class DevicesCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--platform", defaultValue = "u55c",
            description = "Platform whose emulation xclbin is loaded to show the XRT memory topology: u55c, u280, u250 (default: ${DEFAULT-VALUE}).")
    String platform;

    @Option(names = "--xclbin", description = "Load this xclbin instead of the platform's emulation image.")
    Path xclbin;

    @Option(names = "--xrt-device", defaultValue = "0", description = "XRT device index (default: ${DEFAULT-VALUE}).")
    int xrtDevice;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Platform p;
        try {
            p = Platform.parse(platform);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("devices: " + e.getMessage());
            return 2;
        }
        out.println("emu     available: C-simulation of the HLS kernels on this CPU (compute emulated)");
        for (String line : xrt(p)) out.println(line);
        for (String line : openCl()) out.println(line);
        out.flush();
        return 0;
    }

    List<String> xrt(Platform p) {
        List<String> lines = new ArrayList<>();
        if (XrtLibrary.check(System.getenv()) instanceof XrtLibrary.Availability.Unavailable(String reason, String fix)) {
            lines.add("xrt     unavailable: " + reason);
            lines.add("        fix: " + fix);
            return lines;
        }
        Path file = xclbin;
        try (Xrt.Device d = Xrt.Device.open(xrtDevice)) {
            if (file == null && !d.emulated()) {
                // never load the emulation image (no bitstream) onto a card: report what is loaded now
                lines.add("xrt     available: device " + xrtDevice + " (Alveo card), loaded xclbin uuid " + d.xclbinUuid());
                lines.add("        pass --xclbin <file> to load one and show its memory topology");
                return lines;
            }
            if (file == null) file = XrtDevice.emulationImage(p);
            Xclbin image = XclbinReader.read(file);
            try (Xrt.Xclbin x = Xrt.Xclbin.fromFile(file)) {
                UUID uuid = d.load(x);
                lines.add("xrt     available: device " + xrtDevice + (d.emulated() ? " (noop shim: XRT runs, compute is C-simulation)" : " (Alveo card)")
                        + ", platform " + image.platformVbnv());
                lines.add("        xclbin " + file + " uuid " + uuid + ", " + image.kernels().size() + " kernels");
                lines.add("        memory banks: " + describeBanks(image));
            }
        } catch (DeviceException e) {
            lines.add("xrt     unavailable: " + e.getMessage());
        } catch (IOException e) {
            lines.add("xrt     unavailable: cannot read xclbin " + file + ": " + e.getMessage());
        }
        return lines;
    }

    /** "HBM[0]..HBM[31] (32 x 512 MiB)" style, grouping consecutive banks of one type and size. */
    static String describeBanks(Xclbin image) {
        List<String> parts = new ArrayList<>();
        List<Xclbin.MemoryBank> used = image.memoryBanks().stream().filter(Xclbin.MemoryBank::used).toList();
        int i = 0;
        while (i < used.size()) {
            Xclbin.MemoryBank first = used.get(i);
            int j = i;
            while (j + 1 < used.size() && used.get(j + 1).type() == first.type() && used.get(j + 1).sizeBytes() == first.sizeBytes()) j++;
            String range = i == j ? first.tag() : first.tag() + ".." + used.get(j).tag();
            parts.add(range + " (" + (j - i + 1) + " x " + mib(first.sizeBytes()) + ", group " + first.index() + (i == j ? "" : ".." + used.get(j).index()) + ")");
            i = j + 1;
        }
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    private static String mib(long bytes) {
        return bytes >= (1L << 30) && bytes % (1L << 30) == 0 ? (bytes >> 30) + " GiB" : (bytes >> 20) + " MiB";
    }

    static List<String> openCl() {
        List<String> lines = new ArrayList<>();
        switch (OpenCl.probe()) {
            case OpenCl.Availability.Unavailable(String reason, String fix) -> {
                lines.add("opencl  unavailable: " + reason);
                lines.add("        fix: " + fix);
            }
            case OpenCl.Availability.Available(List<OpenCl.DeviceDesc> devices) -> {
                for (OpenCl.DeviceDesc d : devices)
                    lines.add("opencl  available: platform " + d.platformIndex() + " device " + d.deviceIndex() + ": " + d.platform() + " / " + d.name()
                            + " (" + d.version() + ", " + d.type() + ", " + d.computeUnits() + " compute units, " + mib(d.globalMemBytes()) + " global memory)");
            }
        }
        return lines;
    }
}
