package dev.tokenfab.compiler.ir;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validate pass: every tensor the runtime needs is present under its canonical name with the
 * shape the config implies ({@link TensorNames}); extra tensors are reported, not fatal.
 */
public final class ModelValidator {
    private ModelValidator() {}

    /** @param unexpected tensors present but not used by the runtime */
    public record Report(int tensors, long parameters, List<String> unexpected) {}

    /** Expected [rows, cols] per canonical name for this config. */
    public static Map<String, int[]> expectedShapes(DecoderConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int h = c.hiddenSize();
        m.put(TensorNames.TOKEN_EMBEDDING, new int[] {c.vocabSize(), h});
        if (c.positions() == DecoderConfig.PositionEncoding.LEARNED) m.put(TensorNames.POSITION_EMBEDDING, new int[] {c.maxContextTokens(), h});
        boolean ln = c.norm() == DecoderConfig.NormKind.LAYER_NORM;
        for (int i = 0; i < c.numLayers(); i++) {
            TensorNames.Layer l = TensorNames.layer(i);
            m.put(l.attnNormWeight(), new int[] {1, h});
            if (ln) m.put(l.attnNormBias(), new int[] {1, h});
            m.put(l.wq(), new int[] {c.queryDim(), h});
            m.put(l.wk(), new int[] {c.kvDim(), h});
            m.put(l.wv(), new int[] {c.kvDim(), h});
            m.put(l.wo(), new int[] {h, c.queryDim()});
            if (c.attentionBias()) {
                m.put(l.bq(), new int[] {1, c.queryDim()});
                m.put(l.bk(), new int[] {1, c.kvDim()});
                m.put(l.bv(), new int[] {1, c.kvDim()});
                m.put(l.bo(), new int[] {1, h});
            }
            m.put(l.mlpNormWeight(), new int[] {1, h});
            if (ln) m.put(l.mlpNormBias(), new int[] {1, h});
            if (c.activation() == DecoderConfig.Activation.SILU_GLU) m.put(l.wGate(), new int[] {c.intermediateSize(), h});
            m.put(l.wUp(), new int[] {c.intermediateSize(), h});
            m.put(l.wDown(), new int[] {h, c.intermediateSize()});
            if (c.mlpBias()) {
                if (c.activation() == DecoderConfig.Activation.SILU_GLU) m.put(l.bGate(), new int[] {1, c.intermediateSize()});
                m.put(l.bUp(), new int[] {1, c.intermediateSize()});
                m.put(l.bDown(), new int[] {1, h});
            }
        }
        m.put(TensorNames.FINAL_NORM_WEIGHT, new int[] {1, h});
        if (ln) m.put(TensorNames.FINAL_NORM_BIAS, new int[] {1, h});
        if (c.hasLmHead() && !c.tiedEmbeddings()) m.put(TensorNames.LM_HEAD, new int[] {c.vocabSize(), h});
        return m;
    }

    /**
     * @throws CompileException UNSUPPORTED_MODEL naming a missing tensor, BAD_TENSOR naming a tensor with the wrong shape
     */
    public static Report validate(DecoderModel model) throws CompileException {
        Map<String, int[]> expected = expectedShapes(model.config());
        long params = 0;
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            WeightTensor w = model.weights().get(e.getKey());
            if (w == null) {
                throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, "decoder IR lacks tensor " + e.getKey() + " that a "
                        + model.config().family() + " model with this config needs" + (model.source() == null ? "" : " (source " + model.source() + ")"));
            }
            if (w.rows() != e.getValue()[0] || w.cols() != e.getValue()[1]) {
                throw new CompileException(ErrorCode.BAD_TENSOR, "tensor " + e.getKey() + " has shape [" + w.rows() + "," + w.cols()
                        + "], config implies [" + e.getValue()[0] + "," + e.getValue()[1] + "]");
            }
            params += (long) w.rows() * w.cols();
        }
        List<String> unexpected = new ArrayList<>();
        for (String n : model.weights().keySet()) if (!expected.containsKey(n)) unexpected.add(n);
        return new Report(model.weights().size(), params, unexpected);
    }
}
