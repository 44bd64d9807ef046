package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.WrittenPackage;
import dev.tokenfab.compiler.accuracy.AccuracyEvaluator;
import dev.tokenfab.compiler.accuracy.AccuracyReport;
import dev.tokenfab.format.FormatException.ErrorCode;
import java.util.Locale;

/**
 * Verification point "against ONNX Runtime" (only when the build asks for it): the temporary package's
 * fp32 reference decoder vs ONNX Runtime on the source model ({@link AccuracyEvaluator}), into
 * {@code reports/accuracy.{json,txt}}; verifies the mean relative error of the output rows.
 */
public final class AccuracyStep implements Step<WrittenPackage, WrittenPackage> {

    /**
     * Limit on the mean relative L2 error of the package's output rows vs ONNX Runtime: the error must stay
     * smaller than the signal. Working packages are orders below it (README: 3e-2 int8, 2e-3 fp16,
     * measured by the host e2e tests); at or above it the package computes something else.
     */
    public static final double MAX_REL_ERROR_MEAN = 1.0;

    static final String CHECK = String.format(Locale.ROOT, "mean relative error of output rows vs ONNX Runtime < %.1f", MAX_REL_ERROR_MEAN);

    @Override public String name() { return "accuracy"; }

    @Override public Class<WrittenPackage> input() { return WrittenPackage.class; }

    @Override public Phase phase() { return Phase.WRITE; }

    @Override public boolean appliesTo(BuildConfig config) { return config.accuracy() != null; }

    /** The evaluator writes accuracy.json and accuracy.txt itself. */
    @Override public String reportFile() { return AccuracyEvaluator.JSON; }

    /** @throws CompileException BAD_OPTION without an ONNX source or for prompts outside the model, UNSUPPORTED_MODEL when ONNX Runtime cannot run it */
    @Override
    public StepResult<WrittenPackage> apply(WrittenPackage model, BuildContext context) throws CompileException {
        AccuracyReport a = AccuracyEvaluator.evaluate(context.source(), model.tempDir(), model.planned().quantized().report(),
                context.config().accuracy());
        AccuracyEvaluator.write(a, model.tempDir());
        return StepResult.verified(model, null, verify(a));
    }

    public static Verification verify(AccuracyReport a) {
        double e = a.overall().relErrorMean();
        String detail = String.format(Locale.ROOT, "relative error mean %.3g over %d steps", e, a.overall().steps());
        return e < MAX_REL_ERROR_MEAN ? Verification.success(CHECK, detail) : Verification.fail(CHECK, detail, ErrorCode.UNSUPPORTED_MODEL);
    }
}
