package dev.tokenfab.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.reference.OrtDecoderRunner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SynthCommandTest {
    @TempDir Path tmp;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new SynthCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesTheDemoModelAndPrintsOneLineSummary() throws Exception {
        Path model = tmp.resolve("model.onnx");
        Run r = run("--arch", "llama", "--layers", "2", "--hidden", "64", "--heads", "4", "--kv-heads", "2",
                "--intermediate", "172", "--vocab", "256", "--max-context", "128", "--seed", "1", "--form", "raw",
                "--weight-type", "f32", "-o", model.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        assertTrue(r.out().contains("parameters") && r.out().contains("bytes"), r.out());
        try (OrtDecoderRunner runner = OrtDecoderRunner.open(model)) {
            assertEquals(2, runner.convention().cacheHeads());
        }
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporaries left behind");
        }
    }

    @Test
    void externalDataContribAndOutliers() {
        Path model = tmp.resolve("c.onnx");
        Run r = run("--form", "contrib", "--weight-type", "f16", "--external-data", "--outliers", "3", "-o", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(tmp.resolve("c.onnx.data")));
        assertTrue(r.out().contains("c.onnx.data"), r.out());
    }

    @Test
    void gpt2Opset24WithInt4Blocks() throws Exception {
        Path model = tmp.resolve("g.onnx");
        Run r = run("--arch", "gpt2", "--heads", "8", "--form", "opset24", "--nbits-block", "32", "--nbits-zero-points", "-o", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("gpt2 opset24"), r.out());
        try (OrtDecoderRunner runner = OrtDecoderRunner.open(model)) {
            assertEquals(8, runner.convention().cacheHeads(), "kv heads follow --heads for gpt2");
            assertEquals(3, runner.greedy(new long[] {1, 2}, 3).tokens().length);
        }
    }

    @Test
    void helpListsTheOptions() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--kv-heads") && r.out().contains("--external-data") && r.out().contains("--outliers"), r.out());
    }

    @Test
    void badValuesAreOneLineErrorsNamingTheOption() {
        Run r = run("--form", "fused", "-o", tmp.resolve("x.onnx").toString());
        assertEquals(SynthCommand.EXIT_BAD_OPTION, r.code());
        assertTrue(r.err().contains("--form fused") && r.err().contains("contrib"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());

        r = run("--heads", "4", "--kv-heads", "3", "-o", tmp.resolve("y.onnx").toString());
        assertEquals(SynthCommand.EXIT_BAD_OPTION, r.code());
        assertTrue(r.err().contains("kvHeads"), r.err());
        assertFalse(Files.exists(tmp.resolve("y.onnx")));

        r = run("--layers", "2");
        assertEquals(2, r.code(), "missing -o is a usage error");
    }
}
