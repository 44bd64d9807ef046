package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.quant.Calibration;

/**
 * Activation statistics for INT4 AWQ/GPTQ from the fp32 reference decoder on deterministic prompts
 * ({@link Calibration#forCompile}). Runs only when the build asks for automatic calibration, the scheme
 * needs statistics and the caller gave none.
 */
public final class CalibrateStep implements Step<DecoderIr, DecoderIr> {

    @Override public String name() { return "calibrate"; }

    @Override public Class<DecoderIr> input() { return DecoderIr.class; }

    @Override public Phase phase() { return Phase.QUANTIZE; }

    @Override
    public boolean appliesTo(BuildConfig config) {
        return config.autoCalibration() && config.stats().isEmpty() && Calibration.wanted(config.options().quantSpec());
    }

    /** The report file name packages have always carried. */
    @Override public String reportFile() { return "calibration.json"; }

    @Override
    public StepResult<DecoderIr> apply(DecoderIr model, BuildContext context) {
        Calibration.Result c = Calibration.forCompile(model.model(), context.config().options().quantSpec());
        return StepResult.of(new DecoderIr(model.model(), c.stats()), c.summary());
    }
}
