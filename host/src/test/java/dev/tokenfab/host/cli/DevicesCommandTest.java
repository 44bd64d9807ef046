package dev.tokenfab.host.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.host.device.xrt.XrtTestSupport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DevicesCommandTest {

    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new DevicesCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void listsEmulationXrtTopologyAndOpenCl() {
        XrtTestSupport.assumeNoopXrt();
        Result r = run("--platform", "u280");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("emu     available"), r.out());
        assertTrue(r.out().contains("xrt     available: device 0 (noop shim"), r.out());
        assertTrue(r.out().contains("platform xilinx_u280_gen3x16_xdma_1_202211_1"), r.out());
        assertTrue(r.out().contains("HBM[0]..HBM[31] (32 x 256 MiB, group 0..31), DDR[0]..DDR[1] (2 x 16 GiB, group 32..33)"), r.out());
        assertTrue(r.out().contains("opencl  "), r.out());
    }

    @Test
    void badPlatformIsOneLine() {
        Result r = run("--platform", "u999");
        assertEquals(2, r.exit());
        assertEquals("devices: unknown platform 'u999'; allowed: u55c, u280, u250", r.err().trim());
    }

    /** XRT's shim is fixed per process, so other environments run in a child JVM. */
    static Result inChildJvm(Map<String, String> envChanges) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), DevicesCommandChild.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        envChanges.forEach((k, v) -> { if (v == null) pb.environment().remove(k); else pb.environment().put(k, v); });
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out, err);
    }

    @Test
    void withoutEmulationModeThereIsNoDeviceAndTheJvmSurvives() throws Exception {
        XrtTestSupport.assumeNoopXrt();
        java.util.HashMap<String, String> env = new java.util.HashMap<>();
        env.put("XCL_EMULATION_MODE", null);
        Result r = inChildJvm(env);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("xrt     unavailable: NO_DEVICE: xrtDeviceOpen(0): no XRT device at index 0"), r.out());
    }

    @Test
    void unsafeEnvironmentsAreRefusedBeforeXrtLoads() throws Exception {
        XrtTestSupport.assumeNoopXrt();
        Result sw = inChildJvm(Map.of("XCL_EMULATION_MODE", "sw_emu"));
        assertEquals(0, sw.exit(), sw.err());
        assertTrue(sw.out().contains("xrt     unavailable: XCL_EMULATION_MODE=sw_emu"), sw.out());
        java.util.HashMap<String, String> env = new java.util.HashMap<>();
        env.put("XILINX_XRT", null);
        Result unset = inChildJvm(env);
        assertEquals(0, unset.exit(), unset.err());
        assertTrue(unset.out().contains("xrt     unavailable: XILINX_XRT is not set"), unset.out());
        assertTrue(unset.out().contains("fix: mkdir -p ~/.tokenfab/xrt"), unset.out());
    }
}
