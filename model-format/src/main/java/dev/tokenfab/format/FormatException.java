package dev.tokenfab.format;

import java.nio.file.Path;

/**
 * The checked exception of everything that reads a model or a package: the package reader here, and
 * (through its subclass {@code CompileException}) the ONNX importer and compiler. The message names
 * the culprit (file, node, op, tensor, limit); the CLI prints it as one line and exits with a non-zero
 * code ({@code 3}, bad input).
 */
public class FormatException extends Exception {

    public enum ErrorCode {
        /** input path does not exist or is not readable */
        FILE_NOT_FOUND,
        /** file is not an ONNX ModelProto */
        NOT_ONNX,
        /** file or external data ends before the bytes it declares */
        TRUNCATED,
        /** an op the importer does not know (message names op, domain and node) */
        UNSUPPORTED_OP,
        /** graph is ONNX but not a decoder tokenfab can map (message says what is missing) */
        UNSUPPORTED_MODEL,
        /** tensor whose declared shape/type disagrees with its data */
        BAD_TENSOR,
        /** NaN or Inf in a weight (message names the tensor) */
        NON_FINITE_WEIGHT,
        /** external-data location escaping the model folder */
        UNSAFE_PATH,
        /** package file missing, checksum mismatch, or inconsistent manifest */
        PACKAGE_CORRUPT,
        /** package written by another format version */
        PACKAGE_VERSION,
        /** an option value outside the allowed set (message lists the allowed values) */
        BAD_OPTION,
        /** reading or writing failed at the OS level */
        IO_ERROR
    }

    private final ErrorCode code;

    public FormatException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public FormatException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public static FormatException io(Path path, java.io.IOException e) {
        return new FormatException(ErrorCode.IO_ERROR, path + ": " + e.getMessage(), e);
    }

    public ErrorCode code() { return code; }
}
