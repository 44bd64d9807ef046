package dev.tokenfab.host.runtime;

import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;
import java.util.List;

/**
 * What the decode loop needs to know about a model, read once from the package manifest (llama2.c's
 * {@code Config}): the decoder's dimensions, the KV-cache precision, the target platform and the
 * generation settings.
 *
 * @param model        dimensions and block structure
 * @param kvCache      KV-cache element type (manifest quant.kvCache)
 * @param platform     the platform the package was planned for
 * @param eosTokenIds  generation stops at any of these (may be empty)
 * @param bosTokenId   -1 when the model has none
 */
public record ModelConfig(DecoderConfig model, KvCacheDtype kvCache, Platform platform,
                          List<Integer> eosTokenIds, int bosTokenId) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    public static ModelConfig from(Manifest m) {
        Manifest.Generation g = m.generation();
        List<Integer> eos = g == null || g.eosTokenIds() == null ? List.of() : g.eosTokenIds();
        KvCacheDtype kv = m.quant() == null || m.quant().kvCache() == null ? KvCacheDtype.FP16 : m.quant().kvCache();
        return new ModelConfig(m.model(), kv, platform(m.platform()), eos, g == null ? -1 : g.bosTokenId());
    }

    /** The manifest names the platform by enum name; older writers used the Vitis platform name. */
    static Platform platform(String name) {
        for (Platform p : Platform.values()) if (p.vitisPlatform().equals(name)) return p;
        return Platform.parse(name);
    }

    public int hiddenSize() { return model.hiddenSize(); }

    public int vocabSize() { return model.vocabSize(); }

    public int numLayers() { return model.numLayers(); }
}
