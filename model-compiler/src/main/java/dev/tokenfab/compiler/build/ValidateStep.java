package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.ir.ModelValidator;

/**
 * Every tensor the runtime needs is in the IR with the shape the config implies ({@link ModelValidator});
 * runs on every IR, also one given directly or by a custom importer.
 */
public final class ValidateStep implements Step<DecoderIr, DecoderIr> {

    @Override public String name() { return "validate"; }

    @Override public Class<DecoderIr> input() { return DecoderIr.class; }

    @Override public Phase phase() { return Phase.VALIDATE; }

    /** @throws CompileException UNSUPPORTED_MODEL naming a missing tensor, BAD_TENSOR naming a mis-shaped one */
    @Override
    public StepResult<DecoderIr> apply(DecoderIr model, BuildContext context) throws CompileException {
        return StepResult.of(model, ModelValidator.validate(model.model()));
    }
}
