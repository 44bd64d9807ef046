package dev.tokenfab;

/**
 * How a {@link Session} generates: how many tokens, and how each is sampled (llama2.c's sampler:
 * greedy at temperature 0, else softmax of logits / temperature over the top-k tokens, then the
 * smallest set reaching top-p, drawn with a seeded generator: same seed, same tokens).
 *
 * @param maxNewTokens tokens to generate at most (&gt; 0); generation also stops at an end-of-sequence id
 * @param temperature  0 = greedy; &gt; 0 scales the logits before the softmax
 * @param topK         keep the k most likely tokens; 0 = all
 * @param topP         keep the smallest prefix of probability mass reaching topP, in (0, 1]; 1 = all
 * @param seed         seed of the sampling generator (unused when greedy)
 */
public record GenerationSettings(int maxNewTokens, float temperature, int topK, float topP, long seed) {

    /**
     * Checks every component.
     *
     * @throws IllegalArgumentException naming the component and its value when it is out of range
     */
    public GenerationSettings {
        if (maxNewTokens <= 0) throw new IllegalArgumentException("GenerationSettings.maxNewTokens must be > 0, was " + maxNewTokens);
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("GenerationSettings.temperature must be finite and >= 0, was " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("GenerationSettings.topK must be >= 0, was " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("GenerationSettings.topP must be in (0, 1], was " + topP);
    }

    /**
     * Greedy decoding (always the most likely token).
     *
     * @param maxNewTokens tokens to generate at most (&gt; 0)
     * @return the settings
     */
    public static GenerationSettings greedy(int maxNewTokens) {
        return new GenerationSettings(maxNewTokens, 0f, 0, 1f, 0L);
    }

    /**
     * Temperature sampling over all tokens.
     *
     * @param maxNewTokens tokens to generate at most (&gt; 0)
     * @param temperature  &gt; 0
     * @param seed         generator seed
     * @return the settings
     */
    public static GenerationSettings sampled(int maxNewTokens, float temperature, long seed) {
        return new GenerationSettings(maxNewTokens, temperature, 0, 1f, seed);
    }

    /**
     * Changes top-k.
     *
     * @param k the new top-k (0 = all)
     * @return a copy with top-k {@code k}
     */
    public GenerationSettings withTopK(int k) {
        return new GenerationSettings(maxNewTokens, temperature, k, topP, seed);
    }

    /**
     * Changes top-p.
     *
     * @param p the new top-p, in (0, 1]
     * @return a copy with top-p {@code p}
     */
    public GenerationSettings withTopP(float p) {
        return new GenerationSettings(maxNewTokens, temperature, topK, p, seed);
    }

    /**
     * Changes the number of tokens to generate.
     *
     * @param tokens the new maximum (&gt; 0)
     * @return a copy generating at most {@code tokens} tokens
     */
    public GenerationSettings withMaxNewTokens(int tokens) {
        return new GenerationSettings(tokens, temperature, topK, topP, seed);
    }
}
