package dev.tokenfab.host.e2e;

import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;
import java.nio.file.Path;

/** ONNX file to model package through the compiler (importer, quantizer, planner, writer), for the end-to-end tests. */
final class Pipeline {
    private Pipeline() {}

    /** Compiles {@code onnx} with {@code scheme} for {@code platform} into {@code out}; returns the package directory. */
    static Path compile(Path onnx, QuantScheme scheme, Platform platform, Path out) throws Exception {
        CompileOptions options = CompileOptions.defaults().withQuant(scheme).withPlatform(platform);
        return new Compiler(ModelImporter.onnx(), line -> {}).compile(onnx, out, options, null).output();
    }
}
