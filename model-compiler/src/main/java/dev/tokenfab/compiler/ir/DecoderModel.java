package dev.tokenfab.compiler.ir;

import dev.tokenfab.format.model.DecoderConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The decoder IR: typed config plus weights under canonical names ({@link dev.tokenfab.format.model.TensorNames}).
 *
 * @param config      dimensions and structure
 * @param weights     canonical name to tensor; iteration order is the order the packer writes
 * @param source      the ONNX file this came from (for reports and golden references)
 * @param generation  EOS ids and context length from the exporter's config, when a model folder had one
 */
public record DecoderModel(DecoderConfig config, Map<String, WeightTensor> weights, Path source, Generation generation) {

    /** Generation settings found beside the model (genai_config.json / config.json); empty lists when absent. */
    public record Generation(List<Integer> eosTokenIds, int bosTokenId, Path tokenizerJson) {
        public static Generation none() { return new Generation(List.of(), -1, null); }
    }

    public WeightTensor weight(String name) {
        WeightTensor t = weights.get(name);
        if (t == null) throw new IllegalArgumentException("decoder IR has no tensor " + name);
        return t;
    }
}
