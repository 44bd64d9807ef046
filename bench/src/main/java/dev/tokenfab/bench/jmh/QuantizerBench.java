package dev.tokenfab.bench.jmh;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.compiler.quant.PackedStore;
import dev.tokenfab.compiler.quant.QuantSpec;
import dev.tokenfab.compiler.quant.QuantizedModel;
import dev.tokenfab.compiler.quant.Quantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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

/**
 * The model compiler's quantize pass ({@link Quantizer#quantize}, the public entry the compiler
 * calls) on one square fp32 matrix stored IN_OUT ([in][out], as an ONNX MatMul's B operand, so every
 * row block goes through the quantizer's transpose tile), for INT8 per-channel and INT4 g128 RTN,
 * next to a baseline that only reads the same fp32 bytes (a float sum). {@link Bytes} counts the
 * fp32 input consumed, so JMH prints bytes/s beside ops/s; the ratio quantize ÷ baseline is the
 * share of plain read speed the quantizer reaches.
 *
 * <p>The quantizer runs with {@link #threads} workers (default 1, so it compares with the
 * single-threaded read); each call allocates its packed output in a fresh in-memory
 * {@link PackedStore} (zeroed native memory, as in a real compile) and closes it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput) // with @AuxCounters: matrices/s and fp32 bytes/s side by side
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class QuantizerBench {

    /** Rows = cols of the matrix (4096: a Llama-7B attention projection; 1024: L2-resident tiles). */
    @Param({"1024", "4096"})
    public int dim;

    /** int8 = Q8_CHANNEL; int4-g128 = Q4_GROUP, group 128, symmetric, round-to-nearest. */
    @Param({"int8", "int4-g128"})
    public String scheme;

    /** Quantizer worker threads. */
    @Param({"1"})
    public int threads;

    /** Scale of the synthetic weights: N(0, 0.02)-like magnitudes, as in trained projections. */
    static final float WEIGHT_SPREAD = 0.04f;

    private Arena arena;
    private MemorySegment data;
    private DecoderModel model;
    private Quantizer quantizer;

    @Setup(Level.Trial)
    public void setUp() throws CompileException {
        arena = Arena.ofShared();
        long n = (long) dim * dim;
        data = arena.allocate(n * Float.BYTES, 64);
        SplittableRandom rnd = new SplittableRandom(7);
        for (long i = 0; i < n; i++) data.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (rnd.nextDouble() - 0.5) * WEIGHT_SPREAD);
        String name = TensorNames.layer(0).wq();
        WeightTensor.Dense w = new WeightTensor.Dense(name, dim, dim, ElementType.F32, WeightTensor.Layout.IN_OUT, data);
        // The config only has to be well-formed: the quantize pass reads the weights, not the shape fields.
        DecoderConfig cfg = new DecoderConfig(DecoderConfig.Family.LLAMA, 32000, dim, 1, dim / 128, dim / 128, 128, dim, 256,
                DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
                10000f, 128, DecoderConfig.RopeLayout.HALF_SPLIT, true, true, false, false);
        model = new DecoderModel(cfg, Map.of(name, w), Path.of("synthetic.onnx"), DecoderModel.Generation.none());
        QuantSpec spec = switch (scheme) {
            case "int8" -> QuantSpec.int8();
            case "int4-g128" -> QuantSpec.int4(128, false, Int4Method.RTN);
            default -> throw new IllegalArgumentException("scheme " + scheme + " unknown; allowed: int8, int4-g128");
        };
        quantizer = new Quantizer(spec.withThreads(threads), null);
        quantizer.chooseFormats(model);   // fails here, not mid-measurement, on a bad spec
    }

    /** Counts fp32 input bytes consumed, so JMH prints bytes per second next to the rate (JMHSample_23). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long fp32Bytes;
    }

    /** Measured: the quantize pass over the whole matrix; returns the packed size so nothing is dead. */
    @Benchmark
    public long quantize(Bytes bytes) throws CompileException {
        try (PackedStore store = PackedStore.inMemory()) {
            QuantizedModel q = quantizer.quantize(model, store);
            bytes.fp32Bytes += data.byteSize();
            return q.packedBytes() + Double.doubleToRawLongBits(q.report().minSqnrDb() == null ? 0 : q.report().minSqnrDb());
        }
    }

    /** Baseline: read the same bytes once, in storage order (8 independent sums so the adds are not the limit). */
    @Benchmark
    public float baselineReadSum(Bytes bytes) {
        MemorySegment d = data;
        long n = d.byteSize() / Float.BYTES;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (long i = 0; i < n; i += 8) {
            s0 += d.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            s1 += d.getAtIndex(ValueLayout.JAVA_FLOAT, i + 1);
            s2 += d.getAtIndex(ValueLayout.JAVA_FLOAT, i + 2);
            s3 += d.getAtIndex(ValueLayout.JAVA_FLOAT, i + 3);
            s4 += d.getAtIndex(ValueLayout.JAVA_FLOAT, i + 4);
            s5 += d.getAtIndex(ValueLayout.JAVA_FLOAT, i + 5);
            s6 += d.getAtIndex(ValueLayout.JAVA_FLOAT, i + 6);
            s7 += d.getAtIndex(ValueLayout.JAVA_FLOAT, i + 7);
        }
        bytes.fp32Bytes += d.byteSize();
        return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /*
     * How to run (the baseline does not depend on `scheme`: pin it to skip duplicate runs):
     *   java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/jmh.classpath)" \
     *       org.openjdk.jmh.Main 'QuantizerBench.quantize' -wi 2 -i 3 -f 1 -w 1s -r 1s
     *   ... org.openjdk.jmh.Main 'QuantizerBench.baselineReadSum' -p scheme=int8 -wi 2 -i 3 -f 1 -w 1s -r 1s
     * Read the ·fp32Bytes line (bytes/s): GB/s of fp32 consumed. What to expect: the read baseline runs
     * at several GB/s (memory or L2 bound); the quantizer is compute bound (absmax, scale, round, pack,
     * plus the IN_OUT transpose), so it reaches a fraction of that, INT4 below INT8 because each group
     * of 128 gets its own scale. At 1024 the input (4 MiB) stays in cache and the fixed per-call cost
     * (thread pool, store allocation, SQNR bookkeeping) shows; at 4096 (64 MiB) it is amortised.
     */
}
