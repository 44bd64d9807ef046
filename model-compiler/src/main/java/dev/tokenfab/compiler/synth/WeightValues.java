package dev.tokenfab.compiler.synth;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Values of one synthetic tensor, computable for any element in any order: a counter-based
 * generator (value = f(seed, tensor key, element index)), so tensors are streamed in chunks, in
 * any storage order, and every form of a spec sees the same numbers without holding a tensor in heap.
 */
sealed interface WeightValues permits WeightValues.Matrix, WeightValues.Explicit, WeightValues.Packed, WeightValues.ColumnConcat,
        WeightValues.Deferred {

    /** A value addressable by its generation [row][col] (row = input channel of a MatMul weight). */
    sealed interface Matrix extends WeightValues permits Gaussian, Int4Blocks.FakeQuantized {
        long genRows();
        long genCols();
        float at(long row, long col);
    }


    /** Writes elements [start, start + dst.length) in storage order into dst. */
    void fill(float[] dst, long start);

    /** Elements in the tensor. */
    long count();

    /**
     * mean + std * N(0,1) per element, with N drawn from the stream of {@code key}. The logical
     * ("generation") order is row-major [genRows][genCols] with genRows = input channels of a MatMul
     * weight; {@code transposed} storage is [genCols][genRows] (Gemm transB=1, MatMulNBits).
     * Elements in the generation rows listed in {@code outlierRows} are multiplied by {@code outlierGain}.
     */
    record Gaussian(long key, double mean, double std, long genRows, long genCols, boolean transposed,
                    int[] outlierRows, double outlierGain) implements Matrix {
        public Gaussian {
            outlierRows = outlierRows.clone();
            Arrays.sort(outlierRows);
        }

        @Override public long count() { return genRows * genCols; }

        @Override public void fill(float[] dst, long start) {
            for (int i = 0; i < dst.length; i++) {
                long s = start + i;
                long genIndex = transposed ? (s % genRows) * genCols + (s / genRows) : s;
                double v = mean + std * standardNormal(key, genIndex);
                if (outlierRows.length > 0 && Arrays.binarySearch(outlierRows, (int) (genIndex / genCols)) >= 0) {
                    v *= outlierGain;
                }
                dst[i] = (float) v;
            }
        }

        /** Value of generation element [row][col] (the same number whatever the storage order). */
        @Override public float at(long row, long col) {
            long genIndex = row * genCols + col;
            double v = mean + std * standardNormal(key, genIndex);
            if (outlierRows.length > 0 && Arrays.binarySearch(outlierRows, (int) row) >= 0) v *= outlierGain;
            return (float) v;
        }
    }

    /** Values computed up front (RoPE caches, tiny tables). */
    record Explicit(float[] values) implements WeightValues {
        @Override public long count() { return values.length; }

        @Override public void fill(float[] dst, long start) {
            System.arraycopy(values, Math.toIntExact(start), dst, 0, dst.length);
        }
    }

    /** The stream key of tensor {@code name} under {@code seed}: independent streams per name. */
    static long key(long seed, String name) {
        long h = 0xcbf29ce484222325L; // FNV-1a 64 offset basis
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L; // FNV-1a 64 prime
        }
        return mix64(seed * 0x9E3779B97F4A7C15L ^ mix64(h));
    }

    /** Box-Muller on two uniforms derived from (key, index) by SplitMix64's finalizer. */
    static double standardNormal(long key, long index) {
        long h1 = mix64(key + (index + 1) * 0x9E3779B97F4A7C15L);
        long h2 = mix64(h1 ^ 0xD1B54A32D192ED03L);
        double u1 = ((h1 >>> 11) + 1) * 0x1.0p-53; // (0, 1]: log is finite
        double u2 = (h2 >>> 11) * 0x1.0p-53;
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** SplitMix64 finalizer (Steele, Lea, Flood 2014). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Bytes computed when the writer reaches the tensor (packed 4-bit weights, zero points); {@link StoredType#UINT8} only. */
    record Packed(long count, java.util.function.Supplier<byte[]> bytes) implements WeightValues {

        @Override public void fill(float[] dst, long start) {
            throw new UnsupportedOperationException("packed bytes are not float values");
        }
    }

    /**
     * Column-wise concatenation of Gaussian parts with equal genRows (GPT-2's fused c_attn [in, 3*hidden]
     * from the canonical wq, wk, wv; or its bias [3*hidden] from bq, bk, bv). Stored row-major [genRows][sum cols].
     */
    record ColumnConcat(java.util.List<Matrix> parts) implements WeightValues {
        public ColumnConcat {
            parts = java.util.List.copyOf(parts);
            for (Matrix p : parts) {
                if (p.genRows() != parts.getFirst().genRows() || (p instanceof Gaussian gp && gp.transposed())) {
                    throw new IllegalArgumentException("concatenated parts need equal rows and generation order");
                }
            }
        }

        long cols() {
            long c = 0;
            for (Matrix p : parts) c += p.genCols();
            return c;
        }

        @Override public long count() { return parts.getFirst().genRows() * cols(); }

        @Override public void fill(float[] dst, long start) {
            long cols = cols();
            for (int i = 0; i < dst.length; i++) {
                long s = start + i, row = s / cols, col = s % cols;
                for (Matrix p : parts) {
                    if (col < p.genCols()) {
                        dst[i] = p.at(row, col);
                        break;
                    }
                    col -= p.genCols();
                }
            }
        }
    }

    /** Float values computed when the writer reaches the tensor (MatMulNBits scales). */
    record Deferred(long count, java.util.function.Supplier<float[]> values) implements WeightValues {
        @Override public void fill(float[] dst, long start) {
            System.arraycopy(values.get(), Math.toIntExact(start), dst, 0, dst.length);
        }
    }
}
