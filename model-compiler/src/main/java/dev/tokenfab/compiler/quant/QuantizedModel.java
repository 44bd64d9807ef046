package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import java.nio.file.Path;
import java.util.Map;

/**
 * Output of the quantize pass: every weight in its package layout. Segments belong to the
 * {@link PackedStore} the quantizer wrote into (or to the importer's mapping for imported tensors).
 *
 * @param tensors  canonical name → packed tensor, in pack order
 */
public record QuantizedModel(DecoderConfig config, Map<String, PackedTensor> tensors, Path source,
                             DecoderModel.Generation generation, QuantReport report) {

    public PackedTensor tensor(String name) {
        PackedTensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("quantized model has no tensor " + name);
        return t;
    }

    public long packedBytes() {
        long s = 0;
        for (PackedTensor t : tensors.values()) s += t.sizeBytes();
        return s;
    }
}
