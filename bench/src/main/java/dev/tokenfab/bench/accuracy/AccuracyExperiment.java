package dev.tokenfab.bench.accuracy;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.compiler.accuracy.AccuracyEvaluator;
import dev.tokenfab.compiler.accuracy.AccuracyReport;
import dev.tokenfab.compiler.accuracy.ReportSpec;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SynthesizedModel;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The AWQ acceptance experiment: one synthetic Llama with planted outlier channels, compiled int4 with
 * each rounding method (calibration stats computed automatically by the compiler for AWQ/GPTQ), each
 * package measured against ONNX Runtime on the original ONNX file. All figures are measured numerical
 * accuracy, not performance.
 *
 * <p>Run the big configuration (hidden 512, 2 layers, 8 heads, intermediate 1376, vocab 1024, 8 outlier channels):
 * <pre>
 * ./mvnw -q -B -pl model-compiler -am test-compile
 * ./mvnw -q -B -o -pl model-compiler dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java --enable-native-access=ALL-UNNAMED -cp model-compiler/target/classes:$(cat /tmp/cp.txt) dev.tokenfab.bench.accuracy.AccuracyExperiment
 * </pre>
 * (about 70 s on 2 cores, most of it GPTQ calibration) or the slow test {@code AccuracyExperimentTest#bigModelAwqBeatsRtn}
 * ({@code -Dtest=AccuracyExperimentTest -Dtest.excludedGroups=}).
 */
public final class AccuracyExperiment {
    private AccuracyExperiment() {}

    /** Gain of planted activation outliers: SynthConstants.OUTLIER_GAIN's 10x, the milder side of LLM.int8()'s ~20x. */
    public static final float ACTIVATION_OUTLIER_GAIN = 10f;

    /** One compiled variant and its measured accuracy. */
    public record Row(String variant, AccuracyReport.Metrics metrics, Double minSqnrDb, long compileMillis) {}

    /** The configuration: hidden 512, 2 layers, 8 heads (8 KV heads), intermediate 1376, vocab 1024. */
    public static SynthSpec bigSpec() {
        return SynthSpec.builder(DecoderConfig.Family.LLAMA).layers(2).hidden(512).heads(8).kvHeads(8).intermediate(1376)
                .vocab(1024).maxContext(64).outlierChannels(8).seed(7).build();
    }

    /** Activation outlier channels of the big configuration (8 of 512, as its weight-column outliers). */
    public static final int BIG_ACTIVATION_OUTLIERS = 8;

    /** Compiles {@code spec} as int4 g{@code group} with each method under {@code work} and reports each. */
    public static List<Row> run(SynthSpec spec, int group, List<Int4Method> methods, ReportSpec report, Path work)
            throws CompileException {
        return run(spec, 0, group, methods, report, work);
    }

    /**
     * As {@link #run(SynthSpec, int, List, ReportSpec, Path)}, with {@code activationOutliers} channels of
     * every RMSNorm scale multiplied by {@link #ACTIVATION_OUTLIER_GAIN} first ({@link ActivationOutliers}).
     */
    public static List<Row> run(SynthSpec spec, int activationOutliers, int group, List<Int4Method> methods,
                                ReportSpec report, Path work) throws CompileException {
        SynthesizedModel m = SyntheticDecoderWriter.write(spec, work.resolve("model.onnx"));
        if (activationOutliers > 0) ActivationOutliers.plant(m.model(), spec.hidden(), activationOutliers, ACTIVATION_OUTLIER_GAIN);
        List<Row> rows = new ArrayList<>();
        for (Int4Method method : methods) {
            Path out = work.resolve("int4-" + method.name().toLowerCase(Locale.ROOT) + ".tfpkg");
            long t0 = System.nanoTime();
            Compiler.Result r = new Compiler(ModelImporter.onnx(), line -> { }).withAutoCalibration(true).withAccuracyReport(report)
                    .compile(m.model(), out, CompileOptions.defaults().withInt4(group, false, method), CalibrationStats.none());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            AccuracyReport a = AccuracyEvaluator.read(r.output());
            rows.add(new Row("int4-g" + group + "-" + method.name().toLowerCase(Locale.ROOT), a.overall(), r.quantReport().minSqnrDb(), ms));
        }
        return rows;
    }

    /** A table of {@code rows}. */
    public static String table(SynthSpec spec, int activationOutliers, List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "measured numerical accuracy vs ONNX Runtime CPU (not performance): synthetic Llama hidden %d, "
                        + "%d layers, %d heads, intermediate %d, vocab %d, %d weight-column outlier channels (SynthSpec), "
                        + "%d activation outlier channels (norm gain %.0f)%n",
                spec.hidden(), spec.layers(), spec.heads(), spec.intermediate(), spec.vocab(), spec.outlierChannels(),
                activationOutliers, ACTIVATION_OUTLIER_GAIN));
        sb.append(String.format(Locale.ROOT, "%-16s %12s %12s %12s %12s %8s %9s %10s%n",
                "variant", "relErr mean", "relErr max", "KL mean", "KL max", "top-1", "minSQNR", "compile ms"));
        for (Row r : rows) {
            AccuracyReport.Metrics x = r.metrics();
            sb.append(String.format(Locale.ROOT, "%-16s %12.4e %12.4e %12.4e %12.4e %7.1f%% %9.2f %10d%n", r.variant(),
                    x.relErrorMean(), x.relErrorMax(), x.klMean(), x.klMax(), 100 * x.top1Agreement(),
                    r.minSqnrDb() == null ? Double.NaN : r.minSqnrDb(), r.compileMillis()));
        }
        return sb.toString();
    }

    /** Prints the table of the big configuration (RTN, AWQ, GPTQ). Optional argument: a work directory (kept). */
    public static void main(String[] args) throws Exception {
        Path work = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("tokenfab-accuracy");
        List<Int4Method> methods = List.of(Int4Method.RTN, Int4Method.AWQ, Int4Method.GPTQ);
        SynthSpec weightOutliers = bigSpec();
        System.out.print(table(weightOutliers, 0, run(weightOutliers, 0, 128, methods, ReportSpec.defaults(), Files.createDirectories(work.resolve("w")))));
        SynthSpec plain = bigSpec().toBuilder().outlierChannels(0).build();
        System.out.print(table(plain, BIG_ACTIVATION_OUTLIERS, run(plain, BIG_ACTIVATION_OUTLIERS, 128, methods, ReportSpec.defaults(),
                Files.createDirectories(work.resolve("a")))));
        if (args.length == 0) {
            try (var paths = Files.walk(work)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
