package dev.tokenfab.bench.result;

import java.nio.file.Path;

/**
 * How result files name the models and packages they measured: by the file (and its folder), never by
 * an absolute path of the machine that ran the bench, so committed results stay portable and anonymous.
 */
public final class ResultPaths {
    private ResultPaths() {}

    /** A package folder {@code /a/b/llama.tfpkg} → {@code llama.tfpkg}; a file {@code /a/b/llama/model.onnx} → {@code llama/model.onnx}. */
    public static String label(Path path) {
        if (path == null) return null;
        Path name = path.getFileName();
        if (name == null) return path.toString();
        Path parent = path.getParent();
        // a file is named with its folder (model folders hold "model.onnx"); a folder (a package) by itself
        boolean file = java.nio.file.Files.isRegularFile(path);
        return file && parent != null && parent.getFileName() != null ? parent.getFileName() + "/" + name : name.toString();
    }
}
