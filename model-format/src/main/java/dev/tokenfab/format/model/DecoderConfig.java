package dev.tokenfab.format.model;

/**
 * The typed shape of a decoder-only transformer, recognized from an ONNX graph. Every later stage
 * (quantizer, planner, package, runtime) reads the model's dimensions from here and nowhere else.
 *
 * @param family             architecture family (decides the block layout)
 * @param vocabSize          rows of the token embedding and of the LM head
 * @param hiddenSize         model width (d_model)
 * @param numLayers          decoder blocks
 * @param numHeads           query heads
 * @param numKvHeads         key/value heads (== numHeads for MHA, 1 for MQA, between for GQA)
 * @param headDim            elements per head
 * @param intermediateSize   MLP inner width (SwiGLU: gate/up rows; GELU MLP: fc rows)
 * @param maxContextTokens   longest sequence the KV cache and positions support
 * @param norm               normalization kind
 * @param normEpsilon        epsilon inside the norm's square root, as read from the model
 * @param activation         MLP activation
 * @param positions          how positions enter the model
 * @param ropeTheta          RoPE base (ignored unless positions == ROPE)
 * @param rotaryDim          leading elements of each head that RoPE rotates (== headDim when full)
 * @param ropeLayout         how rotated pairs are laid out inside a head
 * @param tiedEmbeddings     LM head shares the token embedding matrix
 * @param hasLmHead          false for a body-only export (output is the final hidden state)
 * @param attentionBias      q/k/v/o projections carry biases
 * @param mlpBias            MLP projections carry biases
 */
public record DecoderConfig(
        Family family,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int maxContextTokens,
        NormKind norm,
        float normEpsilon,
        Activation activation,
        PositionEncoding positions,
        float ropeTheta,
        int rotaryDim,
        RopeLayout ropeLayout,
        boolean tiedEmbeddings,
        boolean hasLmHead,
        boolean attentionBias,
        boolean mlpBias) {

    public enum Family { LLAMA, GPT2 }

    public enum NormKind { RMS_NORM, LAYER_NORM }

    /** SILU_GLU = SwiGLU (silu(gate) * up); GELU_TANH = tanh approximation (GPT-2, FastGelu); GELU_ERF = exact. */
    public enum Activation { SILU_GLU, GELU_TANH, GELU_ERF }

    public enum PositionEncoding { ROPE, LEARNED }

    /** HALF_SPLIT pairs element i with i + rotaryDim/2 (HF rotate_half); INTERLEAVED pairs 2i with 2i+1 (GPT-J). */
    public enum RopeLayout { HALF_SPLIT, INTERLEAVED }

    public DecoderConfig {
        requirePositive("vocabSize", vocabSize);
        requirePositive("hiddenSize", hiddenSize);
        requirePositive("numLayers", numLayers);
        requirePositive("numHeads", numHeads);
        requirePositive("numKvHeads", numKvHeads);
        requirePositive("headDim", headDim);
        requirePositive("intermediateSize", intermediateSize);
        requirePositive("maxContextTokens", maxContextTokens);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numHeads " + numHeads + " is not a multiple of numKvHeads " + numKvHeads);
        }
        if (positions == PositionEncoding.ROPE && (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0)) {
            throw new IllegalArgumentException("rotaryDim " + rotaryDim + " must be even and in (0, headDim=" + headDim + "]");
        }
    }

    /** Elements of one token's queries: numHeads * headDim. */
    public int queryDim() { return numHeads * headDim; }

    /** Elements of one token's keys (or values): numKvHeads * headDim. */
    public int kvDim() { return numKvHeads * headDim; }

    private static void requirePositive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
}
