package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.PackedFormat;

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

    /** 1.5 * 2^23: adding it to |x| < 2^22 leaves round-half-even(x) in the low mantissa bits. */
    private static final float ROUNDING_MAGIC = 12582912f;
    private static final int ROUNDING_MAGIC_BITS = 0x4B400000;

    /**
     * Round-half-to-even of x for |x| < 2^22, without Math.round (measured about 2x faster here on
     * JDK 25: Math.round's half-up semantics cost a few extra instructions per element). Quantized codes
     * are at most a few hundred in magnitude, far inside the valid range.
     */
    static int roundToInt(float x) {
        return Float.floatToRawIntBits(x + ROUNDING_MAGIC) - ROUNDING_MAGIC_BITS;
    }

    /** Bits of the smallest non-finite float magnitude (Inf); NaNs are above it. */
    private static final int NON_FINITE_BITS = 0x7f800000;

    /**
     * Returns max |w| over the row, or NaN when the row holds a NaN or Inf. Works on the magnitude
     * bits: for non-negative floats integer order is float order, and Inf/NaN sort above every finite
     * value, so one integer max (which C2 vectorizes) finds both.
     */
    static float absMax(float[] w, int off, int cols) {
        int m = 0;
        for (int c = 0; c < cols; c++) m = Math.max(m, Float.floatToRawIntBits(w[off + c]) & 0x7fffffff);
        return m >= NON_FINITE_BITS ? Float.NaN : Float.intBitsToFloat(m);
    }

    /** Adds sum v^2 (scaled by errScale) to acc[0] and sum (v - deq)^2 to acc[1]; four independent
     *  float chains so the adds pipeline, then one double add per row. */
    private static void accumulate(float[] v, int off, float[] deq, int n, float[] errScale, double[] acc) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, e0 = 0, e1 = 0, e2 = 0, e3 = 0;
        int c = 0;
        if (errScale == null) {
            for (; c + 3 < n; c += 4) {
                float a0 = v[off + c], a1 = v[off + c + 1], a2 = v[off + c + 2], a3 = v[off + c + 3];
                float d0 = a0 - deq[c], d1 = a1 - deq[c + 1], d2 = a2 - deq[c + 2], d3 = a3 - deq[c + 3];
                s0 += a0 * a0; s1 += a1 * a1; s2 += a2 * a2; s3 += a3 * a3;
                e0 += d0 * d0; e1 += d1 * d1; e2 += d2 * d2; e3 += d3 * d3;
            }
        }
        for (; c < n; c++) {
            float es = errScale == null ? 1f : errScale[c];
            float a = v[off + c] * es, d = (v[off + c] - deq[c]) * es;
            s0 += a * a;
            e0 += d * d;
        }
        acc[0] += (double) s0 + s1 + s2 + s3;
        acc[1] += (double) e0 + e1 + e2 + e3;
    }

    /** Per-worker scratch for dequantized values. */
    private static final ThreadLocal<float[]> DEQ = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] deqBuffer(int n) {
        float[] b = DEQ.get();
        if (b.length < n) {
            b = new float[n];
            DEQ.set(b);
        }
        return b;
    }

    static void f32Row(float[] w, int off, int cols, float[] out) {
        System.arraycopy(w, off, out, 0, cols);
    }

    static void f16Row(float[] w, int off, int cols, short[] out, float[] errScale, double[] acc) {
        float[] deq = deqBuffer(cols);
        for (int c = 0; c < cols; c++) {
            short h = Float.floatToFloat16(w[off + c]);
            out[c] = h;
            deq[c] = Float.float16ToFloat(h);
        }
        accumulate(w, off, deq, cols, errScale, acc);
    }

    /** Q8_CHANNEL: symmetric, scale = max|w| / 127 (NaN when the row is not finite). Returns the scale. */
    static float q8Row(float[] w, int off, int cols, byte[] out, float[] errScale, double[] acc) {
        float amax = absMax(w, off, cols);
        float scale = amax / PackedFormat.Q8_MAX_MAGNITUDE;
        if (Float.isNaN(scale)) return scale;
        float inv = scale == 0 ? 0 : 1 / scale;
        float[] deq = deqBuffer(cols);
        for (int c = 0; c < cols; c++) {
            // |w * inv| <= 127 by construction (up to rounding of inv), so the clamp only guards that edge
            int q = Math.max(-PackedFormat.Q8_MAX_MAGNITUDE, Math.min(PackedFormat.Q8_MAX_MAGNITUDE, roundToInt(w[off + c] * inv)));
            out[c] = (byte) q;
            deq[c] = q * scale;
        }
        accumulate(w, off, deq, cols, errScale, acc);
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
        float[] deq = deqBuffer(cols);
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
            float bestErr = Float.POSITIVE_INFINITY;
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
                for (int i = 0; i < groupSize; i++) {
                    codes[i] = (byte) Math.max(0, Math.min(PackedFormat.Q4_MAX_CODE, roundToInt(w[base + i] * inv) + zero));
                }
                if (ratios.length == 1) {   // round-to-nearest: nothing to compare
                    bestScale = scale;
                    bestZero = zero;
                    System.arraycopy(codes, 0, best, 0, groupSize);
                    break;
                }
                float e2 = 0;
                for (int i = 0; i < groupSize; i++) {
                    float e = w[base + i] - (codes[i] - zero) * scale;
                    e2 += errWeight == null ? e * e : e * e * errWeight[g * groupSize + i];
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
            for (int i = 0; i < groupSize; i++) deq[g * groupSize + i] = (best[i] - bestZero) * bestScale;
        }
        accumulate(w, off, deq, cols, errScale, acc);
    }
}
