package dev.tokenfab.bench.jmh;

import dev.tokenfab.host.power.ModeledSensor;
import dev.tokenfab.host.power.PowerMonitor;
import dev.tokenfab.host.power.PowerSensor;
import dev.tokenfab.host.power.TimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * Does the background sampler slow the work it measures? A fixed CPU-bound loop (a stand-in for a
 * decode step: a float dot product over 64 Ki elements) timed while a {@link PowerMonitor} samples
 * four sensors every {@code samplePeriodMs}, next to the same loop with no monitor.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SamplerInterferenceBench {

    /** 64 Ki floats = 256 KiB per vector: L2-sized, a few tens of microseconds per dot product. */
    static final int WORK_ELEMS = 64 * 1024;

    /** The work's inputs, filled once per trial (non-final fields: no constant folding). */
    @State(Scope.Benchmark)
    public static class Work {
        float[] a, b;

        @Setup(Level.Trial)
        public void fill() {
            a = new float[WORK_ELEMS];
            b = new float[WORK_ELEMS];
            for (int i = 0; i < WORK_ELEMS; i++) { a[i] = (i % 7) * 0.5f; b[i] = (i % 5) * 0.25f; }
        }

        float dot() {
            float s = 0;
            for (int i = 0; i < WORK_ELEMS; i++) s += a[i] * b[i];
            return s;
        }
    }

    /** A monitor sampling four sensors in the background for the whole trial. */
    @State(Scope.Benchmark)
    public static class Sampler {
        @Param({"1", "10"})
        public int samplePeriodMs;

        PowerMonitor monitor;

        @Setup(Level.Trial)
        public void start() {
            List<PowerSensor> sensors = new ArrayList<>();
            for (int i = 0; i < 4; i++) sensors.add(new ModeledSensor("m" + i, "jmh constant", () -> 40.0));
            monitor = PowerMonitor.start(sensors, Duration.ofMillis(samplePeriodMs), TimeSource.system());
        }

        @TearDown(Level.Trial)
        public void stop() { monitor.close(); }
    }

    /** Measured: the work while the sampler thread runs. */
    @Benchmark
    public float workWithSampler(Work work, Sampler sampler) { return work.dot(); }

    /** Baseline: the same work with no monitor at all. */
    @Benchmark
    public float baselineWorkAlone(Work work) { return work.dot(); }

    /*
     * How to run: java --enable-native-access=ALL-UNNAMED -cp "$(cat bench/target/jmh.classpath)" \
     *     org.openjdk.jmh.Main SamplerInterferenceBench
     * What to expect: on a machine with a spare core the two are within noise; on a loaded 2-core
     * machine a 1 ms period can cost a few percent, 10 ms should be within noise.
     */
}
