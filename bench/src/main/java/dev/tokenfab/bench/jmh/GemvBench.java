package dev.tokenfab.bench.jmh;

import dev.tokenfab.kernels.Kernel;
import dev.tokenfab.kernels.KernelLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
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
 * The int8 GEMV the emu device runs ({@code tf_gemv_q8}, the HLS kernel's C-simulation, called
 * through FFM exactly as EmuDevice does) next to a plain-Java loop over the same bytes
 * (Q8_CHANNEL: int8 [rows][cols] row-major, one float scale per row). Square matrices; the batch
 * shares one pass over the weights. {@link Bytes} reports weight bytes streamed per second
 * (a GEMV of the whole batch counts its weights once).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput) // with @AuxCounters: GEMVs/s and weight bytes/s side by side
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class GemvBench {

    @Param({"512", "2048"})
    public int dim;

    @Param({"1", "4"})
    public int batch;

    private Arena arena;
    private KernelLibrary library;
    private MethodHandle gemv;
    private MemorySegment w, scales, x, y;
    private byte[] wJava;
    private float[] scalesJava, xJava, yJava;

    @Setup(Level.Trial)
    public void setUp() {
        library = KernelLibrary.load();
        gemv = library.handle(Kernel.GEMV_Q8);
        arena = Arena.ofShared();
        Q8GemvInputs in = Q8GemvInputs.random(dim, batch);
        wJava = in.w();
        scalesJava = in.scales();
        xJava = in.x();
        yJava = new float[batch * dim];
        w = arena.allocate(wJava.length, 64);
        MemorySegment.copy(wJava, 0, w, ValueLayout.JAVA_BYTE, 0, wJava.length);
        scales = arena.allocateFrom(ValueLayout.JAVA_FLOAT, scalesJava);
        x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, xJava);
        y = arena.allocate(ValueLayout.JAVA_FLOAT, (long) batch * dim);
    }

    /** Counts weight bytes streamed, so JMH prints bytes per second next to the time (JMHSample_23). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long weightBytes;
    }

    /** Measured: the C-simulation kernel through an exact FFM downcall. */
    @Benchmark
    public float ffmKernel(Bytes bytes) throws Throwable {
        gemv.invokeExact(w, scales, MemorySegment.NULL, x, y, dim, dim, batch);
        bytes.weightBytes += (long) dim * dim;
        return y.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
    }

    /** Baseline: plain Java over heap arrays, same math (scale applied once per row). */
    @Benchmark
    public float baselinePlainJava(Bytes bytes) {
        for (int b = 0; b < batch; b++) {
            int xo = b * dim;
            for (int r = 0; r < dim; r++) {
                int wo = r * dim;
                float acc = 0;
                for (int c = 0; c < dim; c++) acc += wJava[wo + c] * xJava[xo + c];
                yJava[xo + r] = acc * scalesJava[r];
            }
        }
        bytes.weightBytes += (long) dim * dim;
        return yJava[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        library.close();
    }

    /*
     * How to run: java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/jmh.classpath)" \
     *     org.openjdk.jmh.Main GemvBench
     * What to expect: both are memory-light at 512 (256 KiB of weights, cache-resident) and differ by
     * how well each loop vectorizes; at 2048 (4 MiB) both approach the core's memory bandwidth. The
     * plain-Java loop reads the weights once per batch row, the kernel once per batch, so the kernel's
     * lead grows with batch. The FFM call itself costs tens of ns, negligible at these sizes.
     */
}
