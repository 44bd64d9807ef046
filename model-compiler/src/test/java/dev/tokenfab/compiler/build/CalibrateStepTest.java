package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.format.quant.Int4Method;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrateStepTest {

    @TempDir Path dir;

    @Test
    void runsOnlyForAutoCalibratedAwqOrGptqWithoutStats() {
        BuildConfig awq = BuildConfig.of(CompileOptions.defaults().withInt4(32, false, Int4Method.AWQ), dir).withAutoCalibration(true);
        CalibrateStep s = new CalibrateStep();
        assertTrue(s.appliesTo(awq));
        assertFalse(s.appliesTo(awq.withAutoCalibration(false)), "a library caller's empty stats mean weight-only");
        assertFalse(s.appliesTo(awq.withStats(new CalibrationStats(Map.of("x", new float[] {1f})))), "caller's stats win");
        assertFalse(s.appliesTo(BuildConfig.of(CompileOptions.defaults().withInt4(32, false, Int4Method.RTN), dir).withAutoCalibration(true)));
        assertFalse(s.appliesTo(BuildConfig.of(CompileOptions.defaults(), dir).withAutoCalibration(true)), "int8 needs no stats");
    }

    @Test
    void collectsStatsOnTheReferenceDecoder() throws Exception {
        BuildConfig awq = BuildConfig.of(CompileOptions.defaults().withInt4(32, false, Int4Method.AWQ), dir).withAutoCalibration(true);
        DecoderIr out = new CalibrateStep().apply(Toy.ir(8), Toy.context(awq)).model();
        assertFalse(out.stats().isEmpty());
        assertTrue(out.stats().meanAbsByTensor().values().stream().allMatch(v -> v.length > 0));
    }
}
