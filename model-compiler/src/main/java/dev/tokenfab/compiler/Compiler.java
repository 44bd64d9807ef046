package dev.tokenfab.compiler;

import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildConfig;
import dev.tokenfab.compiler.build.BuildDriver;
import dev.tokenfab.compiler.build.BuildModel;
import dev.tokenfab.compiler.build.StepLists;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.QuantReport;
import dev.tokenfab.compiler.accuracy.ReportSpec;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.DataflowPlan;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The library entry point of a compile: ONNX file (or decoder IR) → package, through the default step
 * list of {@link StepLists} run by the {@link BuildDriver}. For start/stop at named steps and saved
 * intermediates, use the driver directly.
 */
public final class Compiler {

    /** Producer string recorded in manifests. */
    public static final String PRODUCER = BuildDriver.PRODUCER;

    /** Compile timings are measured, on the machine that compiled: said in every file that stores them. */
    static final String TIMING_LABEL = BuildDriver.TIMING_LABEL;

    /**
     * @param output        the package directory written
     * @param millisPerPass measured wall time per phase (import, validate, quantize, plan, write), in order
     */
    public record Result(Path output, Manifest manifest, DataflowPlan plan, QuantReport quantReport, Map<String, Long> millisPerPass) {

        static Result of(BuildDriver.Result r) {
            return new Result(r.output(), r.manifest(), r.plan(), r.quantReport(), r.millisByPass());
        }
    }

    private final ModelImporter importer;
    private final Consumer<String> log;
    /** Accuracy report measured on the written package before its rename; null = none. */
    private ReportSpec accuracy;
    /** AWQ/GPTQ without caller stats: calibrate on the fp32 reference (the compile command turns this on). */
    private boolean autoCalibration;

    /** @param log receives one line per step */
    public Compiler(ModelImporter importer, Consumer<String> log) {
        this.importer = importer;
        this.log = log;
    }

    public Compiler(ModelImporter importer) {
        this(importer, line -> System.getLogger(Compiler.class.getName()).log(System.Logger.Level.INFO, line));
    }

    /** Also measures the package against ONNX Runtime on the source model into reports/accuracy.{json,txt} (the accuracy step). */
    public Compiler withAccuracyReport(ReportSpec spec) {
        this.accuracy = spec;
        return this;
    }

    /**
     * For INT4 AWQ/GPTQ compiles given empty stats, computes them from the fp32 reference decoder on
     * deterministic calibration prompts (the calibrate step); off by default, so a library caller's empty
     * stats mean the quantizer's weight-only fallback.
     */
    public Compiler withAutoCalibration(boolean on) {
        this.autoCalibration = on;
        return this;
    }

    /** Compiles the model at {@code model} (ONNX, or whatever the importer reads) into the package {@code out}. */
    public Result compile(Path model, Path out, CompileOptions options, CalibrationStats stats) throws CompileException {
        var steps = importer == ModelImporter.ONNX ? StepLists.DEFAULT : StepLists.withImporter(importer);
        return Result.of(new BuildDriver(log).run(new BuildModel.OnnxSource(model), steps, config(options, out, stats), model));
    }

    /** Compiles an already-imported decoder IR: the steps from validate on. */
    public Result compile(DecoderModel model, Path out, CompileOptions options, CalibrationStats stats) throws CompileException {
        return Result.of(new BuildDriver(log).run(new BuildModel.DecoderIr(model, stats), StepLists.FROM_IR,
                config(options, out, stats), model.source()));
    }

    private BuildConfig config(CompileOptions options, Path out, CalibrationStats stats) {
        return BuildConfig.of(options, out).withStats(stats).withAutoCalibration(autoCalibration).withAccuracy(accuracy);
    }
}
