package dev.tokenfab.compiler.quant;

import dev.tokenfab.compiler.pkg.PackedFormat;

/**
 * The quantizer's fast paths: one row at a time, from a float buffer into byte buffers in the
 * {@link PackedFormat} encodings. Tests check every path against {@link PackedFormat#dequantizeRow}.
 * Each method adds the row's sum of squared weights to {@code acc[0]} and of squared errors to
 * {@code acc[1]} (for SQNR). {@code errScale} (nullable, per column) maps stored values back to the
 * original weight's domain when AWQ scaled the columns; {@code errWeight} (nullable, per column)
 * weights the clip-search error by activation importance.
 */
final class RowKernels {
    private RowKernels() {}

    /** Clip ratios of the MSE-optimal scale search: 1.0 down to 0.5 in steps of 0.05 (AWQ's auto_clip
     *  searches the same 0.5 max shrink; 11 steps trade search time for error). */
    static final float[] CLIP_RATIOS = {1.0f, 0.95f, 0.9f, 0.85f, 0.8f, 0.75f, 0.7f, 0.65f, 0.6f, 0.55f, 0.5f};
    static final float[] NO_CLIP = {1.0f};

    /** Returns max |w| over the row (NaN or Inf when the row holds one). */
    static float absMax(float[] w, int off, int cols) {
        float m = 0;
        boolean finite = true;
        for (int c = 0; c < cols; c++) {
            float v = w[off + c];
            m = Math.max(m, Math.abs(v));
            finite &= Float.isFinite(v);
        }
        return finite ? m : Float.NaN;
    }

    static void f32Row(float[] w, int off, int cols, float[] out) {
        System.arraycopy(w, off, out, 0, cols);
    }

    static void f16Row(float[] w, int off, int cols, short[] out, float[] errScale, double[] acc) {
        double sig = 0, err = 0;
        for (int c = 0; c < cols; c++) {
            float v = w[off + c];
            short h = Float.floatToFloat16(v);
            out[c] = h;
            float es = errScale == null ? 1f : errScale[c];
            float e = (v - Float.float16ToFloat(h)) * es;
            sig += (double) (v * es) * (v * es);
            err += (double) e * e;
        }
        acc[0] += sig;
        acc[1] += err;
    }

    /** Q8_CHANNEL: symmetric, scale = max|w| / 127. Returns the scale. */
    static float q8Row(float[] w, int off, int cols, byte[] out, float[] errScale, double[] acc) {
        float amax = absMax(w, off, cols);
        float scale = amax / PackedFormat.Q8_MAX_MAGNITUDE;
        float inv = scale == 0 ? 0 : 1 / scale;
        double sig = 0, err = 0;
        for (int c = 0; c < cols; c++) {
            float v = w[off + c];
            int q = Math.round(v * inv);
            q = Math.max(-PackedFormat.Q8_MAX_MAGNITUDE, Math.min(PackedFormat.Q8_MAX_MAGNITUDE, q));
            out[c] = (byte) q;
            float es = errScale == null ? 1f : errScale[c];
            float e = (v - q * scale) * es;
            sig += (double) (v * es) * (v * es);
            err += (double) e * e;
        }
        acc[0] += sig;
        acc[1] += err;
        return scale;
    }

    /**
     * Q4_GROUP for one row: per group, tries each clip ratio and keeps the one with the least
     * (weighted) squared error; {@code ratios = NO_CLIP} is plain round-to-nearest.
     *
     * @param packed  out: cols/2 bytes, low nibble = even column
     * @param scales  out: one scale per group
     * @param zeros   out: one zero point per group, or null for symmetric (zero 8)
     */
    static void q4Row(float[] w, int off, int cols, int groupSize, float[] ratios, float[] errWeight,
                      float[] errScale, byte[] packed, float[] scales, byte[] zeros, double[] acc) {
        int groups = cols / groupSize;
        byte[] codes = new byte[groupSize];
        byte[] best = new byte[groupSize];
        double sig = 0, err = 0;
        for (int g = 0; g < groups; g++) {
            int base = off + g * groupSize;
            // group statistics
            float mn = 0, mx = 0, signedMax = 0, amax = 0;
            for (int i = 0; i < groupSize; i++) {
                float v = w[base + i];
                mn = Math.min(mn, v);
                mx = Math.max(mx, v);
                if (Math.abs(v) > amax) { amax = Math.abs(v); signedMax = v; }
            }
            float bestScale = 0;
            int bestZero = zeros == null ? PackedFormat.Q4_SYMMETRIC_ZERO : 0;
            double bestErr = Double.POSITIVE_INFINITY;
            for (float ratio : ratios) {
                float scale;
                int zero;
                if (zeros == null) {
                    scale = signedMax * ratio / -PackedFormat.Q4_SYMMETRIC_ZERO;   // q4_0: extreme maps to code 0
                    zero = PackedFormat.Q4_SYMMETRIC_ZERO;
                } else {
                    float lo = mn * ratio, hi = mx * ratio;
                    scale = (hi - lo) / PackedFormat.Q4_MAX_CODE;
                    zero = scale == 0 ? 0 : Math.max(0, Math.min(PackedFormat.Q4_MAX_CODE, Math.round(-lo / scale)));
                }
                float inv = scale == 0 ? 0 : 1 / scale;
                double e2 = 0;
                for (int i = 0; i < groupSize; i++) {
                    float v = w[base + i];
                    int q = Math.max(0, Math.min(PackedFormat.Q4_MAX_CODE, Math.round(v * inv) + zero));
                    codes[i] = (byte) q;
                    float e = v - (q - zero) * scale;
                    e2 += errWeight == null ? (double) e * e : (double) e * e * errWeight[g * groupSize + i];
                }
                if (e2 < bestErr) {
                    bestErr = e2;
                    bestScale = scale;
                    bestZero = zero;
                    System.arraycopy(codes, 0, best, 0, groupSize);
                }
                if (e2 == 0) break;
            }
            scales[g] = bestScale;
            if (zeros != null) zeros[g] = (byte) bestZero;
            for (int i = 0; i < groupSize; i += 2) {
                packed[(g * groupSize + i) / 2] = (byte) (best[i] | (best[i + 1] << 4));
            }
            for (int i = 0; i < groupSize; i++) {
                float v = w[base + i];
                float es = errScale == null ? 1f : errScale[g * groupSize + i];
                float e = (v - (best[i] - bestZero) * bestScale) * es;
                sig += (double) (v * es) * (v * es);
                err += (double) e * e;
            }
        }
        acc[0] += sig;
        acc[1] += err;
    }
}
