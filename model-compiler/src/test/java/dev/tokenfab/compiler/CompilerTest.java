package dev.tokenfab.compiler;

import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.quant.Int4Method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.TestModels;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompilerTest {

    @TempDir Path dir;

    @Test
    void runsThePassesInOrderLogsAndTimesEachOne() throws Exception {
        DecoderModel m = TestModels.tinyLlama(31);
        List<String> log = new ArrayList<>();
        Path onnx = dir.resolve("model.onnx");
        Compiler c = new Compiler(p -> {
            assertEquals(onnx, p);
            return m;
        }, log::add);
        Compiler.Result r = c.compile(onnx, dir.resolve("out.tfpkg"), CompileOptions.defaults().withInt4(64, false, Int4Method.RTN),
                CalibrationStats.none());
        List<String> steps = List.of("import", "validate", "quantize", "plan", "write", "verify_package");
        assertEquals(steps.size(), log.size(), log.toString());
        for (int i = 0; i < steps.size(); i++) {
            assertTrue(log.get(i).matches("step " + (i + 1) + "/" + steps.size() + " " + steps.get(i) + " \\(\\d+ ms\\)"), log.get(i));
        }
        JsonNode perStep = PackageJson.mapper().readTree(dir.resolve("out.tfpkg/time_per_step.json").toFile());
        assertEquals(Compiler.TIMING_LABEL, perStep.get("label").asText());
        assertEquals(steps, iterable(perStep.get("millisByStep").fieldNames()));
        JsonNode times = PackageJson.mapper().readTree(dir.resolve("out.tfpkg/time_per_pass.json").toFile());
        assertEquals(Compiler.TIMING_LABEL, times.get("label").asText());
        assertEquals(List.of("import", "validate", "quantize", "plan", "write"), iterable(times.get("millisByPass").fieldNames()));
        JsonNode q = PackageJson.mapper().readTree(dir.resolve("out.tfpkg/reports/quantize.json").toFile());
        assertTrue(q.get("tensors").get(1).has("sqnrDb"));
        assertTrue(Files.readString(dir.resolve("out.tfpkg/reports/quantize.txt")).contains("SQNR dB"));
        JsonNode opts = PackageJson.mapper().readTree(dir.resolve("out.tfpkg/reports/options.json").toFile());
        assertEquals(CompileOptions.defaults().withInt4(64, false, Int4Method.RTN),
                PackageJson.mapper().treeToValue(opts, CompileOptions.class), "options round-trip through JSON");
        DataflowPlan written = PackageJson.mapper().readValue(dir.resolve("out.tfpkg/dataflow.json").toFile(), DataflowPlan.class);
        assertEquals(r.plan(), written, "the package carries the plan (and modeled estimate) the compile returned");
        DataflowPlan.EstimateModeled e = r.plan().estimateModeled();
        assertTrue(e.tokensPerSecond() > 0 && e.tokensPerSecond() <= e.rooflineTokensPerSecond(), e.toString());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    @Test
    void missingOrMisshapedTensorsFailValidationByName() {
        DecoderModel base = TestModels.tinyLlama(32);
        Map<String, WeightTensor> w = new LinkedHashMap<>(base.weights());
        w.remove(TensorNames.layer(1).wo());
        CompileException e = assertThrows(CompileException.class, () -> new Compiler(p -> null, l -> { })
                .compile(new DecoderModel(base.config(), w, null, base.generation()), dir.resolve("x"), CompileOptions.defaults(), null));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_MODEL, e.code());
        assertTrue(e.getMessage().contains(TensorNames.layer(1).wo()));
        w.put(TensorNames.layer(1).wo(), TestModels.dense(TensorNames.layer(1).wo(), 3, 5, WeightTensor.Layout.OUT_IN,
                dev.tokenfab.compiler.ir.ElementType.F32, new float[15]));
        CompileException s = assertThrows(CompileException.class, () -> new Compiler(p -> null, l -> { })
                .compile(new DecoderModel(base.config(), w, null, base.generation()), dir.resolve("x"), CompileOptions.defaults(), null));
        assertEquals(CompileException.ErrorCode.BAD_TENSOR, s.code());
        assertTrue(s.getMessage().contains("[3,5]"));
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void nonFiniteWeightAbortsWithoutWritingAnything() throws Exception {
        DecoderModel m = TestModels.tinyLlama(33);
        ((WeightTensor.Dense) m.weight(TensorNames.LM_HEAD)).data().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 5, Float.NaN);
        CompileException e = assertThrows(CompileException.class,
                () -> new Compiler(p -> m, l -> { }).compile(dir.resolve("m.onnx"), dir.resolve("o.tfpkg"), CompileOptions.defaults(), null));
        assertEquals(CompileException.ErrorCode.NON_FINITE_WEIGHT, e.code());
        assertTrue(e.getMessage().contains(TensorNames.LM_HEAD));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }
}
