package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.PackedFormat;

/**
 * GPTQ-style error feedback (Frantar et al., "GPTQ", ICLR 2023) for Q4_GROUP: columns are quantized
 * left to right and each column's rounding error is pushed onto the not-yet-quantized columns of the
 * same row through the inverse Hessian of the layer input, H = E[x x^T]. Rows are independent given
 * H, so the quantizer's row blocks run in parallel unchanged. Group scales are fixed when the
 * group's first column is reached, from the already-updated weights (GPTQ without static groups).
 */
final class Gptq {
    private Gptq() {}

    /** Dampening added to H's diagonal, as a fraction of its mean diagonal (GPTQ's percdamp = 0.01). */
    static final double DAMP_FRACTION = 0.01;
    /** Largest input width GPTQ accepts: its three O(cols^3) factorizations and the cols x cols factor
     *  (4096^2 floats = 64 MiB) stay practical under -Xmx2g; wider tensors fall back to the clip search. */
    static final int MAX_COLS = 4096;

    /**
     * The upper Cholesky factor U of H^-1 (H^-1 = U^T U), row-major [cols][cols] as floats; GPTQ's
     * update for column i uses row i of U. Columns that never saw activation (H_ii = 0) get H_ii = 1.
     *
     * @throws IllegalArgumentException when H is not positive definite even after dampening
     */
    static float[] inverseCholeskyUpper(float[] hessian, int n, String tensor) {
        double[] a = new double[n * n];
        double meanDiag = 0;
        for (int i = 0; i < n; i++) meanDiag += hessian[i * n + i];
        meanDiag /= n;
        double damp = DAMP_FRACTION * (meanDiag > 0 ? meanDiag : 1);
        for (int i = 0; i < n * n; i++) a[i] = hessian[i];
        for (int i = 0; i < n; i++) {
            if (a[i * n + i] == 0) a[i * n + i] = 1;
            a[i * n + i] += damp;
        }
        cholLowerInPlace(a, n, tensor);                  // a = L, H = L L^T
        double[] li = invertLower(a, n);                 // L^-1
        double[] hinv = new double[n * n];               // H^-1 = L^-T L^-1
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
                hinv[i * n + j] = s;
                hinv[j * n + i] = s;
            }
        }
        cholLowerInPlace(hinv, n, tensor);               // H^-1 = M M^T, U = M^T
        float[] u = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) u[i * n + j] = (float) hinv[j * n + i];
        return u;
    }

    private static void cholLowerInPlace(double[] a, int n, String tensor) {
        for (int j = 0; j < n; j++) {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
            if (!(d > 0)) throw new IllegalArgumentException("tensor " + tensor + ": calibration Hessian is not positive definite at column " + j);
            double l = Math.sqrt(d);
            a[j * n + j] = l;
            for (int i = j + 1; i < n; i++) {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = s / l;
            }
            for (int k = j + 1; k < n; k++) a[j * n + k] = 0;
        }
    }

    private static double[] invertLower(double[] l, int n) {
        double[] x = new double[n * n];
        for (int j = 0; j < n; j++) {
            x[j * n + j] = 1 / l[j * n + j];
            for (int i = j + 1; i < n; i++) {
                double s = 0;
                for (int k = j; k < i; k++) s -= l[i * n + k] * x[k * n + j];
                x[i * n + j] = s / l[i * n + i];
            }
        }
        return x;
    }

    /**
     * Quantizes one row with error feedback. {@code w[off..off+cols)} is the original row (unchanged);
     * {@code work} is scratch of 2 x cols floats: the error-fed row, then its dequantized values.
     */
    static void q4Row(float[] w, int off, int cols, int groupSize, float[] u, float[] work, byte[] packed,
                      float[] scales, byte[] zeros, float[] errScale, double[] acc) {
        System.arraycopy(w, off, work, 0, cols);
        float scale = 0;
        int zero = PackedFormat.Q4_SYMMETRIC_ZERO;
        for (int i = 0; i < cols; i++) {
            if (i % groupSize == 0) {
                int g = i / groupSize;
                float mn = 0, mx = 0, signedMax = 0, amax = 0;
                for (int k = i; k < i + groupSize; k++) {
                    float v = work[k];
                    mn = Math.min(mn, v);
                    mx = Math.max(mx, v);
                    if (Math.abs(v) > amax) { amax = Math.abs(v); signedMax = v; }
                }
                if (zeros == null) {
                    scale = signedMax / -PackedFormat.Q4_SYMMETRIC_ZERO;
                    zero = PackedFormat.Q4_SYMMETRIC_ZERO;
                } else {
                    scale = (mx - mn) / PackedFormat.Q4_MAX_CODE;
                    zero = scale == 0 ? 0 : Math.max(0, Math.min(PackedFormat.Q4_MAX_CODE, Math.round(-mn / scale)));
                    zeros[g] = (byte) zero;
                }
                scales[g] = scale;
            }
            float inv = scale == 0 ? 0 : 1 / scale;
            int q = Math.max(0, Math.min(PackedFormat.Q4_MAX_CODE, RowKernels.roundToInt(work[i] * inv) + zero));
            if ((i & 1) == 0) packed[i / 2] = (byte) q;
            else packed[i / 2] |= (byte) (q << 4);
            float d = (q - zero) * scale;
            work[cols + i] = d;
            float err = (work[i] - d) / u[i * cols + i];
            int base = i * cols;
            for (int j = i + 1; j < cols; j++) work[j] -= err * u[base + j];
        }
        double sig = 0, e2 = 0;
        for (int c = 0; c < cols; c++) {
            float es = errScale == null ? 1f : errScale[c];
            double a = w[off + c] * es, e = (w[off + c] - work[cols + c]) * es;
            sig += a * a;
            e2 += e * e;
        }
        acc[0] += sig;
        acc[1] += e2;
    }
}
