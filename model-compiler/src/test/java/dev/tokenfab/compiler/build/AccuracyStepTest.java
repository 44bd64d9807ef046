package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.accuracy.AccuracyReport;
import dev.tokenfab.compiler.accuracy.ReportSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The accuracy step end to end (ONNX Runtime) is covered by CompileReportCliTest and AccuracyReportTest; here its gate. */
class AccuracyStepTest {

    @TempDir Path dir;

    @Test
    void runsOnlyWhenAsked() {
        BuildConfig c = BuildConfig.of(CompileOptions.defaults(), dir);
        assertFalse(new AccuracyStep().appliesTo(c));
        assertTrue(new AccuracyStep().appliesTo(c.withAccuracy(ReportSpec.defaults())));
    }

    @Test
    void errorAtOrAboveTheSignalFails() {
        assertEquals(Verification.Status.SUCCESS, AccuracyStep.verify(report(0.02)).status());
        Verification v = AccuracyStep.verify(report(AccuracyStep.MAX_REL_ERROR_MEAN));
        assertEquals(Verification.Status.FAIL, v.status());
        assertTrue(v.detail().contains("relative error mean 1.00"), v.detail());
        assertEquals(Verification.Status.FAIL, AccuracyStep.verify(report(Double.NaN)).status(), "NaN is no pass");
    }

    private static AccuracyReport report(double relErrorMean) {
        AccuracyReport.Metrics m = new AccuracyReport.Metrics(relErrorMean, relErrorMean, 0.0, 0.0, 1.0, 4);
        return new AccuracyReport(AccuracyReport.LABEL, "ort", "pkg", AccuracyReport.Comparison.LOGITS, null, 4, List.of(), m, List.of());
    }
}
