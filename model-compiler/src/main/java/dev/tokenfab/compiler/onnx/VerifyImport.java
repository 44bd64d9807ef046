package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Verification point "after import" (IR level, plain Java): every tensor the runtime needs is present
 * under its canonical name with the [rows][cols] the config implies. Numerical checks against ONNX
 * Runtime happen downstream; this one catches a recognizer that mis-assigned a projection.
 */
public final class VerifyImport {
    private VerifyImport() {}

    /** @throws CompileException UNSUPPORTED_MODEL listing every missing or mis-shaped tensor */
    public static DecoderModel check(DecoderModel m) throws CompileException {
        DecoderConfig c = m.config();
        List<String> problems = new ArrayList<>();
        int h = c.hiddenSize(), q = c.queryDim(), kv = c.kvDim(), f = c.intermediateSize();
        expect(m, problems, TensorNames.TOKEN_EMBEDDING, c.vocabSize(), h);
        if (c.positions() == DecoderConfig.PositionEncoding.LEARNED) expect(m, problems, TensorNames.POSITION_EMBEDDING, c.maxContextTokens(), h);
        boolean layerNorm = c.norm() == DecoderConfig.NormKind.LAYER_NORM;
        for (int i = 0; i < c.numLayers(); i++) {
            TensorNames.Layer l = TensorNames.layer(i);
            expect(m, problems, l.attnNormWeight(), 1, h);
            expect(m, problems, l.mlpNormWeight(), 1, h);
            if (layerNorm) {
                expect(m, problems, l.attnNormBias(), 1, h);
                expect(m, problems, l.mlpNormBias(), 1, h);
            }
            expect(m, problems, l.wq(), q, h);
            expect(m, problems, l.wk(), kv, h);
            expect(m, problems, l.wv(), kv, h);
            expect(m, problems, l.wo(), h, q);
            if (c.attentionBias()) {
                expect(m, problems, l.bq(), 1, q);
                expect(m, problems, l.bk(), 1, kv);
                expect(m, problems, l.bv(), 1, kv);
                expect(m, problems, l.bo(), 1, h);
            }
            if (c.activation() == DecoderConfig.Activation.SILU_GLU) {
                expect(m, problems, l.wGate(), f, h);
                if (c.mlpBias()) expect(m, problems, l.bGate(), 1, f);
            }
            expect(m, problems, l.wUp(), f, h);
            expect(m, problems, l.wDown(), h, f);
            if (c.mlpBias()) {
                expect(m, problems, l.bUp(), 1, f);
                expect(m, problems, l.bDown(), 1, h);
            }
        }
        expect(m, problems, TensorNames.FINAL_NORM_WEIGHT, 1, h);
        if (layerNorm) expect(m, problems, TensorNames.FINAL_NORM_BIAS, 1, h);
        if (c.hasLmHead() && !c.tiedEmbeddings()) expect(m, problems, TensorNames.LM_HEAD, c.vocabSize(), h);
        if (!problems.isEmpty()) {
            throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, m.source() + ": import verification failed: "
                    + String.join("; ", problems));
        }
        return m;
    }

    private static void expect(DecoderModel m, List<String> problems, String name, int rows, int cols) {
        WeightTensor t = m.weights().get(name);
        if (t == null) problems.add(name + " missing");
        else if (t.rows() != rows || t.cols() != cols) {
            problems.add(name + " is [" + t.rows() + "][" + t.cols() + "], config implies [" + rows + "][" + cols + "]");
        }
    }
}
