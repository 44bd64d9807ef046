package dev.tokenfab.compiler.build;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One build's surroundings, handed to every step: the config, the source model path (for reports and
 * the accuracy step), the report files gathered so far (for the package), and the native resources
 * the steps opened (packed-tensor stores, mapped intermediates), which the driver closes when the
 * build ends. Not thread-safe: one build, one thread of steps.
 */
public final class BuildContext implements AutoCloseable {

    private final BuildConfig config;
    private final Path source;
    private final Map<String, String> packageReports;
    private final List<AutoCloseable> owned = new ArrayList<>();

    /** A context with no reports yet, for running a step on its own (tests, tools); close it to free what the step opened. */
    public static BuildContext standalone(BuildConfig config, Path source) {
        return new BuildContext(config, source, new java.util.LinkedHashMap<>());
    }

    BuildContext(BuildConfig config, Path source, Map<String, String> packageReports) {
        this.config = config;
        this.source = source;
        this.packageReports = packageReports;
    }

    public BuildConfig config() { return config; }

    /** The ONNX file or folder the model came from; null when the IR was given directly. */
    public Path source() { return source; }

    /** Report files listed in the package, by name under {@code reports/}, already serialized. */
    public Map<String, String> packageReports() { return Collections.unmodifiableMap(packageReports); }

    /** Keeps {@code resource} open until the build ends. */
    public <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                System.getLogger(BuildContext.class.getName()).log(System.Logger.Level.WARNING, "could not close " + owned.get(i), e);
            }
        }
        owned.clear();
    }
}
