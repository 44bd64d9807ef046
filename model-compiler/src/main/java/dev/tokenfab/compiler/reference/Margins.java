package dev.tokenfab.compiler.reference;

import java.util.List;

/**
 * Top-1/top-2 logit margins. Token ids from two implementations may be compared for equality only at
 * steps whose margin exceeds the logit error between them; tests assert the margin too.
 */
public final class Margins {
    private Margins() {}

    /** top1 - top2 of one logits row (0 for ties; +Inf for a single-element row). */
    public static float top1Top2Gap(float[] logits) {
        float first = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > first) {
                second = first;
                first = v;
            } else if (v > second) {
                second = v;
            }
        }
        return first - second;
    }

    /** The smallest top-1/top-2 gap over all rows. @throws IllegalArgumentException for no rows */
    public static float minTop1Top2Gap(List<float[]> rows) {
        if (rows.isEmpty()) throw new IllegalArgumentException("no logits rows to take margins of");
        float min = Float.POSITIVE_INFINITY;
        for (float[] r : rows) min = Math.min(min, top1Top2Gap(r));
        return min;
    }

    /** The gap of every row, in order. */
    public static float[] top1Top2Gaps(List<float[]> rows) {
        float[] out = new float[rows.size()];
        for (int i = 0; i < out.length; i++) out[i] = top1Top2Gap(rows.get(i));
        return out;
    }

    /** Index of the largest element (first one on ties), as greedy decoding picks it. */
    public static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /** max |a[i] - b[i]|. @throws IllegalArgumentException when lengths differ */
    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
