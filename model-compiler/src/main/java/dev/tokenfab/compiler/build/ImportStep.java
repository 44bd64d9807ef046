package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.build.BuildModel.OnnxSource;
import dev.tokenfab.compiler.ir.DecoderModel;
import java.util.Objects;

/**
 * Import through a caller's {@link ModelImporter} (tests, embedders with their own front end): stands in
 * for read_onnx → graph_passes → extract_decoder → verify_import, which only apply to ONNX.
 */
public final class ImportStep implements Step<OnnxSource, DecoderIr> {

    public record Report(String source, String family, int tensors) {}

    private final ModelImporter importer;

    public ImportStep(ModelImporter importer) { this.importer = Objects.requireNonNull(importer, "importer"); }

    @Override public String name() { return "import"; }

    @Override public Class<OnnxSource> input() { return OnnxSource.class; }

    @Override public Phase phase() { return Phase.IMPORT; }

    @Override
    public StepResult<DecoderIr> apply(OnnxSource model, BuildContext context) throws CompileException {
        DecoderModel m = importer.importModel(model.path());
        return StepResult.of(new DecoderIr(m, context.config().stats()),
                new Report(String.valueOf(m.source()), String.valueOf(m.config().family()), m.weights().size()));
    }
}
