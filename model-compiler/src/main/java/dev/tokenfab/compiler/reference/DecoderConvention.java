package dev.tokenfab.compiler.reference;

import ai.onnxruntime.OnnxJavaType;
import java.util.List;

/**
 * The I/O convention of an ONNX decoder, discovered from its inputs and outputs.
 *
 * @param idsName         token input (input_ids)
 * @param idsType         INT64 or INT32
 * @param singleToken     input_ids' sequence dim is fixed to 1: the model takes one token per run
 * @param maskName        attention_mask input, or null when the model has none
 * @param maskType        its element type (null when absent)
 * @param positionName    position_ids input, or null when the model has none
 * @param positionType    its element type (null when absent)
 * @param cacheLayout     how past/present tensors are laid out
 * @param cache           past input to present output, one entry per cache tensor, in input order
 * @param cacheType       FLOAT or FLOAT16 (the model's past dtype)
 * @param cacheHeads      heads dim of the cache tensors
 * @param cacheHeadDim    last dim of the cache tensors
 * @param outputName      logits, or the hidden state output of a body-only model
 * @param hasLogits       outputName is logits (false: a hidden state)
 */
public record DecoderConvention(String idsName, OnnxJavaType idsType, boolean singleToken,
                                String maskName, OnnxJavaType maskType,
                                String positionName, OnnxJavaType positionType,
                                CacheLayout cacheLayout, List<CachePair> cache, OnnxJavaType cacheType,
                                long cacheHeads, long cacheHeadDim, String outputName, boolean hasLogits) {

    /** Cache tensor layouts. */
    public enum CacheLayout {
        /** onnxruntime-genai: past_key_values.N.key / .value [batch, kvHeads, past, headDim] -> present.N.key / .value */
        SEPARATE_KV,
        /** ORT fused GPT-2 and the torch GPT-2 export: past_N [2, batch, heads, past, headDim] -> present_N */
        STACKED_KV
    }

    /** One cache tensor: fed as {@code past}, returned as {@code present}. */
    public record CachePair(String past, String present) {}
}
