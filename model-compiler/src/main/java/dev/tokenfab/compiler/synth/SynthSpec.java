package dev.tokenfab.compiler.synth;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.ElementType;

/**
 * Everything that decides a synthetic decoder: its shape, its ONNX form and its seeded weights.
 * Two equal specs give byte-identical files; two specs that differ only in {@link #form()} (or
 * {@link #externalData()}) compute the same function, up to float rounding.
 *
 * @param family           LLAMA (RMSNorm, RoPE, SwiGLU, GQA) or GPT2 (LayerNorm, learned positions, GELU-tanh, biases)
 * @param layers           decoder blocks
 * @param hidden           model width
 * @param heads            query heads
 * @param kvHeads          key/value heads (GPT2: must equal heads)
 * @param headDim          elements per head (hidden / heads unless set explicitly)
 * @param intermediate     MLP inner width
 * @param vocab            vocabulary size (rows of the embedding)
 * @param maxContext       longest sequence (RoPE cache rows / learned position rows), in tokens
 * @param seed             weight seed; every tensor draws from its own counter-based stream keyed by (seed, name)
 * @param form             which ONNX operator vocabulary expresses the model
 * @param weightType       element type of stored weight initializers (cast to float32 before use)
 * @param externalData     write tensors of 1 KiB and more to {@code <model>.onnx.data}
 * @param tiedEmbeddings   the LM head is the transposed token embedding
 * @param ropeTheta        RoPE base (LLAMA only)
 * @param rotaryDim        leading elements of a head that RoPE rotates (even, at most headDim; LLAMA only)
 * @param ropeInterleaved  RoPE pairs (2i, 2i+1) (GPT-J layout) instead of (i, i + rotaryDim/2) (HF rotate_half)
 * @param outlierChannels  number of hidden channels whose weight rows are scaled up (planted outliers for quantization studies)
 * @param weightScale      multiplier on the standard deviation of projection weights (1 = 1/sqrt(fan_in))
 * @param nbitsBlockSize   0 for dense weights; otherwise projections are 4-bit block-quantized with this block size:
 *                         the CONTRIB form stores them as MatMulNBits, RAW/OPSET24 store the dequantized values
 * @param nbitsZeroPoints  MatMulNBits weights carry 4-bit zero points (asymmetric) instead of the implicit 8
 */
