package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.compiler.write.PackageWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark (main class, not a test): quantizes a synthetic Llama-3.2-1B-shaped model (1.24 B
 * parameters, fp32, matrices stored [in][out] like ONNX MatMul external data) from one external-data
 * file, and compares the wall time with {@code cat file > /dev/null} of the same bytes. Run with
 * -Xmx2g to show that the quantizer streams (nothing close to the 4.9 GB model is on the heap):
 *
 * <pre>
 * ./mvnw -q -B -o -pl model-compiler test-compile
 * java -Xmx2g --enable-native-access=ALL-UNNAMED -cp model-compiler/target/classes:model-compiler/target/test-classes:$(cat cp.txt) \
 *      dev.tokenfab.compiler.quant.QuantizeBenchmark /tmp/tokenfab-bench int8 int4-rtn int4-mse compile-int4
 * </pre>
 * Figures are measured wall times on this machine (page cache warm after the first cat; the machine is shared).
 */
public final class QuantizeBenchmark {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/tokenfab-bench");
        List<String> runs = args.length > 1 ? List.of(args).subList(1, args.length) : List.of("int8", "int4-rtn");
        Files.createDirectories(dir);
        DecoderConfig cfg = new DecoderConfig(DecoderConfig.Family.LLAMA, 128256, 2048, 16, 32, 8, 64, 8192, 2048,
                DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
                500000f, 64, DecoderConfig.RopeLayout.HALF_SPLIT, true, true, false, false);
        Map<String, long[]> layout = layout(cfg);   // name -> {offset, rows, cols, inOut}
        long total = layout.values().stream().mapToLong(v -> v[1] * v[2] * 4).sum();
        Path data = dir.resolve("llama1b-f32.onnx.data");
        if (!Files.exists(data) || Files.size(data) != total) generate(data, total);
        System.out.printf(Locale.ROOT, "model: %d parameters, %d bytes fp32 external data, max heap %d MiB, %d cores%n",
                total / 4, total, Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());

