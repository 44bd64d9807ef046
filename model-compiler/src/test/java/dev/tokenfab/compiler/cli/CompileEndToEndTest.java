package dev.tokenfab.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.compiler.quant.TestModels;
import dev.tokenfab.compiler.synth.SynthForm;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** ONNX written by the project's synthetic writer (and the shared real fixtures) → compile CLI → package → reader. */
class CompileEndToEndTest {

    @TempDir Path dir;

    /** Floor on the per-tensor SQNR (dB) of the package's weights against the imported dense weights:
     *  int8 per channel on random weights lands near 40 dB, int4 g32 near 20 dB, fp16 above 60 dB. */
    private static double minSqnrDb(String quant) {
        return switch (quant) {
            case "int8" -> 35;
            case "int4" -> 15;
            default -> 60;
        };
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("llama raw fp32", SynthSpec.llamaDemo().form(SynthForm.RAW).build(), List.of("--quant", "int4", "--group-size", "32", "--int4-method", "awq")),
                Arguments.of("llama opset24", SynthSpec.llamaDemo().form(SynthForm.OPSET24).build(),
                        List.of("--quant", "int8", "--kv-cache", "int8")),
                Arguments.of("llama raw fp16 external", SynthSpec.llamaDemo().weightType(dev.tokenfab.compiler.ir.ElementType.F16)
                        .externalData(true).build(), List.of("--quant", "int4", "--group-size", "64", "--int4-method", "awq")),
                Arguments.of("llama contrib MatMulNBits g32 zero points", SynthSpec.llamaDemo().form(SynthForm.CONTRIB).nbitsBlockSize(32)
                        .nbitsZeroPoints(true).build(), List.of("--quant", "int4", "--group-size", "32")),
                Arguments.of("llama contrib bf16", SynthSpec.llamaDemo().form(SynthForm.CONTRIB).weightType(dev.tokenfab.compiler.ir.ElementType.BF16)
                        .build(), List.of("--quant", "int8")),
                Arguments.of("llama contrib fp32", SynthSpec.llamaDemo().form(SynthForm.CONTRIB).build(), List.of("--quant", "int8")),
                Arguments.of("gpt2 opset24", SynthSpec.gpt2Demo().form(SynthForm.OPSET24).build(), List.of("--quant", "fp16")),
                Arguments.of("gpt2 raw tied", SynthSpec.gpt2Demo().form(SynthForm.RAW).build(), List.of("--quant", "int4", "--zero-points", "--group-size", "32")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void compilesWhatTheWriterWroteAndReadsItBack(String label, SynthSpec spec, List<String> quantArgs) throws Exception {
        Path onnx = SyntheticDecoderWriter.write(spec, dir.resolve("model.onnx")).model();
        Path out = dir.resolve("model.tfpkg");
        String quant = quantArgs.get(1);
        List<String> args = new java.util.ArrayList<>(List.of(onnx.toString(), "--platform", "u280", "-o", out.toString()));
        args.addAll(quantArgs);
        StringWriter so = new StringWriter(), se = new StringWriter();
        CommandLine cl = new CommandLine(new CompileCommand());
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        assertEquals(0, cl.execute(args.toArray(String[]::new)), se.toString());
        assertTrue(so.toString().contains("modeled (not measured)"), so.toString());

        DecoderModel imported = ModelImporter.onnx().importModel(onnx);
        if (label.contains("MatMulNBits")) {
            assertTrue(imported.weights().values().stream().anyMatch(w -> w instanceof WeightTensor.Quantized), "MatMulNBits import as Quantized");
        }
        try (ModelPackage pkg = PackageReader.open(out)) {
            assertEquals(imported.config(), pkg.manifest().model());
            for (WeightTensor w : imported.weights().values()) {
                Manifest.Tensor t = pkg.tensor(w.name()).orElseThrow(() -> new AssertionError("package lacks " + w.name()));
                if (w instanceof WeightTensor.Quantized q) {
                    // imported int4 passes through byte for byte
                    assertEquals(-1, q.data().mismatch(pkg.part(w.name(), PackedFormat.DATA)), w.name());
                    assertEquals(-1, q.scales().mismatch(pkg.part(w.name(), PackedFormat.SCALES)), w.name());
                    continue;
                }
                if (!(w instanceof WeightTensor.Dense d) || t.format() == PackedFormat.F32) continue;
                double sqnr = TestModels.sqnrDb(TestModels.logical(d), pkg.dequantize(w.name()));
                assertTrue(sqnr >= minSqnrDb(quant), label + " " + w.name() + " " + t.format() + ": " + sqnr + " dB");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sharedFixtures")
    void compilesTheRealExportedFixtures(String folder) throws Exception {
        Path models = Path.of(System.getProperty("tokenfab.sharedModels", "../shared/models"));
        Path model = models.resolve(folder);
        Assumptions.assumeTrue(Files.isDirectory(model), "shared fixture " + model + " absent; skipping");
        Path out = dir.resolve(folder + ".tfpkg");
        CommandLine cl = new CommandLine(new CompileCommand());
        StringWriter se = new StringWriter();
        cl.setErr(new PrintWriter(se));
        cl.setOut(new PrintWriter(new StringWriter()));
        int exit = cl.execute(model.toString(), "--quant", "int8", "--platform", "u55c", "-o", out.toString());
        assertEquals(0, exit, se.toString());
        DecoderModel imported = ModelImporter.onnx().importModel(model);
        try (ModelPackage pkg = PackageReader.open(out)) {
            assertEquals(imported.weights().size(), pkg.manifest().tensors().size());
            if (imported.generation().tokenizerJson() != null) assertEquals("tokenizer.json", pkg.manifest().generation().tokenizerFile());
        }
    }

    static Stream<String> sharedFixtures() {
        return Stream.of("gpt2-tiny-ort-fused", "gpt2-torch-export-body", "llama-tiny-genai-fp16");
    }
}
