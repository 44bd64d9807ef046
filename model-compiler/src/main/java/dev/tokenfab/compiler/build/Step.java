package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;

/**
 * One named build step (FINN's {@code step_*} functions): takes the model at one stage and the build's
 * context, returns the model at the next stage plus its report and its own verification. Steps know
 * nothing of each other or of the driver; the order lives in {@link dev.tokenfab.compiler.build.StepLists}.
 *
 * @param <I> the stage this step reads
 * @param <O> the stage it returns
 */
public sealed interface Step<I extends BuildModel, O extends BuildModel>
        permits ReadOnnxStep, GraphPassesStep, ExtractDecoderStep, VerifyImportStep, ImportStep, ValidateStep,
                CalibrateStep, QuantizeStep, PlanStep, WritePackageStep, VerifyPackageStep, AccuracyStep {

    /** Name used in logs, reports ({@code reports/<name>.json}) and {@code --start-step/--stop-step}. */
    String name();

    /** The stage this step reads. */
    Class<I> input();

    /** The time_per_pass.json phase this step's time counts toward. */
    Phase phase();

    /** Whether this build runs the step at all (e.g. calibration only for AWQ/GPTQ without stats). */
    default boolean appliesTo(BuildConfig config) { return true; }

    /** File under {@code reports/} for the report; by default {@code <name>.json}. */
    default String reportFile() { return name() + ".json"; }

    StepResult<O> apply(I model, BuildContext context) throws CompileException;
}
