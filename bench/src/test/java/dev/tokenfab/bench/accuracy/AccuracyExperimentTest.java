package dev.tokenfab.bench.accuracy;

import dev.tokenfab.compiler.accuracy.AccuracyReport;
import dev.tokenfab.compiler.accuracy.ReportSpec;
import dev.tokenfab.format.quant.Int4Method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.compiler.synth.SynthSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AWQ (with the compiler's automatic calibration) against RTN, measured against ONNX Runtime. */
class AccuracyExperimentTest {

    @TempDir Path dir;

    /** Small enough for the default suite: hidden 128, 2 layers, int4 g32, 4 activation outlier channels. */
    @Test
    void awqBeatsRtnOnKlWithActivationOutliers() throws Exception {
        SynthSpec spec = SynthSpec.builder(DecoderConfig.Family.LLAMA).layers(2).hidden(128).heads(4).kvHeads(2)
                .intermediate(256).vocab(256).maxContext(32).seed(11).build();
        List<AccuracyExperiment.Row> rows = AccuracyExperiment.run(spec, 4, 32,
                List.of(Int4Method.RTN, Int4Method.AWQ), new ReportSpec(List.of(), 8), dir);
        System.out.print(AccuracyExperiment.table(spec, 4, rows));
        AccuracyReport.Metrics rtn = rows.get(0).metrics(), awq = rows.get(1).metrics();
        assertEquals(24, awq.steps());
        assertTrue(awq.klMean() < rtn.klMean(), "AWQ KL " + awq.klMean() + " must beat RTN KL " + rtn.klMean());
        assertTrue(Files.isRegularFile(dir.resolve("int4-awq.tfpkg/reports/calibration.json")), "AWQ calibrated automatically");
        assertTrue(Files.notExists(dir.resolve("int4-rtn.tfpkg/reports/calibration.json")), "RTN needs no calibration");
    }

    /** The acceptance configuration; prints the numbers. */
    @Test
    @Tag("slow")
    void bigModelAwqBeatsRtn() throws Exception {
        SynthSpec plain = AccuracyExperiment.bigSpec().toBuilder().outlierChannels(0).build();
        List<Int4Method> methods = List.of(Int4Method.RTN, Int4Method.AWQ, Int4Method.GPTQ);
        List<AccuracyExperiment.Row> act = AccuracyExperiment.run(plain, AccuracyExperiment.BIG_ACTIVATION_OUTLIERS, 128, methods,
                ReportSpec.defaults(), Files.createDirectories(dir.resolve("a")));
        System.out.print(AccuracyExperiment.table(plain, AccuracyExperiment.BIG_ACTIVATION_OUTLIERS, act));
        assertTrue(act.get(1).metrics().klMean() < act.get(0).metrics().klMean(), "activation outliers: AWQ KL must beat RTN");
        SynthSpec weight = AccuracyExperiment.bigSpec();
        List<AccuracyExperiment.Row> w = AccuracyExperiment.run(weight, 0, 128, methods, ReportSpec.defaults(),
                Files.createDirectories(dir.resolve("w")));
        System.out.print(AccuracyExperiment.table(weight, 0, w));
        assertTrue(w.get(1).metrics().klMean() < w.get(0).metrics().klMean(), "weight-column outliers: AWQ KL must beat RTN");
    }
}
