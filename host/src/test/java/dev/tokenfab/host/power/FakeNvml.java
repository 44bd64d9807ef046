package dev.tokenfab.host.power;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Builds src/test/native/fake_nvml.c into target/fake-nvml/libnvidia-ml.so.1 (once per JVM) and
 * points it at a script file through FAKE_NVML_SCRIPT (set with libc setenv, which the native
 * getenv sees). Skips the calling test when no C compiler is installed.
 */
@SuppressWarnings("restricted") // libc setenv through FFM
final class FakeNvml {
    static final Path MODULE = Path.of(System.getProperty("user.dir"));
    static final Path SOURCE = MODULE.resolve("src/test/native/fake_nvml.c");
    static final Path LIBRARY = MODULE.resolve("target/fake-nvml/libnvidia-ml.so.1");
    static final Path SCRIPT = MODULE.resolve("target/fake-nvml/script.txt");
    private static boolean built;

    private FakeNvml() {}

    static synchronized Path library() throws Exception {
        if (built) return LIBRARY;
        String cc = List.of("gcc", "cc", "clang").stream().filter(FakeNvml::onPath).findFirst().orElse(null);
        Assumptions.assumeTrue(cc != null, "no C compiler (gcc/cc/clang) on PATH: skipping the fake-NVML tests");
        Files.createDirectories(LIBRARY.getParent());
        Path tmp = LIBRARY.resolveSibling("libnvidia-ml.so.1.tmp");
        Process p = new ProcessBuilder(cc, "-shared", "-fPIC", "-O1", "-o", tmp.toString(), SOURCE.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(cc + " failed on " + SOURCE + ":\n" + log);
        Files.move(tmp, LIBRARY, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        try {
            setenv("FAKE_NVML_SCRIPT", SCRIPT.toString());
        } catch (Throwable t) {
            throw new IllegalStateException("setenv FAKE_NVML_SCRIPT failed", t);
        }
        built = true;
        return LIBRARY;
    }

    /** Writes the fake's script: {@code init <rc>} and one {@code device <mW> <mJ|-1> <name>} line per GPU. */
    static void script(String text) {
        try {
            Path tmp = SCRIPT.resolveSibling("script.txt.tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, SCRIPT, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void deleteScript() throws IOException { Files.deleteIfExists(SCRIPT); }

    private static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
            if (Files.isExecutable(Path.of(dir, exe))) return true;
        return false;
    }

    private static void setenv(String name, String value) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) setenv.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 1);
            if (rc != 0) throw new IllegalStateException("setenv failed");
        }
    }

}
