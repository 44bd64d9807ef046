package dev.tokenfab.host.e2e;

import dev.tokenfab.compiler.pkg.Manifest;
import dev.tokenfab.compiler.plan.Platform;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** ONNX file to model package through the compiler, for the end-to-end tests. */
final class Pipeline {
    private Pipeline() {}

    /** Compiles {@code onnx} with {@code scheme} for {@code platform} into {@code out}; returns the package directory. */
    static Path compile(Path onnx, Manifest.QuantScheme scheme, Platform platform, Path out) throws Exception {
        Assumptions.abort("the compiler (OnnxImporter, Compiler, PackageReader) is not on main yet");
        return out;
    }
}
