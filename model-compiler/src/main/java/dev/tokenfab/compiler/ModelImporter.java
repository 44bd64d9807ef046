package dev.tokenfab.compiler;

import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.onnx.OnnxImporter;
import java.nio.file.Path;

/** The import pass's source of decoder IR: the ONNX importer in production, anything in tests. */
@FunctionalInterface
public interface ModelImporter {

    DecoderModel importModel(Path model) throws CompileException;

    /** {@link OnnxImporter#importModel}: a .onnx file or a model folder. */
    static ModelImporter onnx() {
        return OnnxImporter::importModel;
    }
}
