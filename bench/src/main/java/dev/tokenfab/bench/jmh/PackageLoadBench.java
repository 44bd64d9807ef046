package dev.tokenfab.bench.jmh;

import dev.tokenfab.format.FormatException;
import dev.tokenfab.compiler.cli.CompileCommand;
import dev.tokenfab.compiler.cli.SynthCommand;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import picocli.CommandLine;

/**
 * Opening a model package: the compiler's reader with SHA-256 of every file (the default the
 * runtime and bench use) next to the sizes-only fast path, on packages the real synth + compile
 * commands build in the trial's setup (a 4-layer Llama-shaped decoder, int8).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PackageLoadBench {

    @Param({"256", "1024"})
    public int hidden;

    private Path dir;
    private Path pkg;

    @Setup(Level.Trial)
    public void build() throws IOException {
        dir = Files.createTempDirectory("tokenfab-jmh-pkg-");
        Path onnx = dir.resolve("model.onnx");
        pkg = dir.resolve("model.tfpkg");
        int rc = new CommandLine(new SynthCommand()).execute("--arch", "llama", "--layers", "4", "--hidden", String.valueOf(hidden),
                "--heads", "8", "--intermediate", String.valueOf(hidden * 3), "--vocab", "4096", "-o", onnx.toString());
        if (rc == 0) rc = new CommandLine(new CompileCommand()).execute(onnx.toString(), "--quant", "int8", "--platform", "u280",
                "-o", pkg.toString());
        if (rc != 0) throw new IllegalStateException("synth/compile failed with exit code " + rc);
    }

    /** Measured: open with SHA-256 verification of every file. */
    @Benchmark
    public Manifest openVerified() throws FormatException {
        try (ModelPackage p = PackageReader.open(pkg, PackageReader.Verification.SHA256)) {
            return p.manifest();
        }
    }

    /** Baseline: open checking sizes and layout only. */
    @Benchmark
    public Manifest baselineSizesOnly() throws FormatException {
        try (ModelPackage p = PackageReader.open(pkg, PackageReader.Verification.SIZES_ONLY)) {
            return p.manifest();
        }
    }

    @TearDown(Level.Trial)
    public void clean() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /*
     * How to run: java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/jmh.classpath)" \
     *     org.openjdk.jmh.Main PackageLoadBench
     * What to expect: the difference is hashing, ~1-2 GB/s per core for SHA-256, so verification
     * dominates once the weights reach tens of MB; sizes-only stays at JSON parsing (~ms).
     */
}
