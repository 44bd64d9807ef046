package dev.tokenfab.compiler.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.cli.CompileCommand;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SynthesizedModel;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code compile ... --report} on a synthetic ONNX file: the accuracy report lands in the package and on stdout. */
class CompileReportCliTest {

    @TempDir Path dir;

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new CompileCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void reportWritesAccuracyFilesAndPrintsTheTable() throws Exception {
        SynthesizedModel m = SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(5).build(), dir.resolve("m.onnx"));
        Path out = dir.resolve("m.tfpkg");
        Run r = run(m.model().toString(), "--quant", "int4", "--group-size", "32", "--int4-method", "awq", "--platform", "u280",
                "-o", out.toString(), "--report", "--report-steps", "4", "--report-prompts", "1,2,3;9,8");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("measured numerical accuracy (not performance)"), r.out());
        assertTrue(r.out().contains("KL mean"), r.out());
        AccuracyReport a = AccuracyEvaluator.read(out);
        assertEquals(2, a.prompts().size());
        assertEquals(8, a.overall().steps());
        assertTrue(a.candidate().contains("m.tfpkg (INT4 g32 AWQ)"), a.candidate());
        assertTrue(Files.isRegularFile(out.resolve("reports/accuracy.txt")));
        assertTrue(Files.isRegularFile(out.resolve("reports/calibration.json")), "awq calibrated without --calibration");
    }

    @Test
    void badReportPromptsAreAUsageError() throws Exception {
        SynthesizedModel m = SyntheticDecoderWriter.write(SynthSpec.llamaDemo().build(), dir.resolve("m.onnx"));
        Run r = run(m.model().toString(), "--quant", "int8", "--platform", "u280", "-o", dir.resolve("x.tfpkg").toString(),
                "--report", "--report-prompts", "1,two");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("'two' is not a token id"), r.err());
        assertTrue(Files.notExists(dir.resolve("x.tfpkg")));
    }
}
