package dev.tokenfab.bench.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.bench.report.ReportWriter;
import dev.tokenfab.bench.result.BenchRun;
import dev.tokenfab.bench.result.Figure;
import dev.tokenfab.bench.result.ResultRow;
import dev.tokenfab.bench.sut.SharedModels;
import dev.tokenfab.compiler.cli.CompileCommand;
import dev.tokenfab.host.device.Devices;
import dev.tokenfab.kernels.KernelLibrary;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * tokenfab on the emulated card end to end: the shared Llama export compiled by the real compiler,
 * decoded by the real runtime on the emu device (C-simulation kernels), benchmarked next to the ONNX
 * Runtime baseline. The card's headline figures must be the plan's modeled ones and the host's
 * emulation speed a separate measured figure.
 */
class BenchTokenfabEmuTest {

    private String previousKernelLibrary;

    @AfterEach
    void restore() {
        if (previousKernelLibrary == null) System.clearProperty(Devices.KERNEL_LIBRARY_PROPERTY);
        else System.setProperty(Devices.KERNEL_LIBRARY_PROPERTY, previousKernelLibrary);
    }

    @Test
    void emulatedCardIsModeledHostTimeMeasuredBaselineMeasured(@TempDir Path dir) throws Exception {
        Path model = SharedModels.model(SharedModels.LLAMA);
        Path pkg = dir.resolve("llama.tfpkg");
        int compiled = new CommandLine(new CompileCommand()).execute(model.toString(), "--quant", "int8", "--platform", "u280",
                "-o", pkg.toString());
        assertEquals(0, compiled, "compile failed");
        // Devices does not find the bundled kernels yet (host.device): point it at the library hls-kernels extracts
        previousKernelLibrary = System.getProperty(Devices.KERNEL_LIBRARY_PROPERTY);
        System.setProperty(Devices.KERNEL_LIBRARY_PROPERTY, KernelLibrary.libraryPath().toString());

        Path out = dir.resolve("report");
        BenchCommandTest.Run r = BenchCommandTest.run(pkg.toString(), "--baseline", model.toString(), "--baseline-threads", "1",
                "--device", "emu", "--workload", "pp4+tg8", "--batch", "1,2", "--report", out.toString(), "--idle-seconds", "0",
                "--powercap-root", dir.resolve("none").toString(), "--hwmon-root", dir.resolve("none").toString(),
                "--nvml-library", dir.resolve("none.so").toString());
        assertEquals(0, r.exit(), r.err() + r.out());

        JsonNode estimate = new ObjectMapper().readTree(pkg.resolve("dataflow.json").toFile()).get("estimateModeled");
        BenchRun run = ReportWriter.read(out.resolve(ReportWriter.JSON_FILE));
        ResultRow card1 = run.results().stream().filter(x -> x.system().equals("tokenfab-emu-u280") && x.batch() == 1).findFirst().orElseThrow();
        assertEquals(Figure.Basis.MODELED, card1.figure("tokensPerSecond").basis());
        assertEquals(estimate.get("tokensPerSecond").asDouble(), card1.figure("tokensPerSecond").value(), 0.0);
        assertEquals(estimate.get("boardWatts").asDouble(), card1.figure("averageWatts").value(), 0.0);
        assertEquals(Figure.Basis.MODELED, card1.figure("tokensPerJoule").basis());
        Figure host = card1.figure("hostEmulationTokensPerSecond");
        assertEquals(Figure.Basis.MEASURED, host.basis());
        assertTrue(host.value() > 0 && host.source().contains("NOT card performance"), host.source());
        ResultRow card2 = run.results().stream().filter(x -> x.system().equals("tokenfab-emu-u280") && x.batch() == 2).findFirst().orElseThrow();
        // batch 2: the planner's estimate re-run at batch 2 (weights read once per step for both sequences)
        assertEquals(Figure.Basis.MODELED, card2.figure("tokensPerSecond").basis());
        assertTrue(card2.figure("tokensPerSecond").source().contains("batch 2"), card2.figure("tokensPerSecond").source());
        assertTrue(card2.figure("tokensPerSecond").value() > card1.figure("tokensPerSecond").value(),
                "a batch of 2 shares each weight read, so the modeled aggregate tokens/s must rise");
        assertEquals(Figure.Basis.MEASURED, card2.figure("hostEmulationTokensPerSecond").basis(), "batch 2 ran on the emulated device");
        ResultRow ort = run.results().stream().filter(x -> x.system().equals("ort-cpu")).findFirst().orElseThrow();
        assertEquals(Figure.Basis.MEASURED, ort.figure("tokensPerSecond").basis());
    }
}
