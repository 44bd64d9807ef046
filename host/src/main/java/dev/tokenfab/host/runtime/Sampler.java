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
        double max = logits[argmax(logits)];
        double invT = 1.0 / settings.temperature();
        int[] order;
        double total;   // softmax denominator over the tokens top-p is taken from
        if (settings.topK() > 0 && settings.topK() < n) {
            order = topK(logits, settings.topK());
            total = 0;
            for (int idx : order) total += Math.exp((logits[idx] - max) * invT);
        } else {
            total = 0;
            for (float x : logits) total += Math.exp((x - max) * invT);
            // llama2.c's nucleus pre-filter: a token below (1 - topP) / (n - 1) of the mass can never be inside
            // the nucleus, so only the rest is sorted (sorting a 128k vocabulary per token costs ~30 ms).
            double cutoff = settings.topP() < 1f ? (1.0 - settings.topP()) / (n - 1) * total : 0;
            int[] cand = new int[n];
            int m = 0;
            for (int i = 0; i < n; i++) if (Math.exp((logits[i] - max) * invT) >= cutoff) cand[m++] = i;
            order = sortByLogitDescending(logits, Arrays.copyOf(cand, m));
        }
        int keep = order.length;
        double[] p = new double[keep];
        for (int i = 0; i < keep; i++) p[i] = Math.exp((logits[order[i]] - max) * invT);
        double mass = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++) {
            mass += p[i] / total;
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

    /** The k largest logits' indices, most likely first (ties: lower index first), in O(n log k) without boxing. */
    static int[] topK(float[] logits, int k) {
        long[] heap = new long[k];   // min-heap of sort keys; the root is the weakest kept candidate
        int size = 0;
        for (int i = 0; i < logits.length; i++) {
            long key = sortKey(logits, i);
            if (size < k) {
                heap[size] = key;
                siftUp(heap, size++);
            } else if (key > heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
            }
        }
        Arrays.sort(heap);
        int[] out = new int[k];
        for (int i = 0; i < k; i++) out[i] = indexOf(heap[k - 1 - i], logits.length);
        return out;
    }

    static int[] sortByLogitDescending(float[] logits, int[] idx) {
        long[] keys = new long[idx.length];
        for (int i = 0; i < idx.length; i++) keys[i] = sortKey(logits, idx[i]);
        Arrays.sort(keys);
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = indexOf(keys[idx.length - 1 - i], logits.length);
        return out;
    }

    /** Orders by logit, then by lower index (stored inverted), so a larger key is a more likely token. */
    private static long sortKey(float[] logits, int i) {
        int bits = Float.floatToIntBits(logits[i]);
        bits ^= (bits >> 31) & 0x7fffffff;   // IEEE float bits to a signed int with the same order
        return ((long) bits << 32) | (0xffffffffL & (logits.length - 1 - i));
    }

    private static int indexOf(long key, int n) { return n - 1 - (int) (key & 0xffffffffL); }

    private static void siftUp(long[] h, int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (h[parent] <= h[i]) return;
            long t = h[parent]; h[parent] = h[i]; h[i] = t;
            i = parent;
        }
    }

    private static void siftDown(long[] h, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && h[l] < h[m]) m = l;
            if (r < size && h[r] < h[m]) m = r;
            if (m == i) return;
            long t = h[m]; h[m] = h[i]; h[i] = t;
            i = m;
        }
    }

    /** First index of the maximum (tf_argmax's rule, so host and kernel agree on ties). */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
