package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.format.quant.PackedFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * AWQ-style activation-aware scaling (Lin et al., "AWQ", MLSys 2024): input channels with large
 * activations matter most, so each consumer matrix W of a shared input x is stored as W·diag(s) and
 * the producer of x is divided by s (W x = (W diag(s)) (x / s)), which makes the salient columns
 * larger and their relative rounding error smaller. s = a^alpha with a = mean |x| per channel from
 * {@link CalibrationStats}; alpha is searched on a grid to minimize sum_c a_c^2 (w - Q(w s)/s)^2 over
 * sampled rows (the output error when E[x_c^2] ~ a_c^2). The 1/s is folded where it is exact:
 * <ul>
 *   <li>q/k/v → attention norm weight (and bias); gate/up → MLP norm; lm_head (untied) → final norm;</li>
 *   <li>down → rows of up (and its bias) for SwiGLU, since silu(g) * (u / s) = (silu(g) * u) / s.</li>
 * </ul>
 * wo, GELU-MLP down and tied embeddings get no scaling (no exact fold point) but still use the
 * activation-weighted clip search.
 */
final class Awq {
    private Awq() {}

    /** Alpha grid of the scale search (AWQ searches 20 points in [0, 1); 11 keep it cheap). */
    static final int ALPHA_STEPS = 11;
    /** Rows sampled per consumer for the alpha search. */
    static final int SAMPLE_ROWS = 64;
    /** Floor on activation magnitudes before the power, as in AWQ's clamp(min=1e-4). */
    static final float MIN_ACTIVATION = 1e-4f;

    /**
     * How the quantizer transforms a tensor before packing: w'[r][c] = w[r][c] * rowScale[r] * colScale[c].
     *
     * @param inverseColScale  1 / colScale for the consumer (SQNR in the original domain), null otherwise
     * @param clipWeight       per-column weight of the clip-search error (a^2 / s^2), null for unweighted
     */
    record Transform(float[] rowScale, float[] colScale, float[] inverseColScale, float[] clipWeight) {
        Transform merge(Transform o) {
            return new Transform(mul(rowScale, o.rowScale), mul(colScale, o.colScale),
                    mul(inverseColScale, o.inverseColScale), clipWeight != null ? clipWeight : o.clipWeight);
        }

        private static float[] mul(float[] a, float[] b) {
            if (a == null) return b;
            if (b == null) return a;
            float[] r = a.clone();
            for (int i = 0; i < r.length; i++) r[i] *= b[i];
            return r;
        }
    }

    private record Group(List<String> consumers, List<String> colFold, String rowFold) {}

