package dev.tokenfab.compiler.error;

import dev.tokenfab.format.FormatException;
import java.nio.file.Path;

/**
 * The checked exception of the importer and the compiler: a {@link FormatException} (same
 * {@link FormatException.ErrorCode}s) raised while reading ONNX or building a package. The message
 * names the culprit (file, node, op, tensor, limit).
 */
public final class CompileException extends FormatException {

    public CompileException(ErrorCode code, String message) {
        super(code, message);
    }

    public CompileException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    /** Wraps a {@link FormatException} raised by the package reader (same code and message). */
    public static CompileException of(FormatException e) {
        return e instanceof CompileException ce ? ce : new CompileException(e.code(), e.getMessage(), e);
    }

    public static CompileException io(Path path, java.io.IOException e) {
        return new CompileException(ErrorCode.IO_ERROR, path + ": " + e.getMessage(), e);
    }
}
