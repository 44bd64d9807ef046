package dev.tokenfab.host.device.xrt;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenfab.host.device.CsimCompute;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.Devices;
import dev.tokenfab.host.device.XrtDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test environment for the XRT backend. Surefire (host/pom.xml) sets {@code XILINX_XRT} to
 * {@code target/xrt-root} and {@code XCL_EMULATION_MODE=noop}; this links
 * {@code target/xrt-root/lib} to Debian's libdir before the first XRT call (XRT resolves the
 * shim at that moment), and skips, with the reason, where XRT is not installed.
 */
public final class XrtTestSupport {

    private XrtTestSupport() {}

    public static void assumeNoopXrt() {
        String root = System.getenv("XILINX_XRT");
        assumeTrue(root != null && "noop".equals(System.getenv("XCL_EMULATION_MODE")),
                "XRT tests need XILINX_XRT and XCL_EMULATION_MODE=noop (set by host/pom.xml surefire config)");
        Path lib = Path.of(root, "lib");
        Path debian = Path.of(XrtLibrary.DEBIAN_LIBDIR);
        if (!Files.exists(lib) && Files.isReadable(debian.resolve(XrtLibrary.NOOP_SHIM))) {
            try {
                Files.createDirectories(lib.getParent());
                Files.createSymbolicLink(lib, debian);
            } catch (IOException e) {
                throw new IllegalStateException("cannot link " + lib + " -> " + debian, e);
            }
        }
        XrtLibrary.Availability a = XrtLibrary.check(System.getenv());
        assumeTrue(a instanceof XrtLibrary.Availability.Available, () -> "XRT unavailable: " + a);
        assumeTrue(Files.isReadable(debian.resolve(XrtLibrary.LIBRARY)), "libxrt1 not installed (" + XrtLibrary.LIBRARY + ")");
    }

    private static CsimCompute.Simulator simulator;

    /**
     * The hls-kernels C-simulation: env {@code TOKENFAB_KERNELS_LIB} (a library file) if set, else the
     * library hls-kernels bundles ({@code KernelLibrary.load()}); skips, with the reason, when neither loads.
     */
    public static synchronized CsimCompute.Simulator assumeSimulator() {
        if (simulator != null) return simulator;
        String file = System.getenv("TOKENFAB_KERNELS_LIB");
        try {
            simulator = file != null && Files.isReadable(Path.of(file))
                    ? CsimCompute.Simulator.fromBinding(Devices.libraryBinding(Path.of(file)))
                    : CsimCompute.Simulator.bundled();
        } catch (DeviceException e) {
            assumeTrue(false, "hls-kernels C-simulation library not available: " + e.getMessage());
        }
        return simulator;
    }
}
