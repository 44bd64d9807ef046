package dev.tokenfab.compiler.quant;

import dev.tokenfab.compiler.ir.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reads a block of logical rows [r0, r0 + n) x all cols of a dense tensor into a float buffer laid
 * out [n][cols], whatever the stored element type and layout. IN_OUT tensors (ONNX MatMul [in][out])
 * are transposed through a small tile: each stored row contributes one contiguous run of n elements,
 * so the source is read in long sequential runs, never element by element across rows.
 * Not thread-safe: one reader per worker thread.
 */
public final class BlockReader {

    /** Stored rows per transpose tile: 64 x n floats stays in L2 for n up to a few thousand. */
    static final int TILE_COLS = 64;
    /** Pad of the tile's row stride (floats): with a power-of-two stride (n = 512 rows = 2 KiB) the 64
     *  tile rows alias onto 2 sets of a 32 KiB 8-way L1 and thrash; one extra cache line per row spreads
     *  them over all sets (measured: IN_OUT int8 7.8 → see BlockReaderTest/QuantizeBenchmark). */
    static final int TILE_PAD = 16;

    /** ONNX stores tensors little-endian, whatever the host. */
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private float[] tile = new float[0];
    private short[] halves = new short[0];

    /** The whole tensor as fp32 [rows * cols] row-major (the logical OUT_IN view). */
    public static float[] readAll(WeightTensor.Dense t) {
        float[] out = new float[Math.multiplyExact(t.rows(), t.cols())];
        new BlockReader().read(t, 0, t.rows(), out);
        return out;
    }

    /** Fills {@code out[(r - r0) * cols + c]} for r in [r0, r0 + n). */
    void read(WeightTensor.Dense t, int r0, int n, float[] out) {
        int cols = t.cols();
        if (t.layout() == WeightTensor.Layout.OUT_IN || t.rows() == 1) {
            load(t, (long) r0 * cols, out, 0, n * cols);
            return;
        }
        // IN_OUT: stored [cols][rows]; logical (r, c) at c * rows + r.
        int rows = t.rows();
        int stride = n + TILE_PAD;
        if (tile.length < TILE_COLS * stride) tile = new float[TILE_COLS * stride];
        for (int c0 = 0; c0 < cols; c0 += TILE_COLS) {
            int tc = Math.min(TILE_COLS, cols - c0);
            for (int i = 0; i < tc; i++) load(t, (long) (c0 + i) * rows + r0, tile, i * stride, n);
            for (int r = 0; r < n; r++) {
                int o = r * cols + c0;
                for (int i = 0; i < tc; i++) out[o + i] = tile[i * stride + r];
            }
        }
    }

    /** Converts {@code count} elements starting at element index {@code first} into floats. */
    private void load(WeightTensor.Dense t, long first, float[] dst, int dstIndex, int count) {
        MemorySegment src = t.data();
        switch (t.type()) {
            case F32 -> MemorySegment.copy(src, F32_LE, first * 4, dst, dstIndex, count);
            case F16, BF16 -> {
                if (halves.length < count) halves = new short[count];
                MemorySegment.copy(src, I16_LE, first * 2, halves, 0, count);
                if (t.type() == dev.tokenfab.compiler.ir.ElementType.F16) {
                    for (int i = 0; i < count; i++) dst[dstIndex + i] = Float.float16ToFloat(halves[i]);
                } else {
                    for (int i = 0; i < count; i++) dst[dstIndex + i] = Float.intBitsToFloat(halves[i] << 16);
                }
            }
        }
    }
}
