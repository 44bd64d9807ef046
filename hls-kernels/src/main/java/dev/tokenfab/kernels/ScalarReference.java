package dev.tokenfab.kernels;

/**
 * Plain-Java scalar reference of every kernel in {@link Kernel}, on Java arrays, written straight
 * from the math (double accumulation, no tiling) so that it can serve as the truth the C++ kernels
 * are tested against and as the building block of a reference decoder. Shapes follow
 * {@code tokenfab_kernels.h}: matrices [rows][cols] row-major, batches [batch][n], paged KV pools
 * [pages][pageTokens][numKvHeads][headDim].
 *
 * <p>Inputs are validated: a wrong length or shape throws {@link IllegalArgumentException} naming
 * the argument and the expected size.
 */
public final class ScalarReference {

    /** {@code kvDtype} of an fp16 KV pool (TF_KV_FP16). */
    public static final int KV_FP16 = 0;
    /** {@code kvDtype} of an int8 KV pool with per-(token, head) scales (TF_KV_INT8). */
    public static final int KV_INT8 = 1;
    /** Symmetric int8 KV quantization maps the largest magnitude to +-127. */
    public static final float KV_INT8_MAX = 127f;
    /** Zero point of Q4_GROUP weights when the zeros part is absent (PackedFormat). */
    public static final int Q4_DEFAULT_ZERO = 8;
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    /** Cubic coefficient of the tanh GELU approximation (Hendrycks and Gimpel 2016). */
    private static final double GELU_CUBIC = 0.044715;

    private ScalarReference() {}

    // ---- GEMV ------------------------------------------------------------------------------------

    /** y[b][r] = scales[r] * sum_c w[r][c] x[b][c] + bias[r]; bias may be null. */
    public static float[] gemvQ8(byte[] w, float[] scales, float[] bias, float[] x, int rows, int cols, int batch) {
        checkLen("w", w.length, (long) rows * cols);
        checkLen("scales", scales.length, rows);
        checkGemv(bias, x, rows, cols, batch);
        return gemv(rows, cols, batch, bias, x, (r, c) -> w[r * cols + c] * (double) scales[r]);
    }

    /**
     * Q4_GROUP GEMV: element c of row r is nibble c%2 (low first) of byte r*ceil(cols/2) + c/2,
     * dequantized as (q - zero) * scale of group c / groupSize; zeros null means zero 8.
     */
    public static float[] gemvQ4(byte[] w, float[] scales, byte[] zeros, float[] bias, float[] x, int rows, int cols,
                                 int groupSize, int batch) {
        checkQ4(w, scales, zeros, rows, cols, groupSize);
        checkGemv(bias, x, rows, cols, batch);
        return gemv(rows, cols, batch, bias, x, (r, c) -> dequantQ4(w, scales, zeros, r, c, cols, groupSize));
    }

    /** y[b][r] = sum_c half(w[r][c]) x[b][c] + bias[r]; bias may be null. */
    public static float[] gemvF16(short[] w, float[] bias, float[] x, int rows, int cols, int batch) {
        checkLen("w", w.length, (long) rows * cols);
        checkGemv(bias, x, rows, cols, batch);
        return gemv(rows, cols, batch, bias, x, (r, c) -> Float.float16ToFloat(w[r * cols + c]));
    }

    @FunctionalInterface
    private interface WeightAt {
        double at(int row, int col);
    }

