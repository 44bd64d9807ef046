package dev.tokenfab.bench.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bench.report.ReportWriter;
import dev.tokenfab.bench.result.BenchRun;
import dev.tokenfab.bench.result.Figure;
import dev.tokenfab.bench.result.ResultRow;
import dev.tokenfab.bench.result.SystemInfo;
import dev.tokenfab.bench.sut.SharedModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The bench command end to end: the real ONNX Runtime baseline on a shared GPT-2 export, power from
 * a fake hwmon tree (a constant 37.5 W board, the only thing faked: this machine has no power sensor).
 */
class BenchCommandTest {

    static final double BOARD_WATTS = 37.5;
    /** Figures derived from others must match the formula to rounding. */
    static final double REL_TOLERANCE = 1e-9;

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    static Path fakeHwmon(Path dir) throws Exception {
        Path dev = Files.createDirectories(dir.resolve("hwmon/hwmon0"));
        Files.writeString(dev.resolve("name"), "fakeboard\n");
        Files.writeString(dev.resolve("update_interval"), "10\n");
        Files.writeString(dev.resolve("power1_input"), Math.round(BOARD_WATTS * 1e6) + "\n");
        return dir.resolve("hwmon");
    }

    @Test
    void baselineEndToEndWithLabeledFiguresAndUnwiredTokenfab(@TempDir Path dir) throws Exception {
        Path model = SharedModels.model(SharedModels.GPT2);
        Path pkg = Files.createDirectories(dir.resolve("m.tfpkg"));
        Files.writeString(pkg.resolve("dataflow.json"), "{\"platform\":\"U280\",\"estimateModeled\":{\"batch\":1,\"tokensPerSecond\":55.5,\"boardWatts\":48.0}}");
        Path out = dir.resolve("report");
        Run r = run(pkg.toString(), "--baseline", model.toString(), "--baseline-threads", "1", "--device", "emu",
                "--workload", "pp8+tg8,pp8,tg4@offline:3,pp4+tg4@server:3:500", "--batch", "1,2", "--report", out.toString(),
                "--price-per-kwh", "0.15", "--pue", "1.3", "--idle-seconds", "0.2", "--sample-ms", "5",
                "--powercap-root", dir.resolve("none").toString(), "--hwmon-root", fakeHwmon(dir).toString(),
                "--nvml-library", dir.resolve("libnvidia-ml.so.1").toString());
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(r.out().contains("ort-cpu") && r.out().contains("(measured) [1]"), r.out());
        // Every basis in the table is explained below it: on what it was measured.
        assertTrue(r.out().contains("\n[1] measured: host wall clock"), r.out());

        BenchRun run = ReportWriter.read(out.resolve(ReportWriter.JSON_FILE));
        assertTrue(Files.size(out.resolve(ReportWriter.HTML_FILE)) > 0);
        SystemInfo tf = run.systems().stream().filter(s -> s.name().equals("tokenfab-emu")).findFirst().orElseThrow();
        assertFalse(tf.available());
        assertTrue(tf.unavailableReason().contains("has no manifest.json"), tf.unavailableReason());
        assertEquals(8, run.results().size(), "4 workloads x 2 batch sizes");
        assertTrue(run.machine().logicalCores() > 0 && !run.machine().cpuModel().isBlank());

        for (ResultRow row : run.results()) {
            Figure tps = row.figure("tokensPerSecond"), w = row.figure("averageWatts");
            assertEquals(Figure.Basis.MEASURED, tps.basis(), row.toString());
            assertTrue(tps.value() > 0);
            assertEquals(Figure.Basis.MEASURED, w.basis(), row.toString());
            assertTrue(w.source().contains("hwmon") && w.source().contains("power1_input"), w.source());
            assertEquals(BOARD_WATTS, w.value(), BOARD_WATTS * REL_TOLERANCE, "constant board power integrates exactly");
            assertEquals(BOARD_WATTS, row.figure("idleWatts").value(), BOARD_WATTS * REL_TOLERANCE);
            assertEquals(tps.value() / w.value(), row.figure("tokensPerJoule").value(), tps.value() / w.value() * REL_TOLERANCE);
            double jpt = w.value() / tps.value();
            assertEquals(jpt, row.figure("joulesPerToken").value(), jpt * REL_TOLERANCE);
            assertEquals(0.0, row.figure("joulesPerTokenAboveIdle").value(), jpt * 1e-6, "constant power: nothing above idle");
            double cost = jpt * 1e6 / 3.6e6 * 0.15 * 1.3;
            assertEquals(cost, row.figure("costPerMillionTokens").value(), cost * REL_TOLERANCE);
            assertEquals(Figure.Basis.MEASURED, row.figure("timeToFirstTokenMs").basis());
            if (row.generateTokens() == 0) {
                assertTrue(tps.source().contains("prompt tokens"), tps.source());
                assertFalse(row.figure("decodeTokensPerSecond").available());
            } else if (row.generateTokens() > 1) {
                assertEquals(Figure.Basis.MEASURED, row.figure("decodeTokensPerSecond").basis(), row.toString());
                assertEquals(Figure.Basis.MEASURED, row.figure("timePerOutputTokenMs").basis(), row.toString());
            }
        }
        ResultRow server = run.results().stream().filter(x -> x.scenario().startsWith("server")).findFirst().orElseThrow();
        assertEquals(3, server.requests());
        assertTrue(server.figure("timeToFirstTokenMs").source().contains("queueing"));
        ResultRow offline = run.results().stream().filter(x -> x.scenario().equals("offline")).findFirst().orElseThrow();
        assertEquals(3, offline.requests());
    }

