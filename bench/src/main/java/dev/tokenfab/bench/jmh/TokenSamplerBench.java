package dev.tokenfab.bench.jmh;

import dev.tokenfab.host.runtime.Sampler;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host runtime's token {@link Sampler} once per decode step, over one row of logits of a
 * Llama-2 (32000) or Llama-3 (128256) vocabulary, next to a plain argmax loop over the same array.
 * Settings: {@code greedy} (temperature 0: the sampler's argmax), {@code topk40} (temperature 0.8,
 * top-k 40, top-p 0.95: llama.cpp's defaults), {@code topp} (temperature 0.8, top-p 0.9, no top-k:
 * llama2.c's default). Time per call is what the sampler adds to every generated token.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1)
public class TokenSamplerBench {

    @Param({"32000", "128256"})
    public int vocab;

    @Param({"greedy", "topk40", "topp"})
    public String settings;

    /** Logits spread: N(0, 3)-like, about what a trained LM head produces (a few tokens stand out). */
    static final double LOGIT_SPREAD = 3.0;

    private float[] logits;
    private Sampler sampler;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(11);
        logits = new float[vocab];
        for (int i = 0; i < vocab; i++) logits[i] = (float) ((rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5) * 2 * LOGIT_SPREAD);
        sampler = new Sampler(switch (settings) {
            case "greedy" -> Sampler.Settings.greedy();
            case "topk40" -> new Sampler.Settings(0.8f, 40, 0.95f, 1234L);
            case "topp" -> new Sampler.Settings(0.8f, 0, 0.9f, 1234L);
            default -> throw new IllegalArgumentException("settings " + settings + " unknown; allowed: greedy, topk40, topp");
        });
    }

    /** Measured: one sampling decision. The sampler's generator advances, so calls are not identical. */
    @Benchmark
    public int sample() {
        return sampler.sample(logits);
    }

    /** Baseline: first index of the maximum, a plain loop over the same logits. */
    @Benchmark
    public int baselineArgmax() {
        float[] x = logits;
        int best = 0;
        float bestValue = x[0];
        for (int i = 1; i < x.length; i++) {
            if (x[i] > bestValue) {
                bestValue = x[i];
                best = i;
            }
        }
        return best;
    }

    /*
     * How to run (the baseline does not depend on `settings`: pin it):
     *   java -cp "bench/target/classes:$(cat bench/target/jmh.classpath)" org.openjdk.jmh.Main 'TokenSamplerBench.sample' -wi 2 -i 3 -f 1 -w 1s -r 1s
     *   java -cp ... org.openjdk.jmh.Main 'TokenSamplerBench.baselineArgmax' -p settings=greedy -wi 2 -i 3 -f 1 -w 1s -r 1s
     * What to expect: greedy costs the same as the argmax baseline (tens of µs at most: one pass over
     * 128-500 KB). topk40 and topp sort all token ids as boxed Integers before cutting to k or p, so
     * they cost O(V log V) with pointer chasing: milliseconds per token (tens at 128256), hundreds of times
     * argmax, and top-k does not help because the cut happens after the full sort.
     * A partial selection (heap of k, or a threshold pass before sorting) would bring it near argmax.
     */
}
