package dev.tokenfab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.DeviceInfo;
import dev.tokenfab.host.device.Devices;
import org.junit.jupiter.api.Assumptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoCommandTest {

    @TempDir Path work;

    private String run() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new DemoCommand());
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("--work-dir", work.toString()), out.toString());
        return out.toString();
    }

    private static String ids(String out) {
        Matcher m = Pattern.compile("generated ids: (\\[[^]]*])").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    @Test
    void synthesizesCompilesRunsThenReuses() throws Exception {
        try {
            Devices.open(DeviceInfo.Kind.EMU, Platform.U55C).close();
        } catch (DeviceException e) {
            Assumptions.assumeTrue(e.code() != DeviceException.ErrorCode.UNAVAILABLE, "emulated card unavailable: " + e.getMessage());
            throw e;
        }
        String first = run();
        assertTrue(first.contains("synthesizing"), first);
        assertTrue(first.contains("compiling int8 for U55C"), first);
        assertEquals(16, ids(first).split(",").length, first);
        for (String row : new String[] {"host tokens/s", "card tokens/s", "card W", "card tokens/J", "HBM roofline tokens/s"}) {
            assertTrue(first.contains(row), row + " missing:\n" + first);
        }
        assertTrue(first.matches("(?s).*host tokens/s\\s+[0-9.]+\\s+measured.*"), first);
        assertTrue(first.matches("(?s).*card W\\s+[0-9.]+\\s+modeled\\s+dataflow plan.*"), first);
        String second = run();
        assertTrue(second.contains("reusing"), second);
        System.out.print(second);
        assertEquals(ids(first), ids(second), "greedy decode of the same package is deterministic");
    }
}
