package dev.tokenfab.format.plan;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.quant.PackedFormat;

/**
 * The C symbols of {@code tokenfab_kernels.h} that a plan names for each job, in one place: the
 * planner writes them into {@code dataflow.json} and the card model reads stages by them.
 */
public final class KernelSymbols {
    private KernelSymbols() {}

    /** GEMV over a matrix packed as {@code f}. @throws IllegalArgumentException for F32, which no GEMV reads */
    public static String gemv(PackedFormat f) {
        return switch (f) {
            case Q4_GROUP -> "tf_gemv_q4";
            case Q8_CHANNEL -> "tf_gemv_q8";
            case F16 -> "tf_gemv_f16";
            case F32 -> throw new IllegalArgumentException("no GEMV kernel reads F32 matrices");
        };
    }

    /** Embedding lookup in a table packed as {@code f}. @throws IllegalArgumentException for F32 */
    public static String embed(PackedFormat f) {
        return switch (f) {
            case Q4_GROUP -> "tf_embed_q4";
            case Q8_CHANNEL -> "tf_embed_q8";
            case F16 -> "tf_embed_f16";
            case F32 -> throw new IllegalArgumentException("no embedding kernel reads F32 tables");
        };
    }

    /** The normalization kernel of a model. */
    public static String norm(DecoderConfig.NormKind kind) {
        return kind == DecoderConfig.NormKind.RMS_NORM ? "tf_rmsnorm" : "tf_layernorm";
    }

    /** The MLP activation kernel of a model. */
    public static String activation(DecoderConfig.Activation a) {
        return switch (a) {
            case SILU_GLU -> "tf_swiglu";
            case GELU_TANH -> "tf_gelu_tanh";
            case GELU_ERF -> "tf_gelu_erf";
        };
    }
}