    static void plan(DecoderModel model, Map<String, Quantizer.FormatChoice> formats, CalibrationStats stats,
                     Map<String, Transform> transforms, Map<String, String> notes) {
        DecoderConfig cfg = model.config();
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < cfg.numLayers(); i++) {
            TensorNames.Layer l = TensorNames.layer(i);
            // down first: its fold changes up's rows, which the gate/up search then sees
            if (cfg.activation() == DecoderConfig.Activation.SILU_GLU) {
                groups.add(new Group(List.of(l.wDown()), List.of(l.bUp()), l.wUp()));
            }
            groups.add(new Group(List.of(l.wq(), l.wk(), l.wv()), List.of(l.attnNormWeight(), l.attnNormBias()), null));
            groups.add(new Group(List.of(l.wGate(), l.wUp()), List.of(l.mlpNormWeight(), l.mlpNormBias()), null));
        }
        if (!cfg.tiedEmbeddings()) {
            groups.add(new Group(List.of(TensorNames.LM_HEAD), List.of(TensorNames.FINAL_NORM_WEIGHT, TensorNames.FINAL_NORM_BIAS), null));
        }
        for (Group g : groups) {
            List<WeightTensor.Dense> consumers = new ArrayList<>();
            float[] a = null;
            boolean anyInt4 = false;
            for (String name : g.consumers()) {
                if (model.weights().get(name) instanceof WeightTensor.Dense d) {
                    consumers.add(d);
                    if (a == null) a = stats.meanAbs(name);
                    anyInt4 |= formats.get(name).format() == PackedFormat.Q4_GROUP;
                } else if (model.weights().containsKey(name)) {
                    consumers.clear();   // an imported consumer cannot be rescaled: leave the group alone
                    break;
                }
            }
            if (consumers.isEmpty() || a == null || !anyInt4 || a.length != consumers.getFirst().cols()) continue;
            boolean foldable = g.rowFold() != null ? model.weights().get(g.rowFold()) instanceof WeightTensor.Dense
                    : model.weights().get(g.colFold().getFirst()) instanceof WeightTensor.Dense;
            float[] clipWeightPlain = square(a);
            if (!foldable) {
                for (WeightTensor.Dense d : consumers) transforms.merge(d.name(), new Transform(null, null, null, clipWeightPlain), Transform::merge);
                continue;
            }
            float alpha = searchAlpha(consumers, formats, a, transforms);
            float[] s = scales(a, alpha);
            float[] inv = new float[s.length];
            float[] clipW = new float[s.length];
            for (int c = 0; c < s.length; c++) {
                inv[c] = 1 / s[c];
                clipW[c] = a[c] * a[c] * inv[c] * inv[c];
            }
            for (WeightTensor.Dense d : consumers) {
                transforms.merge(d.name(), new Transform(null, s, inv, clipW), Transform::merge);
                notes.put(d.name(), String.format(Locale.ROOT, "awq alpha=%.1f", alpha));
            }
            for (String f : g.colFold()) {
                if (model.weights().get(f) instanceof WeightTensor.Dense) {
                    transforms.merge(f, new Transform(null, inv, null, null), Transform::merge);
                    notes.put(f, "divided by awq scales of " + consumers.getFirst().name());
                }
            }
            if (g.rowFold() != null) {
                transforms.merge(g.rowFold(), new Transform(inv, null, null, null), Transform::merge);
                notes.merge(g.rowFold(), "rows divided by awq scales of " + consumers.getFirst().name(), (x, y) -> x + "; " + y);
            }
        }
    }

    private static float[] square(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i] * a[i];
        return r;
    }

    /** s = max(a, floor)^alpha, normalized by sqrt(max(s) * min(s)) as AWQ does. */
    static float[] scales(float[] a, float alpha) {
        float[] s = new float[a.length];
        float mx = 0, mn = Float.MAX_VALUE;
        for (int c = 0; c < a.length; c++) {
            s[c] = (float) Math.pow(Math.max(a[c], MIN_ACTIVATION), alpha);
            mx = Math.max(mx, s[c]);
            mn = Math.min(mn, s[c]);
        }
        float norm = (float) Math.sqrt(mx * mn);
        for (int c = 0; c < a.length; c++) s[c] /= norm;
        return s;
    }

    private static float searchAlpha(List<WeightTensor.Dense> consumers, Map<String, Quantizer.FormatChoice> formats,
                                     float[] a, Map<String, Transform> transforms) {
        BlockReader reader = new BlockReader();
        int cols = consumers.getFirst().cols();
        List<float[]> samples = new ArrayList<>();
        List<Quantizer.FormatChoice> sampleFormats = new ArrayList<>();
        for (WeightTensor.Dense d : consumers) {
            Transform prior = transforms.get(d.name());
            int step = Math.max(1, d.rows() / SAMPLE_ROWS);
            for (int r = 0; r < d.rows(); r += step) {
                float[] row = new float[cols];
                reader.read(d, r, 1, row);
                if (prior != null && prior.rowScale() != null) for (int c = 0; c < cols; c++) row[c] *= prior.rowScale()[r];
                samples.add(row);
                sampleFormats.add(formats.get(d.name()));
            }
        }
        float best = 0;
        double bestErr = Double.POSITIVE_INFINITY;
        float[] x = new float[cols];
        float[] errScale = new float[cols];
        byte[] bytes = new byte[cols];
        for (int k = 0; k < ALPHA_STEPS; k++) {
            float alpha = k / (float) (ALPHA_STEPS - 1);
            float[] s = scales(a, alpha);
            for (int c = 0; c < cols; c++) errScale[c] = a[c] / s[c];
            double[] acc = new double[2];
            for (int i = 0; i < samples.size(); i++) {
                float[] row = samples.get(i);
                for (int c = 0; c < cols; c++) x[c] = row[c] * s[c];
                Quantizer.FormatChoice f = sampleFormats.get(i);
                switch (f.format()) {
                    case Q4_GROUP -> {
                        int groups = cols / f.groupSize();
                        RowKernels.q4Row(x, 0, cols, f.groupSize(), RowKernels.NO_CLIP, null, errScale, bytes,
                                new float[groups], f.zeroPoints() ? new byte[groups] : null, acc);
                    }
                    case Q8_CHANNEL -> RowKernels.q8Row(x, 0, cols, bytes, errScale, acc);
                    default -> { }   // fp16/f32 consumers: error negligible at any alpha
                }
            }
            if (Double.isFinite(acc[1]) && acc[1] < bestErr) {
                bestErr = acc[1];
                best = alpha;
            }
        }
        return best;
    }
}
