package dev.tokenfab.compiler.build;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.quant.QuantSpec;
import java.util.List;

/**
 * The whole configuration of one compile; serialized into {@code reports/options.json}, so a package
 * records how it was built.
 *
 * @param quant          weight scheme for 2-D tensors (default INT8)
 * @param groupSize      INT4 group size along the input dimension: 32, 64 or 128 (default 128)
 * @param zeroPoints     INT4 with per-group zero points instead of symmetric (default false)
 * @param int4Method     INT4 rounding: RTN, AWQ (MSE clip search when no calibration stats), GPTQ (refused) (default RTN)
 * @param keepFp16       canonical tensor names or globs kept in fp16, e.g. tok_embeddings, lm_head (default none)
 * @param kvCache        KV-cache element type (default FP16)
 * @param platform       target Alveo card (default U280)
 * @param contextTokens  context at which modeled KV reads are estimated; 0 = min(1024, model max) (default 0)
 * @param maxBatch       sequences the KV cache and activation buffers are sized for (default 1)
 * @param threads        worker threads for quantization and package I/O (default min(2, cores))
 */
public record CompileOptions(
        QuantScheme quant,
        int groupSize,
        boolean zeroPoints,
        Int4Method int4Method,
        List<String> keepFp16,
        KvCacheDtype kvCache,
        Platform platform,
        int contextTokens,
        int maxBatch,
        int threads) {

    public static final int DEFAULT_GROUP_SIZE = 128;

    public CompileOptions {
        keepFp16 = keepFp16 == null ? List.of() : List.copyOf(keepFp16);
    }

    public static CompileOptions defaults() {
        return new CompileOptions(QuantScheme.INT8, DEFAULT_GROUP_SIZE, false, Int4Method.RTN, List.of(),
                KvCacheDtype.FP16, Platform.U280, 0, 1, QuantSpec.defaultThreads());
    }

    public CompileOptions withQuant(QuantScheme q) {
        return new CompileOptions(q, groupSize, zeroPoints, int4Method, keepFp16, kvCache, platform, contextTokens, maxBatch, threads);
    }

    public CompileOptions withInt4(int group, boolean zp, Int4Method method) {
        return new CompileOptions(QuantScheme.INT4, group, zp, method, keepFp16, kvCache, platform, contextTokens, maxBatch, threads);
    }

    public CompileOptions withPlatform(Platform p) {
        return new CompileOptions(quant, groupSize, zeroPoints, int4Method, keepFp16, kvCache, p, contextTokens, maxBatch, threads);
    }

    public CompileOptions withKeepFp16(List<String> names) {
        return new CompileOptions(quant, groupSize, zeroPoints, int4Method, names, kvCache, platform, contextTokens, maxBatch, threads);
    }

    public CompileOptions withKvCache(KvCacheDtype kv) {
        return new CompileOptions(quant, groupSize, zeroPoints, int4Method, keepFp16, kv, platform, contextTokens, maxBatch, threads);
    }

    /** The quantizer's view of these options. */
    public QuantSpec quantSpec() {
        return new QuantSpec(quant, quant == QuantScheme.INT4 ? groupSize : 0, quant == QuantScheme.INT4 && zeroPoints,
                quant == QuantScheme.INT4 ? int4Method : null, keepFp16, threads);
    }

    /** The manifest's record of the precision. */
    public Manifest.Quantization manifestQuantization() {
        boolean int4 = quant == QuantScheme.INT4;
        return new Manifest.Quantization(quant, int4 ? groupSize : 0, !(int4 && zeroPoints), int4 ? int4Method : null, kvCache, keepFp16);
    }
}
