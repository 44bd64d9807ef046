package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.ir.DecoderModel;
import java.nio.file.Path;

/** The import's source of decoder IR: the ONNX import steps in production, anything in tests. */
@FunctionalInterface
public interface ModelImporter {

    DecoderModel importModel(Path model) throws CompileException;

    /**
     * The ONNX import steps ({@link StepLists#ONNX_IMPORT}: read_onnx → graph_passes → extract_decoder →
     * verify_import) on a .onnx file or a model folder; weights stay memory-mapped.
     * @throws CompileException FILE_NOT_FOUND, NOT_ONNX, TRUNCATED, UNSAFE_PATH, BAD_TENSOR, UNSUPPORTED_OP,
     *                          UNSUPPORTED_MODEL, IO_ERROR; the message names the file, node, op or tensor
     */
    ModelImporter ONNX = path -> ((BuildModel.DecoderIr) new BuildDriver(line -> { })
            .run(new BuildModel.OnnxSource(path), StepLists.ONNX_IMPORT, BuildConfig.of(CompileOptions.defaults(), null), path)
            .model()).model();

    /** {@link #ONNX}: a .onnx file or a model folder. */
    static ModelImporter onnx() {
        return ONNX;
    }
}
