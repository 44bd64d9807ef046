package dev.tokenfab.host.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.tokenfab.host.power.Fixtures;
import picocli.CommandLine;

/** The power command over the fake sysfs tree and XRT fixture (no GPU: NVML pointed at a missing library). */
class PowerCommandTest {

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new PowerCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void listsAvailableAndUnavailableSensorsWithReasons(@TempDir Path dir) throws Exception {
        Path root = Fixtures.sysfsCopy(dir);
        Run r = run("--powercap-root", root.resolve("powercap").toString(), "--hwmon-root", root.resolve("hwmon").toString(),
                "--nvml-library", dir.resolve("no-libnvidia-ml.so.1").toString(), "--xrt-json", Fixtures.resource("xrt/u280-electrical.json").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("available sensors: 4"), r.out());
        assertTrue(r.out().contains("rapl:package-0") && r.out().contains("rapl:0:1:dram")
                && r.out().contains("hwmon:hwmon0:xocl_hwmon:12V board input") && r.out().contains("xrt:0"), r.out());
        assertTrue(r.out().contains("unavailable: 2"), r.out());
        assertTrue(r.out().contains("no-libnvidia-ml.so.1 cannot be loaded"), r.out());
        assertTrue(r.out().contains("rapl:package-1") && r.out().contains("'garbage'"), r.out());
    }

    @Test
    void watchPrintsCountLinesOfLiveWatts(@TempDir Path dir) throws Exception {
        Path root = Fixtures.sysfsCopy(dir);
        Run r = run("--powercap-root", root.resolve("powercap").toString(), "--hwmon-root", root.resolve("hwmon").toString(),
                "--nvml-library", dir.resolve("none.so").toString(), "--xrt-json", Fixtures.resource("xrt/u280-electrical.json").toString(), "--watch", "--interval-ms", "20", "--count", "3");
        assertEquals(0, r.exit(), r.err());
        long lines = r.out().lines().filter(l -> l.startsWith("t=")).count();
        assertEquals(3, lines, r.out());
        String last = r.out().lines().filter(l -> l.startsWith("t=")).reduce((a, b) -> b).orElseThrow();
        assertTrue(last.contains("xrt:0=37.51 W") && last.contains("12V board input=37.50 W"), last);
        // the fake RAPL counters stand still, so their slope is 0 W: computed, not missing
        assertTrue(last.contains("rapl:package-0=0.00 W"), last);
    }

    @Test
    void requiredKindUnavailableFailsWithTheFix(@TempDir Path dir) throws IOException {
        Run r = run("--powercap-root", dir.resolve("nope").toString(), "--hwmon-root", dir.resolve("nope").toString(),
                "--nvml-library", dir.resolve("libnvidia-ml.so.1").toString(), "--require", "GPU_NVML");
        assertEquals(PowerCommand.EXIT_UNAVAILABLE, r.exit());
        assertTrue(r.err().contains("required sensor kind GPU_NVML is unavailable") && r.err().contains("install the NVIDIA driver"), r.err());
        assertEquals(1, r.err().lines().count(), "one line, no stack trace: " + r.err());
    }
}
