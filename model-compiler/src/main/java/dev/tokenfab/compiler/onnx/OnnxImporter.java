package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.CompileException;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.pass.ExtractDecoder;
import dev.tokenfab.compiler.onnx.pass.GraphPass;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX decoder import: read → {@link ImportPasses#DEFAULT} → {@link ExtractDecoder} → {@link VerifyImport}. Accepts a .onnx file
 * or a model folder; configs beside the model (genai_config.json, config.json, tokenizer.json) fill
 * {@link DecoderModel.Generation}. Weights stay memory-mapped.
 */
public final class OnnxImporter {
    private OnnxImporter() {}

    /** One pass's effect, for the "after import" report. */
    public record PassReport(String pass, int nodesBefore, int nodesAfter, long millis) {}

    /** The imported model with the per-pass report. */
    public record Result(DecoderModel model, List<PassReport> passes, Graph fused) {}

    /**
     * @param onnxFileOrModelFolder a .onnx file, or a folder holding one (named by genai_config.json if several)
     * @return the decoder IR
     * @throws CompileException FILE_NOT_FOUND, NOT_ONNX, TRUNCATED, UNSAFE_PATH, BAD_TENSOR, UNSUPPORTED_OP,
     *                          UNSUPPORTED_MODEL, IO_ERROR; the message names the file, node, op or tensor
     */
    public static DecoderModel importModel(Path onnxFileOrModelFolder) throws CompileException {
        return importWithReport(onnxFileOrModelFolder).model();
    }

    /** As {@link #importModel} and also returns what each pass did and the fused graph. */
    public static Result importWithReport(Path onnxFileOrModelFolder) throws CompileException {
        ModelFolder folder = ModelFolder.locate(onnxFileOrModelFolder);
        Graph graph = new OnnxReader().read(folder.onnxFile());
        List<PassReport> reports = new ArrayList<>();
        for (GraphPass pass : ImportPasses.DEFAULT) {
            long t0 = System.nanoTime();
            int before = graph.nodes().size();
            graph = pass.apply(graph);
            reports.add(new PassReport(pass.name(), before, graph.nodes().size(), (System.nanoTime() - t0) / 1_000_000));
        }
        DecoderModel model = VerifyImport.check(new ExtractDecoder().apply(graph, folder));
        return new Result(model, List.copyOf(reports), graph);
    }
}
