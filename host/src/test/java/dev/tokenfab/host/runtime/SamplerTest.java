package dev.tokenfab.host.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final float[] LOGITS = {0.1f, 2.0f, 1.9f, -1f, 2.0f, 0.5f};

    @Test
    void greedyTakesTheFirstMaximum() {
        assertEquals(1, new Sampler(Sampler.Settings.greedy()).sample(LOGITS));
        assertEquals(1, Sampler.argmax(LOGITS));
    }

    @Test
    void topKOneIsGreedyAtAnyTemperature() {
        Sampler s = new Sampler(new Sampler.Settings(5f, 1, 1f, 3));
        for (int i = 0; i < 50; i++) assertEquals(LOGITS[1], LOGITS[s.sample(LOGITS)]);
    }

    @Test
    void topKAndTopPKeepOnlyTheHead() {
        Sampler k2 = new Sampler(new Sampler.Settings(1f, 3, 1f, 11));
        Sampler p = new Sampler(new Sampler.Settings(1f, 0, 0.5f, 11));
        for (int i = 0; i < 500; i++) {
            int a = k2.sample(LOGITS);
            assertTrue(a == 1 || a == 2 || a == 4, "top-3 sampled " + a);
            int b = p.sample(LOGITS);
            // softmax mass of {1, 4} (the two 2.0 logits) is ~0.56 >= 0.5, so the nucleus is those two
            assertTrue(b == 1 || b == 4, "top-p 0.5 sampled " + b);
        }
    }

    @Test
    void samplingFollowsTheSoftmax() {
        Sampler s = new Sampler(new Sampler.Settings(1f, 0, 1f, 42));
        int[] counts = new int[LOGITS.length];
        int n = 20000;
        for (int i = 0; i < n; i++) counts[s.sample(LOGITS)]++;
        double z = 0;
        for (float l : LOGITS) z += Math.exp(l);
        for (int i = 0; i < LOGITS.length; i++) {
            double expected = Math.exp(LOGITS[i]) / z;
            // 5 sigma of a binomial proportion at n = 20000
            double sigma = Math.sqrt(expected * (1 - expected) / n);
            assertEquals(expected, counts[i] / (double) n, 5 * sigma + 1e-4, "token " + i);
        }
    }

    @Test
    void sameSeedSameTokens() {
        Sampler a = new Sampler(new Sampler.Settings(0.9f, 4, 0.95f, 99));
        Sampler b = new Sampler(new Sampler.Settings(0.9f, 4, 0.95f, 99));
        for (int i = 0; i < 100; i++) assertEquals(a.sample(LOGITS), b.sample(LOGITS));
    }

    @Test
    void badSettingsNameTheSetting() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(-1f, 0, 1f, 0)).getMessage().contains("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1f, -2, 1f, 0)).getMessage().contains("topK"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1f, 0, 0f, 0)).getMessage().contains("topP"));
    }

    /** The first Sampler: a boxed full sort of the vocabulary. The fast path must pick exactly its tokens. */
    private static int boxedReference(float[] logits, Sampler.Settings st, java.util.SplittableRandom random) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = st.topK() == 0 ? n : Math.min(st.topK(), n);
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) { p[i] = Math.exp((logits[order[i]] - max) / st.temperature()); sum += p[i]; }
        double mass = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++) { mass += p[i] / sum; if (mass >= st.topP()) { cut = i + 1; break; } }
        double kept = 0;
        for (int i = 0; i < cut; i++) kept += p[i];
        double r = random.nextDouble() * kept;
        for (int i = 0; i < cut; i++) { r -= p[i]; if (r < 0) return order[i]; }
        return order[cut - 1];
    }

    @Test
    void fastSelectionPicksTheSameTokensAsAFullSort() {
        java.util.Random gen = new java.util.Random(11);
        for (Sampler.Settings st : new Sampler.Settings[] {
                new Sampler.Settings(0.8f, 40, 0.95f, 3), new Sampler.Settings(1.0f, 0, 0.9f, 4),
                new Sampler.Settings(0.7f, 0, 1f, 5), new Sampler.Settings(1.3f, 5, 1f, 6)}) {
            Sampler fast = new Sampler(st);
            java.util.SplittableRandom refRandom = new java.util.SplittableRandom(st.seed());
            for (int step = 0; step < 200; step++) {
                float[] logits = new float[1000];
                for (int i = 0; i < logits.length; i++) logits[i] = (float) (gen.nextGaussian() * 3);
                logits[gen.nextInt(1000)] = logits[gen.nextInt(1000)];   // a tie now and then
                assertEquals(boxedReference(logits, st, refRandom), fast.sample(logits), st + " step " + step);
            }
        }
    }
}
