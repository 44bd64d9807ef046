package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.Int4Method;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class QuantizerTest {

    /** Reported SQNR (fast path) and SQNR recomputed from the scalar reference must agree this closely:
     *  both sum the same errors, only in a different order/precision. */
    private static final double SQNR_AGREEMENT_DB = 0.01;

    static Stream<Arguments> layoutsAndTypes() {
        return Stream.of(WeightTensor.Layout.values()).flatMap(l -> Stream.of(ElementType.values()).map(t -> Arguments.of(l, t)));
    }

    static Stream<Arguments> int4Variants() {
        return Stream.of(32, 64, 128).flatMap(g -> Stream.of(Arguments.of(g, false), Arguments.of(g, true)));
    }

    private static QuantizedModel run(DecoderModel m, QuantSpec spec, CalibrationStats stats) throws CompileException {
        return new Quantizer(spec, stats).quantize(m, PackedStore.inMemory());
    }

    /** Every packed tensor: reference dequantization reproduces the reported SQNR; F32 tensors are exact. */
    private static void checkAgainstReference(DecoderModel m, QuantizedModel q) {
        for (PackedTensor p : q.tensors().values()) {
            float[] ref = TestModels.logical((WeightTensor.Dense) m.weight(p.name()));
            float[] deq = TestModels.dequantize(p);
            QuantReport.TensorReport rep = q.report().tensors().stream().filter(t -> t.name().equals(p.name())).findFirst().orElseThrow();
            if (p.format() == PackedFormat.F32) {
                assertArrayEquals(ref, deq, p.name());
                assertNull(rep.sqnrDb());
            } else {
                assertNotNull(rep.sqnrDb(), p.name());
                assertEquals(TestModels.sqnrDb(ref, deq), rep.sqnrDb(), SQNR_AGREEMENT_DB, p.name());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("layoutsAndTypes")
    void int8PerChannelMatchesReferenceForEveryLayoutAndType(WeightTensor.Layout layout, ElementType type) throws Exception {
        DecoderModel m = TestModels.llama(TestModels.llamaConfig(128, 64, 1, 4, 2, 128, false), layout, type, 1);
        QuantizedModel q = run(m, QuantSpec.int8(), null);
        checkAgainstReference(m, q);
        assertEquals(PackedFormat.Q8_CHANNEL, q.tensor(TensorNames.TOKEN_EMBEDDING).format(), "embedding packed in the scheme's format");
        assertEquals(128, q.tensor(TensorNames.TOKEN_EMBEDDING).rows(), "embedding rows = vocab");
        assertEquals(PackedFormat.F32, q.tensor(TensorNames.layer(0).attnNormWeight()).format());
        // Gaussian weights, 8-bit per-channel symmetric: about 6.02*8 - 10*log10(3 * (max/sigma)^2 ... ) ≈ 38-41 dB
        assertTrue(q.report().minSqnrDb() > 35, "min SQNR " + q.report().minSqnrDb());
    }

    @ParameterizedTest
    @MethodSource("int4Variants")
    void int4GroupwiseMatchesReference(int groupSize, boolean zeroPoints) throws Exception {
        DecoderModel m = TestModels.tinyLlama(2);
        QuantizedModel q = run(m, QuantSpec.int4(groupSize, zeroPoints, Int4Method.RTN), null);
        checkAgainstReference(m, q);
        PackedTensor wq = q.tensor(TensorNames.layer(0).wq());
        assertEquals(PackedFormat.Q4_GROUP, wq.format());
        assertEquals(zeroPoints, wq.zeroPoints());
        assertEquals(wq.rows() * (wq.cols() / groupSize) * 4L, wq.scales().byteSize());
        assertTrue(q.report().minSqnrDb() > 15, "int4 min SQNR " + q.report().minSqnrDb());
    }

    @Test
    void roundToNearestErrorIsAtMostHalfAStepPerElement() throws Exception {
        DecoderModel m = TestModels.tinyLlama(14);
        String name = TensorNames.layer(0).wGate();
        float[] ref = TestModels.logical((WeightTensor.Dense) m.weight(name));
        PackedTensor q8 = run(m, QuantSpec.int8(), null).tensor(name);
        PackedTensor q4 = run(m, QuantSpec.int4(32, true, Int4Method.RTN), null).tensor(name);
        int cols = q8.cols();
        for (int r = 0; r < q8.rows(); r++) {
            float[] d8 = q8.dequantizeRow(r), d4 = q4.dequantizeRow(r);
            float s8 = q8.scales().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, r);
            for (int c = 0; c < cols; c++) {
                float w = ref[r * cols + c];
                assertTrue(Math.abs(w - d8[c]) <= s8 / 2 * 1.0001f, "q8 row " + r + " col " + c);
                float s4 = q4.scales().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * (cols / 32) + c / 32);
                // asymmetric range [min(0, lo), max(0, hi)] covers the group: half a step plus the zero-point rounding
                assertTrue(Math.abs(w - d4[c]) <= s4 * 1.0001f, "q4 row " + r + " col " + c + ": " + w + " vs " + d4[c]);
            }
        }
    }

    @Test
    void fp16SchemeKeepsNormsF32AndMatchesReference() throws Exception {
        DecoderModel m = TestModels.tinyLlama(3);
        QuantizedModel q = run(m, QuantSpec.fp16(), null);
        checkAgainstReference(m, q);
        assertEquals(PackedFormat.F16, q.tensor(TensorNames.LM_HEAD).format());
        assertTrue(q.report().minSqnrDb() > 60, "fp16 SQNR " + q.report().minSqnrDb());
    }

    @Test
    void inOutAndOutInLayoutsPackToIdenticalBytes() throws Exception {
        Random rnd = new Random(4);
        int rows = 200, cols = 320;   // not multiples of the 64-wide transpose tile in rows
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        for (QuantSpec spec : List.of(QuantSpec.int8(), QuantSpec.int4(64, true, Int4Method.AWQ), QuantSpec.fp16())) {
            PackedTensor a = single(TestModels.dense("t", rows, cols, WeightTensor.Layout.OUT_IN, ElementType.F32, v), spec);
            PackedTensor b = single(TestModels.dense("t", rows, cols, WeightTensor.Layout.IN_OUT, ElementType.F32, v), spec);
            assertEquals(-1, a.data().mismatch(b.data()), spec.scheme() + " data");
            if (a.scales() != null) assertEquals(-1, a.scales().mismatch(b.scales()), spec.scheme() + " scales");
        }
    }

    private static PackedTensor single(WeightTensor.Dense d, QuantSpec spec) throws CompileException {
        DecoderConfig cfg = TestModels.llamaConfig(256, 64, 1, 4, 2, 128, false);
        DecoderModel m = new DecoderModel(cfg, Map.of(d.name(), d), null, DecoderModel.Generation.none());
        return run(m, spec, null).tensor(d.name());
    }

    @Test
    void mseClipSearchBeatsRoundToNearestOnEveryTensor() throws Exception {
        DecoderModel m = TestModels.tinyLlama(5);
        QuantizedModel rtn = run(m, QuantSpec.int4(128, false, Int4Method.RTN), null);
        QuantizedModel mse = run(m, QuantSpec.int4(128, false, Int4Method.AWQ), CalibrationStats.none());
        double gain = 0;
        int n = 0;
        for (QuantReport.TensorReport t : mse.report().tensors()) {
            if (t.format() != PackedFormat.Q4_GROUP) continue;
            assertEquals("int4-mse-clip", t.method(), "awq without stats falls back to the MSE clip search");
            double r = rtn.report().tensors().stream().filter(x -> x.name().equals(t.name())).findFirst().orElseThrow().sqnrDb();
            assertTrue(t.sqnrDb() >= r - 1e-9, t.name() + ": mse " + t.sqnrDb() + " < rtn " + r);
            gain += t.sqnrDb() - r;
            n++;
        }
        System.out.printf(java.util.Locale.ROOT, "MSE clip search: mean weight SQNR gain over RTN %.2f dB%n", gain / n);
        assertTrue(gain / n > 0.3, "mean SQNR gain of the clip search over RTN: " + gain / n + " dB");
        checkAgainstReference(m, mse);
    }

    @Test
    void awqLowersOutputErrorWithSalientChannelsAndFoldsIntoTheNorm() throws Exception {
        DecoderModel m = TestModels.tinyLlama(6);
        int hidden = m.config().hiddenSize();
        TensorNames.Layer l0 = TensorNames.layer(0);
        Random rnd = new Random(7);
        float[] a = new float[hidden];
        for (int c = 0; c < hidden; c++) a[c] = c % 16 == 3 ? 30f : 0.5f + rnd.nextFloat();   // a few salient channels (AWQ's premise)
        Map<String, float[]> stats = new HashMap<>();
        for (String t : List.of(l0.wq(), l0.wk(), l0.wv(), l0.wGate(), l0.wUp())) stats.put(t, a);
        QuantizedModel awq = run(m, QuantSpec.int4(64, false, Int4Method.AWQ), new CalibrationStats(stats));
        QuantizedModel rtn = run(m, QuantSpec.int4(64, false, Int4Method.RTN), null);
        assertEquals("int4-awq", awq.report().tensors().stream().filter(t -> t.name().equals(l0.wq())).findFirst().orElseThrow().method());

        // Output of wq on activations x with |x_c| ~ a_c (normalized input h, norm weight n): y = Wq (h * n).
        float[] wq = TestModels.logical((WeightTensor.Dense) m.weight(l0.wq()));
        float[] n = TestModels.logical((WeightTensor.Dense) m.weight(l0.attnNormWeight()));
        float[] nAwq = TestModels.dequantize(awq.tensor(l0.attnNormWeight()));
        float[] wqAwq = TestModels.dequantize(awq.tensor(l0.wq()));
        float[] wqRtn = TestModels.dequantize(rtn.tensor(l0.wq()));
        double errAwq = 0, errRtn = 0, sig = 0;
        int rows = awq.tensor(l0.wq()).rows();
        for (int trial = 0; trial < 32; trial++) {
            float[] h = new float[hidden];
            for (int c = 0; c < hidden; c++) h[c] = (float) rnd.nextGaussian() * a[c] / n[c];
            for (int r = 0; r < rows; r++) {
                double y = 0, yA = 0, yR = 0;
                for (int c = 0; c < hidden; c++) {
                    y += wq[r * hidden + c] * h[c] * n[c];
                    yA += wqAwq[r * hidden + c] * h[c] * nAwq[c];
                    yR += wqRtn[r * hidden + c] * h[c] * n[c];
                }
                sig += y * y;
                errAwq += (y - yA) * (y - yA);
                errRtn += (y - yR) * (y - yR);
            }
        }
        double gainDb = 10 * Math.log10(errRtn / errAwq);
        System.out.printf(java.util.Locale.ROOT, "AWQ: output SQNR gain over RTN %.2f dB (RTN output SQNR %.2f dB)%n",
                gainDb, 10 * Math.log10(sig / errRtn));
        assertTrue(gainDb > 1.0, "AWQ output SQNR gain over RTN " + gainDb + " dB (output SQNR rtn "
                + 10 * Math.log10(sig / errRtn) + " dB)");
    }

    @Test
    void nonFiniteWeightIsRejectedNamingTheTensor() {
        DecoderModel m = TestModels.tinyLlama(8);
        String name = TensorNames.layer(1).wk();
        WeightTensor.Dense d = (WeightTensor.Dense) m.weight(name);
        d.data().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 77, Float.POSITIVE_INFINITY);
        for (QuantSpec spec : List.of(QuantSpec.int8(), QuantSpec.int4(32, false, Int4Method.RTN), QuantSpec.fp16())) {
            CompileException e = assertThrows(CompileException.class, () -> run(m, spec, null));
            assertEquals(CompileException.ErrorCode.NON_FINITE_WEIGHT, e.code());
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        d.data().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 77, Float.NaN);
        CompileException e = assertThrows(CompileException.class, () -> run(m, QuantSpec.int8(), null));
        assertTrue(e.getMessage().contains(name), e.getMessage());
    }

    @Test
    void keepFp16OverridesNamedTensorsAndRejectsUnknownNames() throws Exception {
        DecoderModel m = TestModels.tinyLlama(9);
        QuantizedModel q = run(m, QuantSpec.int4(32, false, Int4Method.RTN)
                .withKeepFp16(List.of(TensorNames.TOKEN_EMBEDDING, TensorNames.LM_HEAD, "layers.*.mlp.w_down")), null);
        assertEquals(PackedFormat.F16, q.tensor(TensorNames.TOKEN_EMBEDDING).format());
        assertEquals(PackedFormat.F16, q.tensor(TensorNames.LM_HEAD).format());
        assertEquals(PackedFormat.F16, q.tensor(TensorNames.layer(1).wDown()).format());
        assertEquals(PackedFormat.Q4_GROUP, q.tensor(TensorNames.layer(1).wUp()).format());
        CompileException e = assertThrows(CompileException.class,
                () -> run(m, QuantSpec.int8().withKeepFp16(List.of("lm_haed")), null));
        assertEquals(CompileException.ErrorCode.BAD_OPTION, e.code());
        assertTrue(e.getMessage().contains("lm_haed"));
    }

    @Test
    void badInt4OptionsAreRefusedWithAllowedValues() {
        DecoderModel m = TestModels.tinyLlama(10);
        CompileException g = assertThrows(CompileException.class, () -> run(m, QuantSpec.int4(48, false, Int4Method.RTN), null));
        assertEquals(CompileException.ErrorCode.BAD_OPTION, g.code());
        assertTrue(g.getMessage().contains("32, 64, 128"), g.getMessage());
    }

    @Test
    void gptqWithoutHessiansFallsBackToTheClipSearchAndSaysSo() throws Exception {
        QuantizedModel q = run(TestModels.tinyLlama(10), QuantSpec.int4(64, false, Int4Method.GPTQ), null);
        QuantReport.TensorReport t = q.report().tensors().stream().filter(x -> x.format() == PackedFormat.Q4_GROUP).findFirst().orElseThrow();
        assertEquals("int4-mse-clip", t.method());
        assertTrue(t.note().contains("no calibration Hessian"), t.note());
    }

    /** Output error E||(W - Wq) x||^2 = sum_r (w_r - wq_r)^T H (w_r - wq_r). */
    private static double outputError(float[] w, float[] wq, float[] h, int rows, int cols) {
        double total = 0;
        double[] d = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) d[c] = w[r * cols + c] - wq[r * cols + c];
            for (int i = 0; i < cols; i++) {
                double s = 0;
                for (int j = 0; j < cols; j++) s += h[i * cols + j] * d[j];
                total += d[i] * s;
            }
        }
        return total;
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void gptqErrorFeedbackLowersOutputErrorOnCorrelatedInputs(boolean zeroPoints) throws Exception {
        int rows = 64, cols = 256, samples = 1024;
        Random rnd = new Random(51);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.02f;
        // inputs with correlated neighbouring channels and uneven magnitudes, as real activations have
        float[] h = new float[cols * cols];
        double[] x = new double[cols];
        for (int n = 0; n < samples; n++) {
            double prev = 0;
            for (int c = 0; c < cols; c++) {
                prev = 0.8 * prev + rnd.nextGaussian();
                x[c] = prev * (1 + 3 * (c % 7 == 0 ? 1 : 0));
            }
            for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) h[i * cols + j] += (float) (x[i] * x[j] / samples);
        }
        String name = TensorNames.layer(0).wq();
        WeightTensor.Dense d = TestModels.dense(name, rows, cols, WeightTensor.Layout.IN_OUT, ElementType.F32, w);
        DecoderModel m = new DecoderModel(TestModels.llamaConfig(256, 64, 1, 4, 2, 128, false), Map.of(name, d), null,
                DecoderModel.Generation.none());
        CalibrationStats stats = new CalibrationStats(Map.of(), Map.of(name, h));
        QuantizedModel gptq = run(m, QuantSpec.int4(32, zeroPoints, Int4Method.GPTQ), stats);
        QuantizedModel rtn = run(m, QuantSpec.int4(32, zeroPoints, Int4Method.RTN), null);
        QuantizedModel mse = run(m, QuantSpec.int4(32, zeroPoints, Int4Method.AWQ), null);
        assertEquals("int4-gptq", gptq.report().tensors().getFirst().method());
        checkAgainstReference(m, gptq);
        double eG = outputError(w, TestModels.dequantize(gptq.tensor(name)), h, rows, cols);
        double eR = outputError(w, TestModels.dequantize(rtn.tensor(name)), h, rows, cols);
        double eM = outputError(w, TestModels.dequantize(mse.tensor(name)), h, rows, cols);
        double gainOverRtnDb = 10 * Math.log10(eR / eG);
        System.out.printf(java.util.Locale.ROOT, "GPTQ zp=%b: output-error gain over RTN %.2f dB, over clip search %.2f dB%n",
                zeroPoints, gainOverRtnDb, 10 * Math.log10(eM / eG));
        assertTrue(gainOverRtnDb > 1.0, "GPTQ output-error gain over RTN " + gainOverRtnDb + " dB");
        assertTrue(eG < eM, "GPTQ " + eG + " vs clip search " + eM);
    }

    @Test
    void int4FallsBackToInt8WhenColsAreNotAMultipleOfTheGroup() throws Exception {
        float[] v = new float[16 * 96];
        for (int i = 0; i < v.length; i++) v[i] = (i % 13) - 6;
        PackedTensor p = single(TestModels.dense("odd", 16, 96, WeightTensor.Layout.OUT_IN, ElementType.F32, v),
                QuantSpec.int4(64, false, Int4Method.RTN));
        assertEquals(PackedFormat.Q8_CHANNEL, p.format());
    }

    @Test
    void importedQuantizedTensorsPassThroughUnchanged() throws Exception {
        DecoderModel base = TestModels.tinyLlama(12);
        PackedTensor src = run(base, QuantSpec.int4(32, true, Int4Method.RTN), null).tensor(TensorNames.layer(0).wv());
        Map<String, WeightTensor> w = new LinkedHashMap<>(base.weights());
        w.put(src.name(), new WeightTensor.Quantized(src.name(), src.rows(), src.cols(), src.format(), src.groupSize(),
                src.data(), src.scales(), src.zeros()));
        DecoderModel m = new DecoderModel(base.config(), w, base.source(), base.generation());
        QuantizedModel q = run(m, QuantSpec.int8(), null);
        PackedTensor out = q.tensor(src.name());
        assertSame(src.data(), out.data());
        assertEquals(PackedFormat.Q4_GROUP, out.format());
        assertEquals("imported", q.report().tensors().stream().filter(t -> t.name().equals(src.name())).findFirst().orElseThrow().method());

        MemorySegment shortScales = src.scales().asSlice(0, src.scales().byteSize() - 4);
        w.put(src.name(), new WeightTensor.Quantized(src.name(), src.rows(), src.cols(), src.format(), src.groupSize(),
                src.data(), shortScales, src.zeros()));
        CompileException e = assertThrows(CompileException.class,
                () -> run(new DecoderModel(base.config(), w, null, base.generation()), QuantSpec.int8(), null));
        assertEquals(CompileException.ErrorCode.BAD_TENSOR, e.code());
        assertTrue(e.getMessage().contains(src.name()));
    }

    @Test
    void resultDoesNotDependOnThreadCountAndScratchFileStoreWorks(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        DecoderModel m = TestModels.tinyLlama(13);
        QuantSpec spec = QuantSpec.int4(32, false, Int4Method.AWQ);
        Quantizer quantizer = new Quantizer(spec.withThreads(1), null);
        QuantizedModel one = quantizer.quantize(m, PackedStore.inMemory());
        long cap = PackedStore.capacityFor(Quantizer.partSizes(m, quantizer.chooseFormats(m)));
        java.nio.file.Path scratch = dir.resolve("scratch.bin");
        try (PackedStore store = PackedStore.mappedFile(scratch, cap)) {
            QuantizedModel two = new Quantizer(spec.withThreads(2), null).quantize(m, store);
            for (PackedTensor p : one.tensors().values()) {
                PackedTensor o = two.tensor(p.name());
                assertEquals(-1, p.data().mismatch(o.data()), p.name());
            }
        }
        assertTrue(java.nio.file.Files.notExists(scratch), "scratch file deleted on close");
    }
}
