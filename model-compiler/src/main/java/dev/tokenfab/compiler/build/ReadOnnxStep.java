package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.OnnxGraph;
import dev.tokenfab.compiler.build.BuildModel.OnnxSource;
import dev.tokenfab.compiler.onnx.ModelFolder;
import dev.tokenfab.compiler.onnx.OnnxReader;
import dev.tokenfab.compiler.onnx.graph.Graph;

/**
 * Reads the ONNX file (or the one a model folder names) into the graph IR, following external data
 * memory-mapped, and the configs beside it (genai_config.json, config.json, tokenizer.json).
 */
public final class ReadOnnxStep implements Step<OnnxSource, OnnxGraph> {

    /** @param file the ONNX file read; @param opsets domain → version, sorted (reports are byte-reproducible) */
    public record Report(String file, int nodes, int initializers, int inputs, int outputs, java.util.Map<String, Long> opsets) {}

    @Override public String name() { return "read_onnx"; }

    @Override public Class<OnnxSource> input() { return OnnxSource.class; }

    @Override public Phase phase() { return Phase.IMPORT; }

    /** @throws CompileException FILE_NOT_FOUND, NOT_ONNX, TRUNCATED, UNSAFE_PATH, BAD_TENSOR, IO_ERROR naming the file */
    @Override
    public StepResult<OnnxGraph> apply(OnnxSource model, BuildContext context) throws CompileException {
        ModelFolder folder = ModelFolder.locate(model.path());
        Graph g = new OnnxReader().read(folder.onnxFile());
        return StepResult.of(new OnnxGraph(folder, g), new Report(String.valueOf(folder.onnxFile()), g.nodes().size(),
                g.initializers().size(), g.inputs().size(), g.outputs().size(), new java.util.TreeMap<>(g.opsets())));
    }
}
