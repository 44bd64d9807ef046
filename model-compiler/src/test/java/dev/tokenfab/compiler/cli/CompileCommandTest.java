package dev.tokenfab.compiler.cli;

import dev.tokenfab.format.quant.KvCacheDtype;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.compiler.quant.TestModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CompileCommandTest {

    @TempDir Path dir;

    private record Run(int exit, String out, String err) {}

    private Run run(CompileCommand cmd, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private CompileCommand withModel(DecoderModel m) {
        return new CompileCommand(path -> m);
    }

    @Test
    void compilesAndPrintsASummaryWithModeledFiguresLabeled() throws Exception {
        Path out = dir.resolve("m.tfpkg");
        Run r = run(withModel(TestModels.tinyLlama(41)), "model.onnx", "--quant", "int4", "--group-size", "32", "--zero-points",
                "--int4-method", "awq", "--keep-fp16", "tok_embeddings,lm_head", "--kv-cache", "int8", "--platform", "u55c",
                "-o", out.toString(), "--report");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("modeled (not measured)"), r.out());
        assertTrue(r.out().contains("tokens/s"), r.out());
        assertTrue(r.out().contains("SQNR dB"), "--report prints the table: " + r.out());
        assertTrue(r.out().contains("banks used"));
        try (ModelPackage pkg = PackageReader.open(out)) {
            assertEquals(PackedFormat.F16, pkg.tensor("lm_head").orElseThrow().format());
            assertEquals(PackedFormat.Q4_GROUP, pkg.tensor("layers.0.attn.wq").orElseThrow().format());
            assertTrue(pkg.tensor("layers.0.attn.wq").orElseThrow().zeroPoints());
            assertEquals("U55C", pkg.manifest().platform());
            assertEquals(dev.tokenfab.format.quant.KvCacheDtype.INT8, pkg.manifest().quant().kvCache());
        }
    }

    @Test
    void badOptionIsOneLineAndWritesNothing() {
        Path out = dir.resolve("bad.tfpkg");
        Run r = run(withModel(TestModels.tinyLlama(42)), "model.onnx", "--quant", "int4", "--group-size", "48", "--platform", "u280",
                "-o", out.toString());
        assertEquals(CompileCommand.EXIT_BAD_INPUT, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("BAD_OPTION") && r.err().contains("32, 64, 128"), r.err());
        assertFalse(Files.exists(out));
        Run k = run(withModel(TestModels.tinyLlama(42)), "model.onnx", "--quant", "int8", "--keep-fp16", "lm_hed", "--platform", "u280",
                "-o", out.toString());
        assertEquals(CompileCommand.EXIT_BAD_INPUT, k.exit());
        assertTrue(k.err().contains("lm_hed"), k.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void calibrationFileDrivesAwqAndABrokenOneIsRefused() throws Exception {
        DecoderModel m = TestModels.tinyLlama(44);
        StringBuilder json = new StringBuilder("{\"meanAbsByTensor\": {");
        String[] names = {"layers.0.attn.wq", "layers.0.attn.wk", "layers.0.attn.wv"};
        for (int i = 0; i < names.length; i++) {
            json.append(i == 0 ? "" : ",").append('"').append(names[i]).append("\": [");
            for (int c = 0; c < m.config().hiddenSize(); c++) json.append(c == 0 ? "" : ",").append(c % 16 == 3 ? 30 : 1);
            json.append(']');
        }
        json.append("}}");
        Path calib = Files.writeString(dir.resolve("calib.json"), json);
        Path out = dir.resolve("awq.tfpkg");
        Run r = run(withModel(m), "model.onnx", "--quant", "int4", "--int4-method", "awq", "--calibration", calib.toString(),
                "--platform", "u280", "-o", out.toString(), "--report");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("int4-awq") && r.out().contains("awq alpha="), r.out());

        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"meanAbsByTensor\": {\"x\": \"nope\"}}");
        Run b = run(withModel(m), "model.onnx", "--quant", "int4", "--int4-method", "awq", "--calibration", broken.toString(),
                "--platform", "u280", "-o", dir.resolve("b.tfpkg").toString());
        assertEquals(CompileCommand.EXIT_BAD_INPUT, b.exit());
        assertTrue(b.err().contains("broken.json"), b.err());
    }

    @Test
    void usageErrorsArePicocliErrors() {
        Run r = run(withModel(TestModels.tinyLlama(43)), "model.onnx", "--quant", "int3", "--platform", "u280", "-o", "x");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("int3"), r.err());
    }

    @Test
    void missingModelFileFailsWithOneLine() {
        Path out = dir.resolve("none.tfpkg");
        Run r = run(new CompileCommand(), dir.resolve("missing.onnx").toString(), "--quant", "int8", "--platform", "u280", "-o", out.toString());
        assertEquals(CompileCommand.EXIT_BAD_INPUT, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out));
    }
}