    private static float[] gemv(int rows, int cols, int batch, float[] bias, float[] x, WeightAt w) {
        float[] y = new float[batch * rows];
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                double acc = bias == null ? 0 : bias[r];
                for (int c = 0; c < cols; c++) {
                    acc += w.at(r, c) * x[b * cols + c];
                }
                y[b * rows + r] = (float) acc;
            }
        }
        return y;
    }

    private static double dequantQ4(byte[] w, float[] scales, byte[] zeros, int r, int c, int cols, int groupSize) {
        int rowBytes = (cols + 1) / 2;
        int groups = cols / groupSize;
        int b = w[r * rowBytes + c / 2] & 0xff;
        int q = (c & 1) == 0 ? b & 0x0f : b >>> 4;
        int g = c / groupSize;
        int zero = zeros == null ? Q4_DEFAULT_ZERO : zeros[r * groups + g] & 0xff;
        return (q - zero) * (double) scales[r * groups + g];
    }

    // ---- Embedding -------------------------------------------------------------------------------

    public static float[] embedQ8(byte[] w, float[] scales, int row, int cols) {
        checkRow(row, scales.length);
        checkLen("w", w.length, (long) scales.length * cols);
        float[] out = new float[cols];
        for (int c = 0; c < cols; c++) {
            out[c] = w[row * cols + c] * scales[row];
        }
        return out;
    }

    public static float[] embedQ4(byte[] w, float[] scales, byte[] zeros, int row, int cols, int groupSize) {
        if (groupSize <= 0 || cols % groupSize != 0) {
            throw new IllegalArgumentException("groupSize " + groupSize + " must divide cols " + cols);
        }
        int rows = scales.length / (cols / groupSize);
        checkRow(row, rows);
        checkQ4(w, scales, zeros, rows, cols, groupSize);
        float[] out = new float[cols];
        for (int c = 0; c < cols; c++) {
            out[c] = (float) dequantQ4(w, scales, zeros, row, c, cols, groupSize);
        }
        return out;
    }

    public static float[] embedF16(short[] w, int row, int cols) {
        checkRow(row, w.length / Math.max(cols, 1));
        float[] out = new float[cols];
        for (int c = 0; c < cols; c++) {
            out[c] = Float.float16ToFloat(w[row * cols + c]);
        }
        return out;
    }

    // ---- Normalization ---------------------------------------------------------------------------

    /** y = x / sqrt(mean(x^2) + eps) * weight, per row of n. */
    public static float[] rmsNorm(float[] x, float[] weight, int n, float eps, int batch) {
        checkLen("x", x.length, (long) n * batch);
        checkLen("weight", weight.length, n);
        float[] y = new float[x.length];
        for (int b = 0; b < batch; b++) {
            double ss = 0;
            for (int i = 0; i < n; i++) {
                ss += (double) x[b * n + i] * x[b * n + i];
            }
            double inv = 1.0 / Math.sqrt(ss / n + eps);
            for (int i = 0; i < n; i++) {
                y[b * n + i] = (float) (x[b * n + i] * inv * weight[i]);
            }
        }
        return y;
    }

    /** y = (x - mean) / sqrt(var + eps) * weight + bias (biased variance), per row; bias may be null. */
    public static float[] layerNorm(float[] x, float[] weight, float[] bias, int n, float eps, int batch) {
        checkLen("x", x.length, (long) n * batch);
        checkLen("weight", weight.length, n);
        if (bias != null) {
            checkLen("bias", bias.length, n);
        }
        float[] y = new float[x.length];
        for (int b = 0; b < batch; b++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += x[b * n + i];
            }
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) {
                double d = x[b * n + i] - mean;
                var += d * d;
            }
            var /= n;
            double inv = 1.0 / Math.sqrt(var + eps);
            for (int i = 0; i < n; i++) {
                y[b * n + i] = (float) ((x[b * n + i] - mean) * inv * weight[i] + (bias == null ? 0 : bias[i]));
            }
        }
        return y;
    }

    // ---- RoPE ------------------------------------------------------------------------------------

    /**
     * Rotates the first rotaryDim elements of each head of x[numHeads][headDim] (returns a new
     * array). inv_freq_i and the angle are fp32 as in HF transformers; cos/sin in double.
     */
    public static float[] rope(float[] x, int numHeads, int headDim, int rotaryDim, int position, float theta,
                               boolean interleaved) {
        checkLen("x", x.length, (long) numHeads * headDim);
        if (rotaryDim < 2 || rotaryDim % 2 != 0 || rotaryDim > headDim) {
            throw new IllegalArgumentException("rotaryDim " + rotaryDim + " must be even and in [2, headDim "
                    + headDim + "]");
        }
        float[] y = x.clone();
        int half = rotaryDim / 2;
        for (int h = 0; h < numHeads; h++) {
            for (int i = 0; i < half; i++) {
                float invFreq = 1f / (float) Math.pow(theta, (float) (2 * i) / (float) rotaryDim);
                double angle = (float) position * invFreq;
                int i0 = h * headDim + (interleaved ? 2 * i : i);
                int i1 = h * headDim + (interleaved ? 2 * i + 1 : i + half);
                double a = x[i0];
                double b = x[i1];
                y[i0] = (float) (a * Math.cos(angle) - b * Math.sin(angle));
                y[i1] = (float) (b * Math.cos(angle) + a * Math.sin(angle));
            }
        }
        return y;
    }

    // ---- Paged KV cache --------------------------------------------------------------------------

    /** Index of the (token, kv head) slot of `position` in a pool (element offset = slot * headDim). */
    public static int kvSlot(int[] pageTable, int position, int kvHead, int numKvHeads, int pageTokens) {
        int logicalPage = position / pageTokens;
        if (logicalPage >= pageTable.length) {
            throw new IllegalArgumentException("position " + position + " is past the page table ("
                    + pageTable.length + " pages of " + pageTokens + " tokens)");
        }
        return (pageTable[logicalPage] * pageTokens + position % pageTokens) * numKvHeads + kvHead;
    }

    /** Writes one token's k and v ([numKvHeads][headDim]) into fp16 pools (round to nearest even). */
    public static void kvWriteF16(short[] kPool, short[] vPool, int[] pageTable, int position, float[] k, float[] v,
                                  int numKvHeads, int headDim, int pageTokens) {
        checkLen("k", k.length, (long) numKvHeads * headDim);
        checkLen("v", v.length, (long) numKvHeads * headDim);
        for (int h = 0; h < numKvHeads; h++) {
            int base = kvSlot(pageTable, position, h, numKvHeads, pageTokens) * headDim;
            for (int d = 0; d < headDim; d++) {
                kPool[base + d] = Float.floatToFloat16(k[h * headDim + d]);
                vPool[base + d] = Float.floatToFloat16(v[h * headDim + d]);
            }
        }
    }

    /**
     * Writes one token into int8 pools: per kv head scale = maxabs / 127, q = rint(x / scale)
     * clamped to +-127 (scale 0, q 0 for an all-zero head).
     */
    public static void kvWriteInt8(byte[] kPool, float[] kScales, byte[] vPool, float[] vScales, int[] pageTable,
                                   int position, float[] k, float[] v, int numKvHeads, int headDim, int pageTokens) {
        checkLen("k", k.length, (long) numKvHeads * headDim);
        checkLen("v", v.length, (long) numKvHeads * headDim);
        for (int h = 0; h < numKvHeads; h++) {
            int slot = kvSlot(pageTable, position, h, numKvHeads, pageTokens);
            kScales[slot] = quantizeHead(k, h * headDim, headDim, kPool, slot * headDim);
            vScales[slot] = quantizeHead(v, h * headDim, headDim, vPool, slot * headDim);
        }
    }

    private static float quantizeHead(float[] src, int from, int headDim, byte[] dst, int to) {
        float maxAbs = 0f;
        for (int d = 0; d < headDim; d++) {
            maxAbs = Math.max(maxAbs, Math.abs(src[from + d]));
        }
        float scale = maxAbs / KV_INT8_MAX;
        for (int d = 0; d < headDim; d++) {
            float q = scale > 0f ? (float) Math.rint(src[from + d] / scale) : 0f;
            dst[to + d] = (byte) Math.max(-KV_INT8_MAX, Math.min(KV_INT8_MAX, q));
        }
        return scale;
    }

    /** Attention over fp16 pools; see {@link #attention}. */
    public static float[] attentionF16(float[] q, short[] kPool, short[] vPool, int[] pageTable, int numHeads,
                                       int numKvHeads, int headDim, int seqLen, int pageTokens, float scale) {
        return attention(q, numHeads, numKvHeads, headDim, seqLen, scale,
                (t, kvh, d) -> Float.float16ToFloat(kPool[kvSlot(pageTable, t, kvh, numKvHeads, pageTokens) * headDim + d]),
                (t, kvh, d) -> Float.float16ToFloat(vPool[kvSlot(pageTable, t, kvh, numKvHeads, pageTokens) * headDim + d]));
    }

    /** Attention over int8 pools with per-(token, head) scales; see {@link #attention}. */
    public static float[] attentionInt8(float[] q, byte[] kPool, float[] kScales, byte[] vPool, float[] vScales,
                                        int[] pageTable, int numHeads, int numKvHeads, int headDim, int seqLen,
                                        int pageTokens, float scale) {
        return attention(q, numHeads, numKvHeads, headDim, seqLen, scale, (t, kvh, d) -> {
            int slot = kvSlot(pageTable, t, kvh, numKvHeads, pageTokens);
            return kPool[slot * headDim + d] * (double) kScales[slot];
        }, (t, kvh, d) -> {
            int slot = kvSlot(pageTable, t, kvh, numKvHeads, pageTokens);
            return vPool[slot * headDim + d] * (double) vScales[slot];
        });
    }

    @FunctionalInterface
    private interface KvAt {
        double at(int token, int kvHead, int d);
    }

    /**
     * out[h] = softmax_t(scale * q[h] . K[t]) V for t in [0, seqLen), query head h reading kv head
     * h / (numHeads / numKvHeads); a two-pass softmax in double.
     */
    private static float[] attention(float[] q, int numHeads, int numKvHeads, int headDim, int seqLen, float scale,
                                     KvAt k, KvAt v) {
        if (numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numHeads " + numHeads + " must be a multiple of numKvHeads "
                    + numKvHeads);
        }
        checkLen("q", q.length, (long) numHeads * headDim);
        int group = numHeads / numKvHeads;
        float[] out = new float[numHeads * headDim];
        double[] s = new double[seqLen];
        for (int h = 0; h < numHeads; h++) {
            int kvh = h / group;
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < seqLen; t++) {
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += q[h * headDim + d] * k.at(t, kvh, d);
                }
                s[t] = dot * scale;
                max = Math.max(max, s[t]);
            }
            double sum = 0;
            for (int t = 0; t < seqLen; t++) {
                s[t] = Math.exp(s[t] - max);
                sum += s[t];
            }
            for (int d = 0; d < headDim; d++) {
                double acc = 0;
                for (int t = 0; t < seqLen; t++) {
                    acc += s[t] * v.at(t, kvh, d);
                }
                out[h * headDim + d] = seqLen == 0 ? 0f : (float) (acc / sum);
            }
        }
        return out;
    }

    // ---- Element-wise and sampling ---------------------------------------------------------------

    public static float[] swiglu(float[] gate, float[] up) {
        checkLen("up", up.length, gate.length);
        float[] out = new float[gate.length];
        for (int i = 0; i < out.length; i++) {
            double g = gate[i];
            out[i] = (float) (g / (1 + Math.exp(-g)) * up[i]);
        }
        return out;
    }

    public static float[] geluTanh(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            double v = x[i];
            out[i] = (float) (0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v))));
        }
        return out;
    }

    public static float[] geluErf(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            double v = x[i];
            out[i] = (float) (0.5 * v * (1 + erf(v / Math.sqrt(2))));
        }
        return out;
    }

    public static float[] add(float[] a, float[] b) {
        checkLen("b", b.length, a.length);
        float[] out = new float[a.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    /** First index of the maximum; NaN never compares greater; 0 for an empty array. */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * erf(x) to about 1e-15 absolute: Maclaurin series for |x| &lt; 2.5, else the continued
     * fraction of erfc (Abramowitz and Stegun 7.1.5 / 7.1.14). The JDK has no erf.
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            double term = a;
            double sum = a;
            double a2 = a * a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a2 / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
            double f = a;
            for (int n = 60; n >= 1; n--) {
                f = a + (n / 2.0) / f;
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    // ---- Checks ----------------------------------------------------------------------------------

    private static void checkGemv(float[] bias, float[] x, int rows, int cols, int batch) {
        if (rows <= 0 || cols <= 0 || batch <= 0) {
            throw new IllegalArgumentException("rows " + rows + ", cols " + cols + ", batch " + batch
                    + " must be positive");
        }
        checkLen("x", x.length, (long) batch * cols);
        if (bias != null) {
            checkLen("bias", bias.length, rows);
        }
    }

    private static void checkQ4(byte[] w, float[] scales, byte[] zeros, int rows, int cols, int groupSize) {
        if (groupSize <= 0 || cols % groupSize != 0) {
            throw new IllegalArgumentException("groupSize " + groupSize + " must divide cols " + cols);
        }
        checkLen("w", w.length, (long) rows * ((cols + 1) / 2));
        checkLen("scales", scales.length, (long) rows * (cols / groupSize));
        if (zeros != null) {
            checkLen("zeros", zeros.length, (long) rows * (cols / groupSize));
        }
    }

    private static void checkRow(int row, int rows) {
        if (row < 0 || row >= rows) {
            throw new IllegalArgumentException("row " + row + " outside [0, " + rows + ")");
        }
    }

    private static void checkLen(String name, int actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(name + " has " + actual + " elements, expected " + expected);
        }
    }
}
