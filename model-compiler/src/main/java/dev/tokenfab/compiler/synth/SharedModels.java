package dev.tokenfab.compiler.synth;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the real ONNX fixtures live ({@code ../shared/models} beside the repository), for
 * tests' skip logic. Surefire sets the system property {@value #PROPERTY}; a fresh clone has no such
 * folder and tests skip with a message.
 */
public final class SharedModels {
    /** System property naming the fixtures folder. */
    public static final String PROPERTY = "tokenfab.sharedModels";

    private SharedModels() {}

    /** The fixtures folder, or null when the property is unset or the folder does not exist. */
    public static Path root() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) return null;
        Path path = Path.of(p).toAbsolutePath().normalize();
        return Files.isDirectory(path) ? path : null;
    }

    /** {@code root().resolve(relative)} when that exists, else null. */
    public static Path resolve(String relative) {
        Path r = root();
        if (r == null) return null;
        Path f = r.resolve(relative);
        return Files.exists(f) ? f : null;
    }

    /** A one-line reason for Assumptions when a fixture is missing. */
    public static String missingMessage(String relative) {
        return "real ONNX fixture " + relative + " not found (system property " + PROPERTY + "="
                + System.getProperty(PROPERTY) + "); skipping";
    }
}
