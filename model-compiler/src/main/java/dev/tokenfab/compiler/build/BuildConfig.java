package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.accuracy.ReportSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything one build is configured with besides the step list (FINN's DataflowBuildConfig).
 *
 * @param options          precision, platform, context, threads: recorded as {@code reports/options.json}
 * @param stats            caller's calibration statistics for AWQ/GPTQ (default none)
 * @param autoCalibration  AWQ/GPTQ without caller stats: run the {@code calibrate} step on the fp32
 *                         reference decoder (default false: a library caller's empty stats mean the
 *                         quantizer's weight-only fallback)
 * @param accuracy         prompts and steps of the {@code accuracy} step against ONNX Runtime; null = no such step (default)
 * @param output           package folder the {@code write} step commits to; null when the steps stop before writing
 * @param saveIntermediate folder where the model after each savable step ({@code quantize}, {@code plan}) is
 *                         saved as {@code after-<step>/} (see {@link Intermediate}); null = none (default)
 */
public record BuildConfig(CompileOptions options, CalibrationStats stats, boolean autoCalibration, ReportSpec accuracy,
                          Path output, Path saveIntermediate) {

    public BuildConfig {
        Objects.requireNonNull(options, "options");
        stats = stats == null ? CalibrationStats.none() : stats;
    }

    public static BuildConfig of(CompileOptions options, Path output) {
        return new BuildConfig(options, CalibrationStats.none(), false, null, output, null);
    }

    public BuildConfig withStats(CalibrationStats s) { return new BuildConfig(options, s, autoCalibration, accuracy, output, saveIntermediate); }

    public BuildConfig withAutoCalibration(boolean on) { return new BuildConfig(options, stats, on, accuracy, output, saveIntermediate); }

    public BuildConfig withAccuracy(ReportSpec spec) { return new BuildConfig(options, stats, autoCalibration, spec, output, saveIntermediate); }

    public BuildConfig withSaveIntermediate(Path dir) { return new BuildConfig(options, stats, autoCalibration, accuracy, output, dir); }
}
