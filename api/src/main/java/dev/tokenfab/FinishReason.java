package dev.tokenfab;

/** Why a {@link Generation} stopped. */
public enum FinishReason {
    /** the model sampled one of the package's end-of-sequence ids (included in the generated ids) */
    EOS,
    /** {@link GenerationSettings#maxNewTokens()} tokens were generated */
    MAX_TOKENS,
    /** the device's KV-cache pages ran out */
    KV_CACHE_FULL,
    /** the model's context length was reached */
    CONTEXT_FULL
}
