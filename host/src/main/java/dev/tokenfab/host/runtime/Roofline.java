package dev.tokenfab.host.runtime;

import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;

/**
 * MODELED memory roofline of decode at batch 1 (DESIGN.md "Facts"): tokens/s <= aggregate bank
 * bandwidth / bytes read per token. Bytes per token = every packed weight part once (the token and
 * position tables contribute one row each unless the token table doubles as the LM head) plus the
 * KV cache read at a given context length.
 *
 * @param bytesPerToken           weights + KV bytes read per generated token
 * @param weightBytesPerToken     the weight share
 * @param kvBytesPerToken         the KV share at {@code contextTokens}
 * @param contextTokens           context length the KV share is computed at
 * @param bankBytesPerSecond      Platform.totalBytesPerSecond() (datasheet peak)
 * @param tokensPerSecond         the bound
 */
public record Roofline(long bytesPerToken, long weightBytesPerToken, long kvBytesPerToken, int contextTokens,
                       long bankBytesPerSecond, double tokensPerSecond) {

    public static Roofline of(Manifest m, Platform platform, int contextTokens) {
        DecoderConfig c = m.model();
        long weights = 0;
        for (Manifest.Tensor t : m.tensors()) {
            long bytes = 0;
            for (var sp : DeviceWeights.placements(t)) for (Manifest.Part p : sp.parts().values()) bytes += p.sizeBytes();
            boolean table = t.name().equals(TensorNames.POSITION_EMBEDDING)
                    || (t.name().equals(TensorNames.TOKEN_EMBEDDING) && !(c.hasLmHead() && c.tiedEmbeddings()));
            weights += table ? Math.ceilDiv(bytes, t.rows()) : bytes;
        }
        int kvElementBytes = m.quant() != null && m.quant().kvCache() == KvCacheDtype.INT8 ? 1 : 2;
        long perTokenPerLayer = (long) c.kvDim() * kvElementBytes
                + (kvElementBytes == 1 ? (long) c.numKvHeads() * Float.BYTES : 0);
        long kv = 2L * c.numLayers() * contextTokens * perTokenPerLayer;
        long total = weights + kv;
        return new Roofline(total, weights, kv, contextTokens, platform.totalBytesPerSecond(),
                (double) platform.totalBytesPerSecond() / total);
    }
}
