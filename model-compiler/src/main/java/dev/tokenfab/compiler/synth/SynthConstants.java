package dev.tokenfab.compiler.synth;

/** Numeric constants of the synthetic decoders, each with its source. */
public final class SynthConstants {
    private SynthConstants() {}

    /** RMSNorm epsilon: rms_norm_eps of the Llama-2/Llama-3 config.json files. */
    public static final float RMS_NORM_EPSILON = 1e-5f;
    /** LayerNorm epsilon: layer_norm_epsilon of the GPT-2 config.json. */
    public static final float LAYER_NORM_EPSILON = 1e-5f;
    /** Additive mask value for disallowed positions: torch.finfo(float32).min, as HF's causal mask uses. */
    public static final float MASK_MIN = -3.4028234663852886e38f;

    /** Standard deviation of untied token embeddings (the first RMSNorm rescales them anyway). */
    static final double EMBEDDING_STD = 1.0;
    /** Target standard deviation of logits; the LM head's std is this / sqrt(hidden). Chosen so the
     *  top-1/top-2 gap (about 0.3 sigma for 256 Gaussian logits) is usually far above fp32/int8 noise. */
    static final double LOGIT_STD = 4.0;
    /** Norm weights are 1 + N(0, this^2): "near 1", but not all equal, so a broken norm shows up. */
    static final double NORM_WEIGHT_JITTER = 0.05;
    /** Biases (GPT-2) and LayerNorm shifts are N(0, this^2), GPT-2's initializer_range. */
    static final double BIAS_STD = 0.02;
    /** Learned position embeddings are N(0, this^2): large enough that positions change the output. */
    static final double POSITION_EMBEDDING_STD = 0.5;
    /** Gain of planted outlier input channels; LLM.int8() (Dettmers et al. 2022) reports outlier features
     *  about 20x the typical magnitude, we plant a milder 10x in weights so the model stays healthy. */
    public static final double OUTLIER_GAIN = 10.0;

    /** ONNX/ORT external data: tensors below this many bytes stay inline (onnx size_threshold default 1024). */
    static final long EXTERNAL_SIZE_THRESHOLD_BYTES = 1024;
    /** ORT ModelSavingOptions: tensors larger than align_threshold (1 MiB) start at a multiple of 4096 for mmap. */
    static final long EXTERNAL_ALIGN_THRESHOLD_BYTES = 1 << 20;
    static final long EXTERNAL_PAGE_ALIGN_BYTES = 4096;
    /** Smaller external tensors start at a multiple of 64 bytes, so readers may map them as aligned floats. */
    static final long EXTERNAL_MIN_ALIGN_BYTES = 64;
    /** Protobuf's hard 2 GiB message limit; an inline model must stay below it (we keep a margin). */
    static final long INLINE_MODEL_LIMIT_BYTES = 2_000_000_000L;
}
