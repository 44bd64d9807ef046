package dev.tokenfab.host.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.compiler.CompileException;
import dev.tokenfab.compiler.pkg.Manifest;
import dev.tokenfab.compiler.pkg.PackedFormat;
import dev.tokenfab.compiler.plan.Platform;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.runtime.EmuDevices;
import dev.tokenfab.host.runtime.TestPackages;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RunCommandTest {

    @TempDir Path dir;

    private Manifest writePackage() throws Exception {
        Manifest m = TestPackages.write(dir, TestPackages.llama(64), PackedFormat.Q8_CHANNEL, Manifest.KvCacheDtype.FP16, 5);
        new ObjectMapper().writeValue(dir.resolve("manifest.json").toFile(), m);
        return m;
    }

    @Test
    void jsonReportsTokensMeasuredAndModeledFigures() throws Exception {
        writePackage();
        EmuDevices.open(Platform.U55C).close(); // skips when the kernel library is not in the build
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new RunCommand());
        cl.setOut(new PrintWriter(out));
        int code = cl.execute(dir.toString(), "--device", "emu", "--prompt-ids", "1,2,3,4", "--max-new-tokens", "6", "--json");
        assertEquals(0, code, out.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(6, j.get("generatedIds").size());
        assertEquals("measured", j.at("/measured/label").asText());
        assertTrue(j.at("/measured/tokensPerSecond").asDouble() > 0);
        assertTrue(j.at("/measured/hostCpu").asText().length() > 0);
        assertEquals(6, j.at("/measured/millisPerToken").size());
        assertEquals("modeled", j.at("/modeled/label").asText());
        assertEquals("dataflow plan", j.at("/modeled/from").asText());
        assertTrue(j.at("/modeled/hbmRoofline/tokensPerSecond").asDouble() > 0);
    }

    @Test
    void otherDevicesAreRefusedWithAClearMessage() throws Exception {
        writePackage();
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).parseArgs(dir.toString(), "--device", "xrt", "--prompt-ids", "1,2");
        cmd.spec = new CommandLine(cmd).getCommandSpec();
        DeviceException e = assertThrows(DeviceException.class, cmd::call);
        assertEquals(DeviceException.ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("device xrt: not available in this build yet"), e.getMessage());
    }

    @Test
    void badPackageVersionIsTheCompilersTypedError() throws Exception {
        Manifest m = writePackage();
        Manifest future = new Manifest(Manifest.FORMAT_VERSION + 1, m.producer(), m.model(), m.quant(), m.platform(), m.tensors(),
                m.files(), m.generation());
        new ObjectMapper().writeValue(dir.resolve("manifest.json").toFile(), future);
        CompileException e = assertThrows(CompileException.class, () -> RunCommand.execute(dir, dev.tokenfab.host.device.DeviceInfo.Kind.EMU,
                new int[] {1}, 2, dev.tokenfab.host.runtime.Sampler.Settings.greedy()));
        assertEquals(CompileException.ErrorCode.PACKAGE_VERSION, e.code());
    }
}
