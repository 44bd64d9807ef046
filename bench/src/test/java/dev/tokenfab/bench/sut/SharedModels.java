package dev.tokenfab.bench.sut;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** The real ONNX exports in ../shared/models (system property tokenfab.sharedModels); tests skip without them. */
public final class SharedModels {
    private SharedModels() {}

    public static Path model(String relative) {
        String root = System.getProperty("tokenfab.sharedModels");
        Assumptions.assumeTrue(root != null, "tokenfab.sharedModels not set: skipping (run through Maven)");
        Path p = Path.of(root).resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p), p + " absent: skipping a test that needs the shared ONNX models");
        return p;
    }

    public static final String GPT2 = "gpt2-tiny-ort-fused/past.onnx";
    public static final String LLAMA = "llama-tiny-genai-fp16/model.onnx";
}
