package dev.tokenfab.host.runtime;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits (llama2.c's sampler): greedy when {@code temperature == 0},
 * otherwise softmax(logits / temperature) restricted to the top-k tokens and then to the smallest
 * set whose probability reaches top-p, sampled with a seeded generator (same seed, same tokens).
 */
public final class Sampler {

    /**
     * @param temperature 0 for greedy; > 0 scales logits before softmax
     * @param topK        keep the k most likely tokens; 0 = all
     * @param topP        keep the smallest prefix of probability mass >= topP; 1 = all
     * @param seed        generator seed
     */
    public record Settings(float temperature, int topK, float topP, long seed) {
        public Settings {
            if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, was " + temperature);
            if (topK < 0) throw new IllegalArgumentException("topK must be >= 0, was " + topK);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], was " + topP);
        }

        public static Settings greedy() { return new Settings(0f, 0, 1f, 0L); }
    }

    private final Settings settings;
    private final SplittableRandom random;

    public Sampler(Settings settings) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
    }

    public Settings settings() { return settings; }

    public int sample(float[] logits) {
        if (settings.temperature() == 0f) return argmax(logits);
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = settings.topK() == 0 ? n : Math.min(settings.topK(), n);
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / settings.temperature());
            sum += p[i];
        }
        double mass = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++) {
            mass += p[i] / sum;
            if (mass >= settings.topP()) { cut = i + 1; break; }
        }
        double kept = 0;
        for (int i = 0; i < cut; i++) kept += p[i];
        double r = random.nextDouble() * kept;
        for (int i = 0; i < cut; i++) {
            r -= p[i];
            if (r < 0) return order[i];
        }
        return order[cut - 1];
    }

    /** First index of the maximum (tf_argmax's rule, so host and kernel agree on ties). */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
