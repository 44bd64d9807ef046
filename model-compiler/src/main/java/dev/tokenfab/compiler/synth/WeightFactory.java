package dev.tokenfab.compiler.synth;

import dev.tokenfab.format.model.TensorNames;

/**
 * Draws every weight of a spec. Values are keyed by the canonical {@link TensorNames} name and the
 * seed, never by the ONNX name or the form, so all forms of one spec carry the same numbers.
 * Scales: projections N(0, (weightScale/sqrt(fan_in))^2); norm weights 1 + small jitter; see
 * {@link SynthConstants} for the rest.
 */
final class WeightFactory {
    private final SynthSpec spec;
    private final StoredType type;
    private final int[] outliers;

    WeightFactory(SynthSpec spec) {
        this.spec = spec;
        this.type = StoredType.of(spec.weightType());
        this.outliers = outlierChannels(spec);
    }

    /** The planted outlier hidden channels: the first {@code outlierChannels} of a seeded shuffle of [0, hidden). */
    static int[] outlierChannels(SynthSpec spec) {
        int[] perm = new int[spec.hidden()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        long key = WeightValues.key(spec.seed(), "outlier_channels");
        for (int i = perm.length - 1; i > 0; i--) {
            int j = (int) Long.remainderUnsigned(WeightValues.mix64(key + i), i + 1);
            int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
        }
        int[] out = java.util.Arrays.copyOf(perm, spec.outlierChannels());
        java.util.Arrays.sort(out);
        return out;
    }

    StoredType type() { return type; }

    /**
     * A projection weight with {@code in} input and {@code out} output features. Stored [in, out]
     * (MatMul's B) unless {@code transposed} ([out, in]: Gemm transB=1). Outliers are planted when the
     * input is the hidden state ({@code inputIsHidden}).
     */
    SynthWeight projection(String onnxName, String canonical, int in, int out, boolean transposed, boolean inputIsHidden) {
        double std = spec.weightScale() / Math.sqrt(in);
        WeightValues.Gaussian gauss = new WeightValues.Gaussian(key(canonical), 0, std, in, out, transposed,
                inputIsHidden ? outliers : new int[0], SynthConstants.OUTLIER_GAIN);
        WeightValues values = gauss;
        if (spec.nbitsBlockSize() > 0) {
            if (transposed) throw new IllegalArgumentException("4-bit weights are only written in MatMul order (" + onnxName + ")");
            values = new Int4Blocks.FakeQuantized(gauss, spec.nbitsBlockSize(), spec.nbitsZeroPoints());
        }
        return new SynthWeight(onnxName, transposed ? new long[] {out, in} : new long[] {in, out}, type, values, true);
    }

    /** Values of a projection in MatMul order (dequantized 4-bit values when the spec asks for them), for concatenation. */
    WeightValues.Matrix projectionValues(String canonical, int in, int out, boolean inputIsHidden) {
        WeightValues.Gaussian gauss = new WeightValues.Gaussian(key(canonical), 0, spec.weightScale() / Math.sqrt(in), in, out, false,
                inputIsHidden ? outliers : new int[0], SynthConstants.OUTLIER_GAIN);
        return spec.nbitsBlockSize() > 0 ? new Int4Blocks.FakeQuantized(gauss, spec.nbitsBlockSize(), spec.nbitsZeroPoints()) : gauss;
    }

    /** Values of a 1-D bias (for concatenation). */
    WeightValues.Gaussian biasValues(String canonical, int n) {
        return new WeightValues.Gaussian(key(canonical), 0.0, SynthConstants.BIAS_STD, 1, n, false, new int[0], 1.0);
    }

    /** A fused weight [in, sum out] or bias [sum out] from canonical parts (GPT-2 c_attn). */
    SynthWeight concat(String onnxName, long[] dims, java.util.List<? extends WeightValues.Matrix> parts) {
        return new SynthWeight(onnxName, dims, type, new WeightValues.ColumnConcat(java.util.List.copyOf(parts)), true);
    }

    /** Norm scale: 1 + N(0, jitter^2). */
    SynthWeight normWeight(String onnxName, String canonical, int n) {
        return vector(onnxName, canonical, n, 1.0, SynthConstants.NORM_WEIGHT_JITTER);
    }

    /** Bias or LayerNorm shift: N(0, BIAS_STD^2). */
    SynthWeight bias(String onnxName, String canonical, int n) {
        return vector(onnxName, canonical, n, 0.0, SynthConstants.BIAS_STD);
    }

    /** Token embedding [vocab, hidden]. Tied: scaled so that logits = h . E have std LOGIT_STD. */
    SynthWeight embedding(String onnxName) {
        double std = spec.tiedEmbeddings() ? SynthConstants.LOGIT_STD / Math.sqrt(spec.hidden()) : SynthConstants.EMBEDDING_STD;
        return new SynthWeight(onnxName, new long[] {spec.vocab(), spec.hidden()}, type,
                new WeightValues.Gaussian(key(TensorNames.TOKEN_EMBEDDING), 0, std, spec.vocab(), spec.hidden(), false,
                        new int[0], 1.0), true);
    }

    /** Learned positions [maxContext, hidden] (GPT-2). */
    SynthWeight positionEmbedding(String onnxName) {
        return new SynthWeight(onnxName, new long[] {spec.maxContext(), spec.hidden()}, type,
                new WeightValues.Gaussian(key(TensorNames.POSITION_EMBEDDING), 0, SynthConstants.POSITION_EMBEDDING_STD,
                        spec.maxContext(), spec.hidden(), false, new int[0], 1.0), true);
    }

    /** Untied LM head [hidden, vocab] (MatMul layout) or [vocab, hidden] when transposed. */
    SynthWeight lmHead(String onnxName, boolean transposed) {
        double std = SynthConstants.LOGIT_STD / Math.sqrt(spec.hidden());
        int h = spec.hidden(), v = spec.vocab();
        return new SynthWeight(onnxName, transposed ? new long[] {v, h} : new long[] {h, v}, type,
                new WeightValues.Gaussian(key(TensorNames.LM_HEAD), 0, std, h, v, transposed, outliers,
                        SynthConstants.OUTLIER_GAIN), true);
    }

    /**
     * RoPE cos (or sin) table in float32, as HF computes it: inv_freq[i] = theta^(-2i/rotaryDim),
     * angle = pos * inv_freq[i] (float32 products). {@code half}: [maxContext, rotaryDim/2] (the
     * contrib/opset-23 cache); otherwise [maxContext, rotaryDim] laid out for the raw graph
     * (cat(f, f) for rotate_half, or each frequency twice for the interleaved layout).
     */
    SynthWeight ropeCache(String onnxName, boolean sin, boolean half) {
        int rd = spec.rotaryDim(), pairs = rd / 2, ctx = spec.maxContext();
        int width = half ? pairs : rd;
        float[] v = new float[ctx * width];
        for (int p = 0; p < ctx; p++) {
            for (int i = 0; i < pairs; i++) {
                float invFreq = (float) (1.0 / Math.pow(spec.ropeTheta(), (2.0 * i) / rd));
                float angle = (float) p * invFreq;
                float x = (float) (sin ? Math.sin(angle) : Math.cos(angle));
                if (half) {
                    v[p * width + i] = x;
                } else if (spec.ropeInterleaved()) {
                    v[p * width + 2 * i] = x;
                    v[p * width + 2 * i + 1] = x;
                } else {
                    v[p * width + i] = x;
                    v[p * width + pairs + i] = x;
                }
            }
        }
        return new SynthWeight(onnxName, new long[] {ctx, width}, StoredType.F32, new WeightValues.Explicit(v), false);
    }

    private SynthWeight vector(String onnxName, String canonical, int n, double mean, double std) {
        return new SynthWeight(onnxName, new long[] {n}, type,
                new WeightValues.Gaussian(key(canonical), mean, std, 1, n, false, new int[0], 1.0), true);
    }

    private long key(String canonical) { return WeightValues.key(spec.seed(), canonical); }
}