        double cat = cat(data);
        double cat2 = cat(data);
        System.out.printf(Locale.ROOT, "measured: cat %s > /dev/null: %.2f s, again %.2f s (%.2f GB/s)%n", data, cat, cat2, total / cat2 / 1e9);
        double catBest = Math.min(cat, cat2);

        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, total, arena);
            Map<String, WeightTensor> w = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : layout.entrySet()) {
                long[] v = e.getValue();
                w.put(e.getKey(), new WeightTensor.Dense(e.getKey(), (int) v[1], (int) v[2], ElementType.F32,
                        v[3] == 1 ? WeightTensor.Layout.IN_OUT : WeightTensor.Layout.OUT_IN, all.asSlice(v[0], v[1] * v[2] * 4)));
            }
            DecoderModel model = new DecoderModel(cfg, w, data, DecoderModel.Generation.none());
            for (String run : runs) {
                if (run.startsWith("compile-")) {
                    compile(model, dir, run, catBest);
                    continue;
                }
                QuantSpec spec = switch (run) {
                    case "int8" -> QuantSpec.int8();
                    case "fp16" -> QuantSpec.fp16();
                    case "int4-rtn" -> QuantSpec.int4(128, false, Int4Method.RTN);
                    case "int4-mse" -> QuantSpec.int4(128, false, Int4Method.AWQ);
                    default -> throw new IllegalArgumentException("unknown run " + run + "; allowed: int8, fp16, int4-rtn, int4-mse, compile-int4, compile-int8");
                };
                Quantizer q = new Quantizer(spec, null);
                long cap = PackedStore.capacityFor(Quantizer.partSizes(model, q.chooseFormats(model)));
                boolean mapped = Boolean.getBoolean("bench.mappedScratch");
                double cpu0 = cpuSeconds();
                long t0 = System.nanoTime();
                QuantizedModel out;
                try (PackedStore store = mapped ? PackedStore.mappedFile(dir.resolve("scratch.bin"), cap) : PackedStore.inMemory()) {
                    out = q.quantize(model, store);
                }
                double s = (System.nanoTime() - t0) / 1e9;
                double cpu = cpuSeconds() - cpu0;
                System.out.printf(Locale.ROOT, "measured: quantize %-9s wall %6.2f s (%.2fx cat), process CPU %.2f s (%.2f s per core of %d threads), %.2f GB/s of fp32 read; packed %d bytes into %s, min SQNR %.2f dB, heap used %d MiB, load avg %.1f%n",
                        run, s, s / catBest, cpu, cpu / spec.threads(), spec.threads(), total / s / 1e9, out.packedBytes(),
                        mapped ? "mapped scratch file" : "native memory", out.report().minSqnrDb(),
                        (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20,
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            }
        }
    }

    private static void compile(DecoderModel model, Path dir, String run, double catSeconds) throws Exception {
        CompileOptions o = switch (run) {
            case "compile-int4" -> CompileOptions.defaults().withInt4(128, false, Int4Method.RTN);
            case "compile-int8" -> CompileOptions.defaults();
            default -> throw new IllegalArgumentException(run);
        };
        Path out = dir.resolve(run + ".tfpkg");
        long t0 = System.nanoTime();
        Compiler.Result r = new Compiler(p -> model, line -> System.out.println("  " + line)).compile(model, out, o, null);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "measured: %s (import given, validate, quantize, plan, write+SHA-256) %.2f s = %.2fx cat; per pass ms %s%n",
                run, s, s / catSeconds, r.millisPerPass());
        long t1 = System.nanoTime();
        try (var pkg = PackageReader.open(out)) {
            double v = (System.nanoTime() - t1) / 1e9;
            System.out.printf(Locale.ROOT, "measured: open %s with SHA-256 verification of %d files: %.2f s%n", out, pkg.manifest().files().size(), v);
        }
        System.out.printf(Locale.ROOT, "modeled (U280 plan, not measured): %s%n", r.plan().estimateModeled());
        PackageWriter.deleteTree(out);
    }

    /** Tensor offsets inside one external-data file, in the order an ONNX exporter writes them. */
    static Map<String, long[]> layout(DecoderConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long[] off = {0};
        java.util.function.BiConsumer<String, long[]> put = (name, shape) -> {
            m.put(name, new long[] {off[0], shape[0], shape[1], shape[2]});
            off[0] += shape[0] * shape[1] * 4;
        };
        put.accept(TensorNames.TOKEN_EMBEDDING, new long[] {c.vocabSize(), c.hiddenSize(), 0});
        for (int i = 0; i < c.numLayers(); i++) {
            TensorNames.Layer l = TensorNames.layer(i);
            put.accept(l.attnNormWeight(), new long[] {1, c.hiddenSize(), 0});
            put.accept(l.wq(), new long[] {c.queryDim(), c.hiddenSize(), 1});
            put.accept(l.wk(), new long[] {c.kvDim(), c.hiddenSize(), 1});
            put.accept(l.wv(), new long[] {c.kvDim(), c.hiddenSize(), 1});
            put.accept(l.wo(), new long[] {c.hiddenSize(), c.queryDim(), 1});
            put.accept(l.mlpNormWeight(), new long[] {1, c.hiddenSize(), 0});
            put.accept(l.wGate(), new long[] {c.intermediateSize(), c.hiddenSize(), 1});
            put.accept(l.wUp(), new long[] {c.intermediateSize(), c.hiddenSize(), 1});
            put.accept(l.wDown(), new long[] {c.hiddenSize(), c.intermediateSize(), 1});
        }
        put.accept(TensorNames.FINAL_NORM_WEIGHT, new long[] {1, c.hiddenSize(), 0});
        return m;
    }

    /** Writes {@code bytes} of pseudo-random floats in about [-0.05, 0.05) (xorshift; fast, not Gaussian). */
    private static void generate(Path file, long bytes) throws IOException {
        System.out.printf("generating %s (%d bytes)...%n", file, bytes);
        ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long x = 0x9E3779B97F4A7C15L;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long written = 0;
            while (written < bytes) {
                buf.clear();
                int n = (int) Math.min(buf.capacity(), bytes - written);
                for (int i = 0; i < n; i += 4) {
                    x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
                    buf.putFloat(((x >>> 40) / (float) (1 << 24) - 0.5f) * 0.1f);
                }
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf);
                written += n;
            }
        }
    }

    private static double cpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() / 1e9;
    }

    private static double cat(Path file) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("sh", "-c", "cat '" + file + "' > /dev/null").inheritIO().start();
        if (p.waitFor() != 0) throw new IllegalStateException("cat failed");
        return (System.nanoTime() - t0) / 1e9;
    }
}