    @Test
    void withoutAnyPowerSensorWattsAreUnavailableWithTheReasons(@TempDir Path dir) throws Exception {
        Path model = SharedModels.model(SharedModels.GPT2);
        Path out = dir.resolve("r");
        Run r = run("--baseline", model.toString(), "--baseline-threads", "1", "--workload", "tg2", "--report", out.toString(),
                "--idle-seconds", "0", "--powercap-root", dir.resolve("nope").toString(), "--hwmon-root", dir.resolve("nope").toString(),
                "--nvml-library", dir.resolve("nope.so").toString());
        assertEquals(0, r.exit(), r.err());
        ResultRow row = ReportWriter.read(out.resolve(ReportWriter.JSON_FILE)).results().getFirst();
        Figure w = row.figure("averageWatts");
        assertFalse(w.available());
        assertTrue(w.source().contains("no measured power sensor") && w.source().contains("nope.so cannot be loaded"), w.source());
        assertFalse(row.figure("tokensPerJoule").available());
        assertFalse(row.figure("costPerMillionTokens").available());
        assertTrue(r.out().contains("n/a [") && r.out().contains("] unavailable: "), r.out());
    }

    @Test
    void badOptionsFailWithOneLine(@TempDir Path dir) {
        Run none = run("--report", dir.toString());
        assertEquals(BenchCommand.EXIT_BAD_OPTION, none.exit());
        assertTrue(none.err().contains("nothing to run"), none.err());
        Run bad = run("--baseline", "x.onnx", "--workload", "pp8+tq8", "--report", dir.toString());
        assertEquals(BenchCommand.EXIT_BAD_OPTION, bad.exit());
        assertTrue(bad.err().contains("'tq8' is not pp<N> or tg<N>"), bad.err());
        assertEquals(1, bad.err().lines().count(), bad.err());
        Run pue = run("--baseline", "x.onnx", "--pue", "0.5", "--report", dir.toString());
        assertEquals(BenchCommand.EXIT_BAD_OPTION, pue.exit());
        assertTrue(pue.err().contains("pue must be >= 1.0"), pue.err());
    }
}