public record SynthSpec(
        DecoderConfig.Family family,
        int layers,
        int hidden,
        int heads,
        int kvHeads,
        int headDim,
        int intermediate,
        int vocab,
        int maxContext,
        long seed,
        SynthForm form,
        ElementType weightType,
        boolean externalData,
        boolean tiedEmbeddings,
        float ropeTheta,
        int rotaryDim,
        boolean ropeInterleaved,
        int outlierChannels,
        float weightScale,
        int nbitsBlockSize,
        boolean nbitsZeroPoints) {

    /** RoPE base of Llama 2 (HF LlamaConfig rope_theta default 10000.0). */
    public static final float DEFAULT_ROPE_THETA = 10000.0f;
    /** Block sizes MatMulNBits accepts (com.microsoft MatMulNBits: power of 2, >= 16); we expose the common ones. */
    private static final int[] NBITS_BLOCK_SIZES = {16, 32, 64, 128, 256};

    public SynthSpec {
        if (family == null) throw new IllegalArgumentException("family must be LLAMA or GPT2");
        if (form == null) throw new IllegalArgumentException("form must be one of RAW, CONTRIB, OPSET24");
        if (weightType == null) throw new IllegalArgumentException("weightType must be one of F32, F16, BF16");
        positive("layers", layers);
        positive("hidden", hidden);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("intermediate", intermediate);
        positive("vocab", vocab);
        positive("maxContext", maxContext);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kvHeads " + kvHeads);
        }
        if (family == DecoderConfig.Family.GPT2 && kvHeads != heads) {
            throw new IllegalArgumentException("GPT2 uses multi-head attention: kvHeads " + kvHeads + " must equal heads " + heads);
        }
        if (family == DecoderConfig.Family.GPT2 && heads * headDim != hidden) {
            throw new IllegalArgumentException("GPT2: heads*headDim " + heads * headDim + " must equal hidden " + hidden);
        }
        if (family == DecoderConfig.Family.LLAMA && (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0)) {
            throw new IllegalArgumentException("rotaryDim " + rotaryDim + " must be even and in (0, headDim=" + headDim + "]");
        }
        if (!(ropeTheta > 1f) || !Float.isFinite(ropeTheta)) {
            throw new IllegalArgumentException("ropeTheta must be a finite number > 1, was " + ropeTheta);
        }
        if (outlierChannels < 0 || outlierChannels > hidden) {
            throw new IllegalArgumentException("outlierChannels " + outlierChannels + " must be in [0, hidden=" + hidden + "]");
        }
        if (!(weightScale > 0f) || !Float.isFinite(weightScale)) {
            throw new IllegalArgumentException("weightScale must be a finite number > 0, was " + weightScale);
        }
        if (nbitsBlockSize != 0) {
            boolean known = false;
            for (int b : NBITS_BLOCK_SIZES) known |= b == nbitsBlockSize;
            if (!known) {
                throw new IllegalArgumentException("nbitsBlockSize " + nbitsBlockSize + " must be 0 (dense) or one of 16, 32, 64, 128, 256");
            }
        }
        if (nbitsZeroPoints && nbitsBlockSize == 0) {
            throw new IllegalArgumentException("nbitsZeroPoints needs nbitsBlockSize > 0");
        }
    }

    /** Llama demo: 2 layers, hidden 64, 4 heads, 2 KV heads, intermediate 172, vocab 256, context 128, RAW, F32. */
    public static Builder llamaDemo() {
        return new Builder(DecoderConfig.Family.LLAMA).layers(2).hidden(64).heads(4).kvHeads(2)
                .intermediate(172).vocab(256).maxContext(128);
    }

    /** GPT-2 demo: 2 layers, hidden 64, 4 heads, intermediate 256, vocab 256, context 128, tied embeddings. */
    public static Builder gpt2Demo() {
        return new Builder(DecoderConfig.Family.GPT2).layers(2).hidden(64).heads(4).kvHeads(4)
                .intermediate(256).vocab(256).maxContext(128).tiedEmbeddings(true);
    }

    /** A builder for {@code family} with the demo sizes of that family. */
    public static Builder builder(DecoderConfig.Family family) {
        return family == DecoderConfig.Family.GPT2 ? gpt2Demo() : llamaDemo();
    }

    /** A builder holding this spec's values. */
    public Builder toBuilder() {
        Builder b = new Builder(family);
        b.layers = layers; b.hidden = hidden; b.heads = heads; b.kvHeads = kvHeads; b.headDim = headDim;
        b.intermediate = intermediate; b.vocab = vocab; b.maxContext = maxContext; b.seed = seed; b.form = form;
        b.weightType = weightType; b.externalData = externalData; b.tiedEmbeddings = tiedEmbeddings;
        b.ropeTheta = ropeTheta; b.rotaryDim = rotaryDim; b.ropeInterleaved = ropeInterleaved;
        b.outlierChannels = outlierChannels; b.weightScale = weightScale; b.nbitsBlockSize = nbitsBlockSize;
        b.nbitsZeroPoints = nbitsZeroPoints;
        return b;
    }

    /** Same spec in another form. */
    public SynthSpec withForm(SynthForm newForm) { return toBuilder().form(newForm).build(); }

    /** Elements of one token's queries. */
    public int queryDim() { return heads * headDim; }

    /** Elements of one token's keys (or values). */
    public int kvDim() { return kvHeads * headDim; }

    /** The decoder IR config an importer should recognize from a model written from this spec. */
    public DecoderConfig toDecoderConfig() {
        boolean llama = family == DecoderConfig.Family.LLAMA;
        return new DecoderConfig(family, vocab, hidden, layers, heads, kvHeads, headDim, intermediate, maxContext,
                llama ? DecoderConfig.NormKind.RMS_NORM : DecoderConfig.NormKind.LAYER_NORM,
                llama ? SynthConstants.RMS_NORM_EPSILON : SynthConstants.LAYER_NORM_EPSILON,
                llama ? DecoderConfig.Activation.SILU_GLU : DecoderConfig.Activation.GELU_TANH,
                llama ? DecoderConfig.PositionEncoding.ROPE : DecoderConfig.PositionEncoding.LEARNED,
                ropeTheta, llama ? rotaryDim : headDim,
                ropeInterleaved ? DecoderConfig.RopeLayout.INTERLEAVED : DecoderConfig.RopeLayout.HALF_SPLIT,
                tiedEmbeddings, true, !llama, !llama);
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw new IllegalArgumentException(name + " must be positive, was " + v);
    }

    /** Mutable builder; {@link #build()} validates. headDim and rotaryDim default to hidden/heads and headDim. */
    public static final class Builder {
        private final DecoderConfig.Family family;
        private int layers = 2, hidden = 64, heads = 4, kvHeads = 4, headDim = -1, intermediate = 256, vocab = 256,
                maxContext = 128, rotaryDim = -1, outlierChannels, nbitsBlockSize;
        private long seed = 1;
        private SynthForm form = SynthForm.RAW;
        private ElementType weightType = ElementType.F32;
        private boolean externalData, tiedEmbeddings, ropeInterleaved, nbitsZeroPoints;
        private float ropeTheta = DEFAULT_ROPE_THETA, weightScale = 1f;

        private Builder(DecoderConfig.Family family) { this.family = family; }

        public Builder layers(int v) { layers = v; return this; }
        public Builder hidden(int v) { hidden = v; return this; }
        public Builder heads(int v) { heads = v; return this; }
        public Builder kvHeads(int v) { kvHeads = v; return this; }
        /** -1 = hidden / heads */
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder intermediate(int v) { intermediate = v; return this; }
        public Builder vocab(int v) { vocab = v; return this; }
        public Builder maxContext(int v) { maxContext = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder form(SynthForm v) { form = v; return this; }
        public Builder weightType(ElementType v) { weightType = v; return this; }
        public Builder externalData(boolean v) { externalData = v; return this; }
        public Builder tiedEmbeddings(boolean v) { tiedEmbeddings = v; return this; }
        public Builder ropeTheta(float v) { ropeTheta = v; return this; }
        /** -1 = headDim */
        public Builder rotaryDim(int v) { rotaryDim = v; return this; }
        public Builder ropeInterleaved(boolean v) { ropeInterleaved = v; return this; }
        public Builder outlierChannels(int v) { outlierChannels = v; return this; }
        public Builder weightScale(float v) { weightScale = v; return this; }
        public Builder nbitsBlockSize(int v) { nbitsBlockSize = v; return this; }
        public Builder nbitsZeroPoints(boolean v) { nbitsZeroPoints = v; return this; }

        /** @throws IllegalArgumentException naming the offending field */
        public SynthSpec build() {
            if (heads <= 0) throw new IllegalArgumentException("heads must be positive, was " + heads);
            int hd = headDim > 0 ? headDim : hidden / heads;
            if (headDim <= 0 && hidden % heads != 0) {
                throw new IllegalArgumentException("hidden " + hidden + " is not a multiple of heads " + heads + " (set headDim)");
            }
            int rd = rotaryDim > 0 ? rotaryDim : hd;
            return new SynthSpec(family, layers, hidden, heads, kvHeads, hd, intermediate, vocab, maxContext, seed, form,
                    weightType, externalData, tiedEmbeddings, ropeTheta, rd, ropeInterleaved, outlierChannels,
                    weightScale, nbitsBlockSize, nbitsZeroPoints);
        }
    }
}
