package dev.tokenfab;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.quant.QuantScheme;
import java.util.List;
import java.util.Objects;

/**
 * How {@link Tokenfab#compile} builds a package: the options of {@code tokenfab compile}. Start from
 * {@link #defaults()} and change fields with the {@code with...} methods. The compiler checks the
 * values against the model (e.g. the group size against the input dimension) and refuses bad ones
 * with a {@code CompileException} of code {@code BAD_OPTION} naming the option.
 *
 * @param quant         weight precision of the matrices (default INT8)
 * @param groupSize     INT4 group size along the input dimension: 32, 64 or 128 (default 128; ignored unless INT4)
 * @param zeroPoints    INT4 with per-group zero points instead of symmetric (default false)
 * @param int4Method    INT4 rounding: RTN, AWQ or GPTQ (default RTN); AWQ and GPTQ calibrate on the
 *                      fp32 model, as {@code tokenfab compile} does without {@code --calibration}
 * @param kvCache       KV-cache element type (default FP16)
 * @param platform      target Alveo card (default U280)
 * @param contextTokens context in tokens at which the modeled figures count KV reads; 0 = min(1024, model max) (default 0)
 * @param keepFp16      canonical tensor names or globs kept in fp16, e.g. {@code lm_head} (default none)
 */
public record CompileSettings(QuantScheme quant, int groupSize, boolean zeroPoints, Int4Method int4Method,
                              KvCacheDtype kvCache, Platform platform, int contextTokens, List<String> keepFp16) {

    /** Default INT4 group size (the most common one in published int4 checkpoints). */
    public static final int DEFAULT_GROUP_SIZE = 128;

    /**
     * Checks for nulls and negative sizes; copies {@code keepFp16}.
     *
     * @throws NullPointerException     naming the component when it is null
     * @throws IllegalArgumentException when {@code groupSize} or {@code contextTokens} is negative
     */
    public CompileSettings {
        Objects.requireNonNull(quant, "CompileSettings.quant");
        Objects.requireNonNull(int4Method, "CompileSettings.int4Method");
        Objects.requireNonNull(kvCache, "CompileSettings.kvCache");
        Objects.requireNonNull(platform, "CompileSettings.platform");
        if (groupSize <= 0) throw new IllegalArgumentException("CompileSettings.groupSize must be > 0, was " + groupSize);
        if (contextTokens < 0) throw new IllegalArgumentException("CompileSettings.contextTokens must be >= 0, was " + contextTokens);
        keepFp16 = List.copyOf(Objects.requireNonNull(keepFp16, "CompileSettings.keepFp16"));
    }

    /**
     * INT8 weights, FP16 KV cache, U280, default context: the defaults of the compiler.
     *
     * @return the default settings
     */
    public static CompileSettings defaults() {
        return new CompileSettings(QuantScheme.INT8, DEFAULT_GROUP_SIZE, false, Int4Method.RTN, KvCacheDtype.FP16,
                Platform.U280, 0, List.of());
    }

    /**
     * Changes the weight precision.
     *
     * @param q weight precision
     * @return a copy with weight precision {@code q}
     */
    public CompileSettings withQuant(QuantScheme q) {
        return new CompileSettings(q, groupSize, zeroPoints, int4Method, kvCache, platform, contextTokens, keepFp16);
    }

    /**
     * INT4 weights with the given geometry and rounding.
     *
     * @param group  group size: 32, 64 or 128
     * @param zp     per-group zero points
     * @param method rounding method
     * @return a copy with INT4 weights
     */
    public CompileSettings withInt4(int group, boolean zp, Int4Method method) {
        return new CompileSettings(QuantScheme.INT4, group, zp, method, kvCache, platform, contextTokens, keepFp16);
    }

    /**
     * Changes the target card.
     *
     * @param p target card
     * @return a copy targeting {@code p}
     */
    public CompileSettings withPlatform(Platform p) {
        return new CompileSettings(quant, groupSize, zeroPoints, int4Method, kvCache, p, contextTokens, keepFp16);
    }

    /**
     * Changes the KV-cache element type.
     *
     * @param kv KV-cache element type
     * @return a copy with KV cache {@code kv}
     */
    public CompileSettings withKvCache(KvCacheDtype kv) {
        return new CompileSettings(quant, groupSize, zeroPoints, int4Method, kv, platform, contextTokens, keepFp16);
    }

    /**
     * Changes the context of the modeled figures.
     *
     * @param tokens context for the modeled KV reads; 0 = min(1024, model max)
     * @return a copy with that context
     */
    public CompileSettings withContextTokens(int tokens) {
        return new CompileSettings(quant, groupSize, zeroPoints, int4Method, kvCache, platform, tokens, keepFp16);
    }

    /**
     * Changes the tensors kept in fp16.
     *
     * @param names canonical tensor names or globs kept in fp16
     * @return a copy keeping those tensors in fp16
     */
    public CompileSettings withKeepFp16(List<String> names) {
        return new CompileSettings(quant, groupSize, zeroPoints, int4Method, kvCache, platform, contextTokens, names);
    }
}
