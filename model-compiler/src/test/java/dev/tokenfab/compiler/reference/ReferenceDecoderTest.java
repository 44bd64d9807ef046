package dev.tokenfab.compiler.reference;

import dev.tokenfab.format.quant.QuantScheme;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The plain-Java reference decoder over a compiled package against ONNX Runtime on the source ONNX file. */
class ReferenceDecoderTest {

    // Tolerances (max |ref - ORT| / max |ORT logit|) per scheme, in the CSV below: FP16 5e-3 (2^-11
    // relative rounding per weight through 2 layers and the LM head); INT8 4e-2 (per-channel int8 of
    // this synthetic Llama, measured 1.4%; see host EndToEndTest).

    @TempDir Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"FP16, 5e-3", "INT8, 4e-2"})
    void logitsMatchOnnxRuntimeWithinTheSchemesTolerance(QuantScheme scheme, double tolerance) throws Exception {
        Path onnx = dir.resolve("llama.onnx");
        SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(9).weightScale(0.5f).build(), onnx);
        Path pkgDir = new Compiler(ModelImporter.onnx(), line -> {}).compile(onnx, dir.resolve("p.tfpkg"),
                CompileOptions.defaults().withQuant(scheme).withPlatform(Platform.U55C), null).output();
        long[] tokens = {1, 2, 3, 4, 17, 99, 5, 250, 3, 3};
        List<float[]> ort;
        try (OrtDecoderRunner r = OrtDecoderRunner.open(onnx)) {
            ort = r.teacherForced(tokens);
        }
        try (ModelPackage pkg = PackageReader.open(pkgDir)) {
            ReferenceDecoder ref = new ReferenceDecoder(pkg);
            for (int pos = 0; pos < tokens.length; pos++) {
                float[] mine = ref.forward((int) tokens[pos], pos);
                float[] theirs = ort.get(pos);
                double maxAbs = 0;
                for (float v : theirs) maxAbs = Math.max(maxAbs, Math.abs(v));
                double err = Margins.maxAbsDiff(mine, theirs) / maxAbs;
                assertTrue(err < tolerance, scheme + " position " + pos + ": relative logit error " + err + " >= " + tolerance);
            }
        }
    }

    @Test
    void positionsMustComeInOrderAndTokensInTheVocabulary() throws Exception {
        Path onnx = dir.resolve("llama.onnx");
        SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(1).build(), onnx);
        Path pkgDir = new Compiler(ModelImporter.onnx(), line -> {}).compile(onnx, dir.resolve("p.tfpkg"),
                CompileOptions.defaults().withPlatform(Platform.U55C), null).output();
        try (ModelPackage pkg = PackageReader.open(pkgDir)) {
            ReferenceDecoder ref = new ReferenceDecoder(pkg);
            IllegalArgumentException skip = assertThrows(IllegalArgumentException.class, () -> ref.forward(1, 3));
            assertTrue(skip.getMessage().contains("position 3"), skip.getMessage());
            IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class, () -> ref.forward(256, 0));
            assertTrue(vocab.getMessage().contains("token 256"), vocab.getMessage());
            ref.forward(1, 0);
            ref.forward(2, 1);
            ref.forward(1, 0); // rewinding restarts the sequence
        }
    }
}
