package dev.tokenfab.compiler.accuracy;

import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.compiler.quant.Calibration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.synth.SharedModels;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SynthesizedModel;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccuracyReportTest {

    /** fp16 weights against the fp32 ONNX model: logits differ by fp16 rounding of weights (~1e-3 relative),
     *  which puts KL orders of magnitude below this. */
    static final double FP16_KL_TOLERANCE = 1e-4;
    static final double FP16_REL_ERROR_TOLERANCE = 1e-2;
    /** int8 per-channel: SQNR ~ 40 dB per tensor; KL stays well under this on the demo model. */
    static final double INT8_KL_TOLERANCE = 1e-2;

    @TempDir static Path dir;
    static SynthesizedModel llama;

    @BeforeAll
    static void writeModel() throws CompileException {
        llama = SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(3).build(), dir.resolve("llama.onnx"));
    }

    private static AccuracyReport compile(CompileOptions o, String name, ReportSpec spec) throws CompileException {
        Compiler.Result r = new Compiler(ModelImporter.onnx(), l -> { }).withAccuracyReport(spec)
                .compile(llama.model(), dir.resolve(name), o, CalibrationStats.none());
        assertTrue(Files.isRegularFile(r.output().resolve("reports/accuracy.txt")));
        return AccuracyEvaluator.read(r.output());
    }

    @Test
    void fp16PackageAgreesWithOnnxRuntime() throws Exception {
        AccuracyReport a = compile(CompileOptions.defaults().withQuant(QuantScheme.FP16), "fp16.tfpkg", ReportSpec.defaults());
        System.out.print(a.toTable());
        assertEquals(AccuracyReport.Comparison.LOGITS, a.comparison());
        assertEquals(3, a.prompts().size());
        assertEquals(3 * ReportSpec.DEFAULT_STEPS, a.overall().steps());
        assertTrue(a.overall().klMax() < FP16_KL_TOLERANCE, a.toTable());
        assertTrue(a.overall().relErrorMax() < FP16_REL_ERROR_TOLERANCE, a.toTable());
        assertEquals(1.0, a.overall().top1Agreement(), a.toTable());
        assertTrue(a.toTable().contains("measured numerical accuracy (not performance)"));
        assertTrue(a.toTable().contains("SQNR dB"));
    }

    @Test
    void int8HasSmallButNonzeroKl() throws Exception {
        AccuracyReport a = compile(CompileOptions.defaults(), "int8.tfpkg", new ReportSpec(List.of(new long[] {7, 8, 9}), 8));
        System.out.print(a.toTable());
        assertEquals(8, a.overall().steps());
        assertTrue(a.overall().klMean() > 0 && a.overall().klMax() < INT8_KL_TOLERANCE, a.toTable());
        assertTrue(a.tensors().stream().anyMatch(t -> t.sqnrDb() != null && t.sqnrDb() > 30), a.toTable());
    }

    @Test
    void jsonRoundTripsAndPromptsAreChecked() throws Exception {
        AccuracyReport a = compile(CompileOptions.defaults(), "rt.tfpkg", new ReportSpec(ReportSpec.parsePrompts("1,2;3, 4 ,5"), 3));
        Path copy = dir.resolve("copy");
        AccuracyEvaluator.write(a, copy);
        AccuracyReport b = AccuracyEvaluator.read(copy);
        assertEquals(a.toTable(), b.toTable());
        assertEquals(a.overall(), b.overall());
        assertEquals(List.of(3L, 4L, 5L), java.util.Arrays.stream(b.prompts().get(1).prompt()).boxed().toList());
        CompileException e = assertThrows(CompileException.class, () -> compile(CompileOptions.defaults(), "bad.tfpkg",
                new ReportSpec(List.of(new long[] {1, 256}), 2)));
        assertEquals(CompileException.ErrorCode.BAD_OPTION, e.code());
        assertTrue(e.getMessage().contains("256"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("bad.tfpkg")), "nothing written on a failed report");
        assertThrows(IllegalArgumentException.class, () -> ReportSpec.parsePrompts("1,x"));
    }

    @Test
    void bodyOnlyFixtureComparesHiddenStates() throws Exception {
        Path body = SharedModels.resolve("gpt2-torch-export-body/gpt2_past.onnx");
        Assumptions.assumeTrue(body != null, SharedModels.missingMessage("gpt2-torch-export-body/gpt2_past.onnx"));
        Compiler.Result r = new Compiler(ModelImporter.onnx(), l -> { }).withAccuracyReport(ReportSpec.defaults())
                .compile(body, dir.resolve("body.tfpkg"), CompileOptions.defaults().withQuant(QuantScheme.FP16), CalibrationStats.none());
        AccuracyReport a = AccuracyEvaluator.read(r.output());
        System.out.print(a.toTable());
        assertEquals(AccuracyReport.Comparison.HIDDEN_STATE, a.comparison());
        assertNull(a.overall().klMean());
        assertNull(a.overall().top1Agreement());
        assertNotNull(a.note());
        assertTrue(a.note().contains("body-only"), a.note());
        assertTrue(a.overall().relErrorMax() < FP16_REL_ERROR_TOLERANCE, a.toTable());
    }

    @Test
    void calibrationSharesInputsAndIsConsistent() throws Exception {
        var model = ModelImporter.onnx().importModel(llama.model());
        Calibration.Result c = Calibration.collect(model, Calibration.prompts(256, 2, 8), true);
        CalibrationStats s = c.stats();
        assertEquals(16, c.summary().tokens());
        float[] q = s.meanAbs("layers.0.attn.wq");
        assertTrue(q == s.meanAbs("layers.0.attn.wk") && q == s.meanAbs("layers.0.attn.wv"), "q/k/v share one input");
        assertTrue(s.meanAbs("layers.1.mlp.w_gate") == s.meanAbs("layers.1.mlp.w_up"), "gate/up share one input");
        assertEquals(172, s.meanAbs("layers.0.mlp.w_down").length);
        float[] h = s.hessian("layers.0.attn.wq");
        int n = q.length;
        for (int i = 0; i < n; i++) {
            // E[x^2] >= E[|x|]^2 (Jensen), and the mean of a magnitude is positive for real inputs
            assertTrue(q[i] > 0, "channel " + i);
            assertTrue(h[i * n + i] >= q[i] * q[i] * (1 - 1e-5), "channel " + i);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"gpt2-tiny-ort-fused/past.onnx", "llama-tiny-genai-fp16/model.onnx"})
    void realFixturesInFp16AgreeWithOnnxRuntime(String fixture) throws Exception {
        Path onnx = SharedModels.resolve(fixture);
        Assumptions.assumeTrue(onnx != null, SharedModels.missingMessage(fixture));
        Compiler.Result r = new Compiler(ModelImporter.onnx(), l -> { }).withAccuracyReport(new ReportSpec(List.of(), 8))
                .compile(onnx, dir.resolve(fixture.replace('/', '-') + ".tfpkg"),
                        CompileOptions.defaults().withQuant(QuantScheme.FP16), CalibrationStats.none());
        AccuracyReport a = AccuracyEvaluator.read(r.output());
        System.out.print(a.toTable());
        assertEquals(AccuracyReport.Comparison.LOGITS, a.comparison());
        assertTrue(a.overall().klMax() < FP16_KL_TOLERANCE, a.toTable());
        assertEquals(1.0, a.overall().top1Agreement(), a.toTable());
    }
}
