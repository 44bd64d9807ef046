package dev.tokenfab.compiler.plan;

import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.pkg.Manifest;

/**
 * Planner inputs beyond the model and platform.
 *
 * @param kvCache        KV-cache element type
 * @param contextTokens  context length at which per-token KV reads are modeled (&lt;= the model's max context)
 * @param maxBatch       sequences the KV cache and activation buffers are sized for
 */
public record PlanOptions(KvCacheDtype kvCache, int contextTokens, int maxBatch) {

    /** Modeled context when none is given: 1,024 positions or the model's maximum, whichever is smaller. */
    public static final int DEFAULT_CONTEXT_TOKENS = 1024;

    public PlanOptions {
        if (contextTokens <= 0) throw new IllegalArgumentException("contextTokens must be positive, was " + contextTokens);
        if (maxBatch <= 0) throw new IllegalArgumentException("maxBatch must be positive, was " + maxBatch);
    }

    public static PlanOptions defaults(int modelMaxContextTokens) {
        return new PlanOptions(KvCacheDtype.FP16, Math.min(DEFAULT_CONTEXT_TOKENS, modelMaxContextTokens), 1);
    }
}
