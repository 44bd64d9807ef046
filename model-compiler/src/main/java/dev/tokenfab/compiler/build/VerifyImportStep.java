package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.onnx.VerifyImport;

/**
 * Verification point "after import": every tensor the runtime needs is in the IR under its canonical
 * name with the [rows][cols] the extracted config implies ({@link VerifyImport}); catches a recognizer
 * that mis-assigned a projection. Fails with UNSUPPORTED_MODEL listing every culprit.
 */
public final class VerifyImportStep implements Step<DecoderIr, DecoderIr> {

    static final String CHECK = "IR tensor shapes vs the config extracted from the ONNX graph";

    public record Report(int tensors) {}

    @Override public String name() { return "verify_import"; }

    @Override public Class<DecoderIr> input() { return DecoderIr.class; }

    @Override public Phase phase() { return Phase.IMPORT; }

    @Override
    public StepResult<DecoderIr> apply(DecoderIr model, BuildContext context) throws CompileException {
        VerifyImport.check(model.model());
        return StepResult.verified(model, new Report(model.model().weights().size()),
                Verification.success(CHECK, model.model().weights().size() + " tensors match"));
    }
}
