package dev.tokenfab.host.cli;

import dev.tokenfab.format.quant.QuantScheme;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenfab.format.FormatException;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.runtime.EmuDevices;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RunCommandTest {

    @TempDir static Path shared;
    static Path pkg;

    @TempDir Path dir;

    @BeforeAll
    static void compileSmallLlama() throws Exception {
        Path onnx = shared.resolve("llama.onnx");
        SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(2).build(), onnx);
        pkg = new Compiler(ModelImporter.onnx(), line -> {}).compile(onnx, shared.resolve("llama.tfpkg"),
                CompileOptions.defaults().withQuant(QuantScheme.INT8).withPlatform(Platform.U55C), null).output();
    }

    /** A private copy of the package that a test may damage. */
    private Path copy() throws IOException {
        Path out = dir.resolve("copy.tfpkg");
        try (var walk = Files.walk(pkg)) {
            for (Path p : walk.toList()) {
                Path q = out.resolve(pkg.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
        return out;
    }

    @Test
    void jsonReportsTokensMeasuredAndModeledFigures() throws Exception {
        EmuDevices.open(Platform.U55C).close(); // skips when the kernel library is not in the build
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new RunCommand());
        cl.setOut(new PrintWriter(out));
        int code = cl.execute(pkg.toString(), "--device", "emu", "--prompt-ids", "1,2,3,4", "--max-new-tokens", "6", "--json");
        assertEquals(0, code, out.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(6, j.get("generatedIds").size());
        assertEquals("measured", j.at("/measured/label").asText());
        assertTrue(j.at("/measured/hostCpu").asText().length() > 0);
        JsonNode ms = j.at("/measured/millisPerToken");
        assertEquals(6, ms.size());
        // tokens/s is derived from the per-token times it prints, from the second token on (the first carries the prefill)
        double laterMillis = 0;
        for (int i = 1; i < ms.size(); i++) {
            assertTrue(ms.get(i).asDouble() > 0, "token " + i + " took no time: " + ms);
            laterMillis += ms.get(i).asDouble();
        }
        assertEquals((ms.size() - 1) * 1000.0 / laterMillis, j.at("/measured/tokensPerSecond").asDouble(),
                1e-9 * j.at("/measured/tokensPerSecond").asDouble(), j.toString());
        assertEquals("modeled", j.at("/modeled/label").asText());
        assertEquals("dataflow plan", j.at("/modeled/from").asText());
        assertEquals("U55C", j.at("/modeled/platform").asText());
        assertTrue(j.at("/modeled/tokensPerSecond").asDouble() > 0, j.toString());
        assertTrue(j.at("/modeled/watts").asDouble() >= Platform.U55C.idleWatts(), j.toString());
        assertEquals(j.at("/modeled/tokensPerSecond").asDouble() / j.at("/modeled/watts").asDouble(),
                j.at("/modeled/tokensPerJoule").asDouble(), 1e-9 * j.at("/modeled/tokensPerJoule").asDouble(), j.toString());
        assertTrue(j.at("/modeled/hbmRoofline/tokensPerSecond").asDouble() >= j.at("/modeled/tokensPerSecond").asDouble());
    }

    /** The kernels one recorded decode step runs: every launch of one forward, recorded on the device directly. */
    static int recordedLaunchesPerStep(dev.tokenfab.host.device.Device device) throws Exception {
        try (dev.tokenfab.format.pkg.ModelPackage mp = dev.tokenfab.format.pkg.PackageReader.open(pkg);
             dev.tokenfab.host.runtime.Decoder d = dev.tokenfab.host.runtime.Decoder.load(device, mp, 1);
             dev.tokenfab.host.runtime.KvCache.Sequence seq = d.kvCache().openSequence()) {
            d.launchMode(dev.tokenfab.host.runtime.Decoder.LaunchMode.DIRECT);   // so the step's recording is ours alone
            dev.tokenfab.host.device.LaunchRecorder r = device.launchRecorder().orElseThrow();
            r.beginRecording();
            d.forward(seq, 1, 0);
            try (dev.tokenfab.host.device.LaunchProgram p = r.finishRecording().orElseThrow()) {
                return p.commands();
            }
        }
    }

    /**
     * {@code measured.launchesPerToken} equals the kernels of one recorded step (the embedding plus
     * the replayed program), and {@code hostOverheadMillisPerToken} is positive and below the measured
     * time per token, on emu and on XRT's noop shim.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"EMU", "XRT"})
    void jsonReportsLaunchesAndHostOverheadPerToken(String kind) throws Exception {
        EmuDevices.open(Platform.U55C).close();
        if (kind.equals("XRT")) dev.tokenfab.host.device.xrt.XrtTestSupport.assumeNoopXrt();
        int expectedLaunches;
        try (dev.tokenfab.host.device.Device d = dev.tokenfab.host.device.Devices.open(
                dev.tokenfab.host.device.DeviceInfo.Kind.valueOf(kind), Platform.U55C)) {
            expectedLaunches = recordedLaunchesPerStep(d);
        }
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new RunCommand());
        cl.setOut(new PrintWriter(out));
        int code = cl.execute(pkg.toString(), "--device", kind.toLowerCase(java.util.Locale.ROOT), "--prompt-ids", "1,2,3",
                "--max-new-tokens", "5", "--json");
        assertEquals(0, code, out.toString());
        JsonNode m = new ObjectMapper().readTree(out.toString()).get("measured");
        assertTrue(expectedLaunches > 10, "a Llama step is more than 10 kernels: " + expectedLaunches);
        assertEquals(expectedLaunches, m.get("launchesPerToken").asDouble(), 0.0, m.toString());
        double overhead = m.get("hostOverheadMillisPerToken").asDouble(), kernels = m.get("kernelMillisPerToken").asDouble();
        assertTrue(overhead > 0 && kernels > 0, m.toString());
        double meanMillis = 0;
        JsonNode ms = m.get("millisPerToken");
        for (int i = 1; i < ms.size(); i++) meanMillis += ms.get(i).asDouble() / (ms.size() - 1);
        assertEquals(meanMillis, overhead + kernels, 1e-6 * meanMillis, "overhead + kernel time = the measured step time: " + m);
        assertTrue(m.get("hostOverheadFrom").asText().contains("minus the time inside kernel bodies"), m.toString());
    }

    @Test
    void textOutputIsALabeledTable() throws Exception {
        EmuDevices.open(Platform.U55C).close();
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new RunCommand());
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute(pkg.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "4", "--temperature", "0.8",
                "--top-k", "40", "--top-p", "0.9", "--seed", "7"));
        String s = out.toString();
        assertTrue(s.contains("generated ids: ["), s);
        assertTrue(s.matches("(?s).*host tokens/s\\s+\\S+\\s+measured.*"), s);
        assertTrue(s.matches("(?s).*card tokens/J\\s+\\S+\\s+modeled.*"), s);
    }

    @Test
    void xrtDeviceUnderTheNoopShimGivesTheEmulatedDevicesTokens() throws Exception {
        dev.tokenfab.host.device.xrt.XrtTestSupport.assumeNoopXrt();
        StringWriter emuOut = new StringWriter();
        CommandLine emu = new CommandLine(new RunCommand());
        emu.setOut(new PrintWriter(emuOut));
        assertEquals(0, emu.execute(pkg.toString(), "--device", "emu", "--prompt-ids", "1,2", "--max-new-tokens", "6"));
        StringWriter xrtOut = new StringWriter();
        CommandLine xrt = new CommandLine(new RunCommand());
        xrt.setOut(new PrintWriter(xrtOut));
        assertEquals(0, xrt.execute(pkg.toString(), "--device", "xrt", "--prompt-ids", "1,2", "--max-new-tokens", "6"));
        assertEquals(generatedIds(emuOut.toString()), generatedIds(xrtOut.toString()));
    }

    private static String generatedIds(String out) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("generated ids: (\\[[^]]*])").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    @Test
    void openClIsRefusedWithAClearMessageBeforeUpload() {
        RunCommand cmd = new RunCommand();
        CommandLine cl = new CommandLine(cmd);
        cl.parseArgs(pkg.toString(), "--device", "opencl", "--prompt-ids", "1,2");
        DeviceException e = assertThrows(DeviceException.class, cmd::call);
        assertEquals(DeviceException.ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("device opencl: only tf_gemv_q8"), e.getMessage());
    }

    @Test
    void badPackageVersionIsTheCompilersTypedError() throws Exception {
        Path p = copy();
        ObjectMapper om = new ObjectMapper();
        ObjectNode m = (ObjectNode) om.readTree(p.resolve("manifest.json").toFile());
        m.put("formatVersion", Manifest.FORMAT_VERSION + 1);
        om.writeValue(p.resolve("manifest.json").toFile(), m);
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).parseArgs(p.toString(), "--prompt-ids", "1,2");
        FormatException e = assertThrows(FormatException.class, cmd::call);
        assertEquals(FormatException.ErrorCode.PACKAGE_VERSION, e.code());
    }

    @Test
    void corruptWeightsAreTheCompilersChecksumError() throws Exception {
        Path p = copy();
        Path bank;
        try (var files = Files.list(p.resolve("weights"))) {
            bank = files.sorted().findFirst().orElseThrow();
        }
        try (var ch = java.nio.channels.FileChannel.open(bank, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            var b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, 0);
            b.put(0, (byte) (b.get(0) ^ 0x5A)).rewind();
            ch.write(b, 0);
        }
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).parseArgs(p.toString(), "--prompt-ids", "1,2");
        FormatException e = assertThrows(FormatException.class, cmd::call);
        assertEquals(FormatException.ErrorCode.PACKAGE_CORRUPT, e.code());
        assertTrue(e.getMessage().contains(bank.getFileName().toString()), e.getMessage());
    }

    @Test
    void promptOutsideTheVocabularyIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunCommand.execute(pkg,
                dev.tokenfab.host.device.DeviceInfo.Kind.EMU, new int[] {1, 100000}, 2, dev.tokenfab.host.runtime.Sampler.Settings.greedy()));
        assertTrue(e.getMessage().contains("token id 100000"), e.getMessage());
    }
}
