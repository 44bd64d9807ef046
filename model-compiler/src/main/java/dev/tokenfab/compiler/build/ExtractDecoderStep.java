package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.build.BuildModel.OnnxGraph;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.onnx.pass.ExtractDecoder;
import dev.tokenfab.format.model.DecoderConfig;

/** Walks the fused graph's residual stream into the typed decoder IR ({@link ExtractDecoder}). */
public final class ExtractDecoderStep implements Step<OnnxGraph, DecoderIr> {

    public record Report(String source, String family, int tensors, DecoderConfig config) {}

    @Override public String name() { return "extract_decoder"; }

    @Override public Class<OnnxGraph> input() { return OnnxGraph.class; }

    @Override public Phase phase() { return Phase.IMPORT; }

    /** @throws CompileException UNSUPPORTED_MODEL naming what is missing, BAD_TENSOR for weights of unusable types */
    @Override
    public StepResult<DecoderIr> apply(OnnxGraph model, BuildContext context) throws CompileException {
        DecoderModel m = new ExtractDecoder().apply(model.graph(), model.folder());
        return StepResult.of(new DecoderIr(m, context.config().stats()),
                new Report(String.valueOf(m.source()), String.valueOf(m.config().family()), m.weights().size(), m.config()));
    }
}
