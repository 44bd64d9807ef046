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
}
