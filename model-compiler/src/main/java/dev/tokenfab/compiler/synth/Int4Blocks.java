package dev.tokenfab.compiler.synth;

/**
 * 4-bit block quantization along the input dimension K, in the layout of com.microsoft MatMulNBits
 * (bits=4): for output column n and block b of {@code blockSize} inputs, q = round(x/scale) (+ zero
 * point), dequantized as (q - zp) * scale with zp = 8 when symmetric. B is uint8 [N, kBlocks,
 * blockSize/2] with element 2j in the low nibble of byte j; scales float32 [N, kBlocks]; zero points
 * uint8 [N, ceil(kBlocks/2)], block 2i in the low nibble of byte i. A K that is not a multiple of the
 * block size is padded with zeros (which dequantize to exactly 0).
 */
final class Int4Blocks {
    /** 4-bit codes run 0..15. */
    static final int LEVELS_MAX = 15;
    /** MatMulNBits' implicit zero point for bits=4: 2^(bits-1). */
    static final int SYMMETRIC_ZERO_POINT = 8;
    /** Symmetric blocks map +-absmax to +-7 so 0 stays exact and no code saturates. */
    static final int SYMMETRIC_MAX_CODE = 7;

    private Int4Blocks() {}

    /** Quantization of one block. */
    record Block(byte[] codes, float scale, int zeroPoint) {
        float dequantize(int i) { return (codes[i] - zeroPoint) * scale; }
    }

    static Block quantize(float[] x, boolean withZeroPoint) {
        byte[] q = new byte[x.length];
        if (withZeroPoint) {
            float lo = 0f, hi = 0f;
            for (float v : x) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
            float scale = (hi - lo) / LEVELS_MAX;
            if (scale == 0f) return new Block(q, 1f, 0);
            int zp = Math.clamp(Math.round(-lo / scale), 0, LEVELS_MAX);
            for (int i = 0; i < x.length; i++) q[i] = (byte) Math.clamp(Math.round(x[i] / scale) + zp, 0, LEVELS_MAX);
            return new Block(q, scale, zp);
        }
        float absMax = 0f;
        for (float v : x) absMax = Math.max(absMax, Math.abs(v));
        float scale = absMax / SYMMETRIC_MAX_CODE;
        if (scale == 0f) {
            java.util.Arrays.fill(q, (byte) SYMMETRIC_ZERO_POINT);
            return new Block(q, 1f, SYMMETRIC_ZERO_POINT);
        }
        for (int i = 0; i < x.length; i++) {
            q[i] = (byte) (Math.clamp(Math.round(x[i] / scale), -SYMMETRIC_ZERO_POINT, SYMMETRIC_MAX_CODE) + SYMMETRIC_ZERO_POINT);
        }
        return new Block(q, scale, SYMMETRIC_ZERO_POINT);
    }

    static int kBlocks(long k, int blockSize) { return Math.toIntExact((k + blockSize - 1) / blockSize); }

    /** Block b of column n of src (K = genRows), zero-padded. */
    static Block block(WeightValues.Matrix src, long n, int b, int blockSize, boolean zp) {
        float[] x = new float[blockSize];
        long k0 = (long) b * blockSize;
        for (int i = 0; i < blockSize && k0 + i < src.genRows(); i++) x[i] = src.at(k0 + i, n);
        return quantize(x, zp);
    }

    /** MatMulNBits B: uint8 [N, kBlocks, blockSize/2]. */
    static byte[] packedWeights(WeightValues.Matrix src, int blockSize, boolean zp) {
        int kb = kBlocks(src.genRows(), blockSize), blob = blockSize / 2;
        byte[] out = new byte[Math.toIntExact(src.genCols() * kb * blob)];
        for (long n = 0; n < src.genCols(); n++) {
            for (int b = 0; b < kb; b++) {
                byte[] q = block(src, n, b, blockSize, zp).codes();
                int base = Math.toIntExact((n * kb + b) * blob);
                for (int j = 0; j < blob; j++) out[base + j] = (byte) ((q[2 * j] & 0xF) | ((q[2 * j + 1] & 0xF) << 4));
            }
        }
        return out;
    }

    /** MatMulNBits scales: float32 [N, kBlocks]. */
    static float[] scales(WeightValues.Matrix src, int blockSize, boolean zp) {
        int kb = kBlocks(src.genRows(), blockSize);
        float[] out = new float[Math.toIntExact(src.genCols() * kb)];
        for (long n = 0; n < src.genCols(); n++) {
            for (int b = 0; b < kb; b++) out[Math.toIntExact(n * kb + b)] = block(src, n, b, blockSize, zp).scale();
        }
        return out;
    }

    /** MatMulNBits zero points: uint8 [N, ceil(kBlocks/2)]. */
    static byte[] zeroPoints(WeightValues.Matrix src, int blockSize) {
        int kb = kBlocks(src.genRows(), blockSize), perRow = (kb + 1) / 2;
        byte[] out = new byte[Math.toIntExact(src.genCols() * perRow)];
        for (long n = 0; n < src.genCols(); n++) {
            for (int b = 0; b < kb; b++) {
                int zp = block(src, n, b, blockSize, true).zeroPoint();
                int idx = Math.toIntExact(n * perRow + b / 2);
                out[idx] |= (byte) (b % 2 == 0 ? zp : zp << 4);
            }
        }
        return out;
    }

    /**
     * The dequantized values of a 4-bit quantized matrix, stored like the source (MatMul order
     * [K][N]): the RAW and OPSET24 forms carry these, so they compute what MatMulNBits computes.
     * Keeps one band of blockSize rows dequantized (the writer walks rows in order); not thread-safe.
     */
    static final class FakeQuantized implements WeightValues.Matrix {
        private final WeightValues.Gaussian src;
        private final int blockSize;
        private final boolean zeroPoints;
        private int band = -1;
        private float[] bandValues;

        FakeQuantized(WeightValues.Gaussian src, int blockSize, boolean zeroPoints) {
            if (src.transposed()) throw new IllegalArgumentException("fake quantization needs MatMul order");
            this.src = src;
            this.blockSize = blockSize;
            this.zeroPoints = zeroPoints;
        }

        WeightValues.Gaussian source() { return src; }
        int blockSize() { return blockSize; }
        boolean zeroPoints() { return zeroPoints; }

        @Override public long genRows() { return src.genRows(); }
        @Override public long genCols() { return src.genCols(); }
        @Override public long count() { return src.count(); }

        @Override public float at(long row, long col) {
            int b = Math.toIntExact(row / blockSize);
            if (b != band) {
                int cols = Math.toIntExact(src.genCols());
                bandValues = new float[blockSize * cols];
                for (int n = 0; n < cols; n++) {
                    Block q = block(src, n, b, blockSize, zeroPoints);
                    for (int i = 0; i < blockSize; i++) bandValues[i * cols + n] = q.dequantize(i);
                }
                band = b;
            }
            return bandValues[Math.toIntExact((row - (long) b * blockSize) * src.genCols() + col)];
        }

        @Override public void fill(float[] dst, long start) {
            for (int i = 0; i < dst.length; i++) {
                long s = start + i;
                dst[i] = at(s / src.genCols(), s % src.genCols());
            }
        }
    }
}
