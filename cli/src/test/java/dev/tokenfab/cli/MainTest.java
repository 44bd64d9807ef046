package dev.tokenfab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The launcher's contract: every command mounted with --help, and bad input as one line with a non-zero code. */
class MainTest {

    private record Outcome(int code, String out, String err) {}

    private static Outcome run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void everyCommandIsMountedAndHasHelp() {
        for (String cmd : new String[] {"synth", "compile", "link-config", "run", "demo", "devices", "power", "bench"}) {
            Outcome o = run(cmd, "--help");
            assertEquals(0, o.code(), cmd + ": " + o.err());
            assertTrue(o.out().contains("Usage: tokenfab " + cmd), cmd + ": " + o.out());
        }
    }

    @Test
    void missingModelIsOneLineAndNonZero() {
        Outcome o = run("compile", "/nonexistent/model.onnx", "--quant", "int8", "--platform", "u55c", "-o", "/tmp/never.tfpkg");
        assertTrue(o.code() != 0);
        assertTrue(o.err().contains("/nonexistent/model.onnx"), o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace without --verbose: " + o.err());
    }

    @Test
    void notOnnxIsOneLineAndLeavesNoPackage(@TempDir Path dir) throws Exception {
        Path bogus = dir.resolve("bogus.onnx");
        Files.writeString(bogus, "this is not a protobuf model");
        Path out = dir.resolve("x.tfpkg");
        Outcome o = run("compile", bogus.toString(), "--quant", "int8", "--platform", "u55c", "-o", out.toString());
        assertEquals(Main.EXIT_BAD_INPUT, o.code(), o.err());
        assertTrue(o.err().contains("bogus.onnx"), o.err());
        assertFalse(o.err().contains("\tat "), o.err());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the input remains: nothing half-written");
        }
    }

    @Test
    void verboseAddsTheStackTrace() {
        Outcome o = run("--verbose", "run", "/nonexistent/x.tfpkg", "--prompt-ids", "1,2");
        assertEquals(Main.EXIT_BAD_INPUT, o.code(), o.err());
        assertTrue(o.err().contains("\tat "), o.err());
    }

    @Test
    void missingPackageForRunIsOneLine() {
        Outcome o = run("run", "/nonexistent/x.tfpkg", "--prompt-ids", "1,2");
        assertTrue(o.code() != 0);
        assertTrue(o.err().contains("/nonexistent/x.tfpkg"), o.err());
        assertFalse(o.err().contains("\tat "), o.err());
    }
}
