package dev.tokenfab.format.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Byte layouts of tensors in a model package: exactly what the HLS kernels read. All little-endian;
 * matrices are [rows = output features][cols = input features], row-major. This enum is the one
 * owner of each format's geometry (as GGMLType is in llama3.java), and its {@link #dequantizeRow}
 * is the scalar reference every fast path (quantizer, runtime, kernels) is tested against.
 *
 * <ul>
 *   <li>{@code F32}: float32 [rows][cols] (norm weights, biases).</li>
 *   <li>{@code F16}: IEEE half [rows][cols] as uint16.</li>
 *   <li>{@code Q8_CHANNEL}: part "data" int8 [rows][cols]; part "scales" float32 [rows];
 *       w = q * scale[row] (symmetric, per output channel).</li>
 *   <li>{@code Q4_GROUP}: part "data" uint8 [rows][cols/2], element c in byte c/2, low nibble for even c;
 *       part "scales" float32 [rows][cols/groupSize]; optional part "zeros" uint8 [rows][cols/groupSize]
 *       (one zero point per byte, 0..15); w = (q - zero) * scale, zero = 8 when the part is absent.
 *       groupSize must divide cols.</li>
 * </ul>
 *
 * A contiguous range of rows of any format is itself a valid tensor of that format (all parts are
 * row-major), which is how the planner shards a matrix across memory banks.
 */
public enum PackedFormat {
    F32, F16, Q8_CHANNEL, Q4_GROUP;

    /** Part names as they appear in {@link dev.tokenfab.format.pkg.Manifest.Tensor#parts()}. */
    public static final String DATA = "data";
    public static final String SCALES = "scales";
    public static final String ZEROS = "zeros";

    /** Implied zero point of symmetric Q4_GROUP (the "zeros" part is absent). */
    public static final int Q4_SYMMETRIC_ZERO = 8;
    /** Largest int4 code. */
    public static final int Q4_MAX_CODE = 15;
    /** Largest int8 magnitude used by Q8_CHANNEL (symmetric, -127..127; -128 unused). */
    public static final int Q8_MAX_MAGNITUDE = 127;

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** Bytes of the "data" part for a [rows][cols] tensor. */
    public long dataBytes(long rows, long cols) {
        return switch (this) {
            case F32 -> rows * cols * 4;
            case F16 -> rows * cols * 2;
            case Q8_CHANNEL -> rows * cols;
            case Q4_GROUP -> rows * ((cols + 1) / 2);
        };
    }

    /** Bytes of the "scales" part (0 when the format has none). */
    public long scalesBytes(long rows, long cols, int groupSize) {
        return switch (this) {
            case F32, F16 -> 0;
            case Q8_CHANNEL -> rows * 4;
            case Q4_GROUP -> rows * (cols / groupSize) * 4;
        };
    }

    /** Bytes of the optional "zeros" part. */
    public long zerosBytes(long rows, long cols, int groupSize) {
        return this == Q4_GROUP ? rows * (cols / groupSize) : 0;
    }

    /** Bits per weight of the data part (scales and zeros excluded). */
    public int dataBits() {
        return switch (this) {
            case F32 -> 32;
            case F16 -> 16;
            case Q8_CHANNEL -> 8;
            case Q4_GROUP -> 4;
        };
    }

    /** The parts this format stores, in the order the packer writes them. */
    public List<String> partNames(boolean hasZeros) {
        return switch (this) {
            case F32, F16 -> List.of(DATA);
            case Q8_CHANNEL -> List.of(DATA, SCALES);
            case Q4_GROUP -> hasZeros ? List.of(DATA, SCALES, ZEROS) : List.of(DATA, SCALES);
        };
    }

    /** Bytes of one named part. */
    public long partBytes(String part, long rows, long cols, int groupSize) {
        return switch (part) {
            case DATA -> dataBytes(rows, cols);
            case SCALES -> scalesBytes(rows, cols, groupSize);
            case ZEROS -> zerosBytes(rows, cols, groupSize);
            default -> throw new IllegalArgumentException("unknown part '" + part + "'; allowed: data, scales, zeros");
        };
    }

    /** Checks the geometry; the message names the tensor and the limit. */
    public void checkGeometry(String tensor, int rows, int cols, int groupSize) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("tensor " + tensor + ": bad shape [" + rows + "," + cols + "]");
        if (this == Q4_GROUP && (groupSize <= 0 || cols % groupSize != 0 || groupSize % 2 != 0)) {
            throw new IllegalArgumentException("tensor " + tensor + ": Q4_GROUP group size " + groupSize
                    + " must be even and divide cols " + cols);
        }
    }

    /**
     * Scalar reference dequantization of one row into {@code out[0..cols)}.
     *
     * @param data    the "data" part of the whole tensor
     * @param scales  the "scales" part (ignored for F32/F16)
     * @param zeros   the "zeros" part, or null (Q4_GROUP symmetric)
     */
    public void dequantizeRow(MemorySegment data, MemorySegment scales, MemorySegment zeros,
                              int rows, int cols, int groupSize, int row, float[] out) {
        if (row < 0 || row >= rows) throw new IndexOutOfBoundsException("row " + row + " outside [0," + rows + ")");
        switch (this) {
            case F32 -> {
                for (int c = 0; c < cols; c++) out[c] = data.getAtIndex(F32_LE, (long) row * cols + c);
            }
            case F16 -> {
                for (int c = 0; c < cols; c++) out[c] = Float.float16ToFloat(data.getAtIndex(U16_LE, (long) row * cols + c));
            }
            case Q8_CHANNEL -> {
                float scale = scales.getAtIndex(F32_LE, row);
                for (int c = 0; c < cols; c++) out[c] = data.get(ValueLayout.JAVA_BYTE, (long) row * cols + c) * scale;
            }
            case Q4_GROUP -> {
                int groups = cols / groupSize;
                long rowBytes = (cols + 1) / 2;
                for (int c = 0; c < cols; c++) {
                    int b = data.get(ValueLayout.JAVA_BYTE, row * rowBytes + c / 2) & 0xFF;
                    int q = (c & 1) == 0 ? b & 0x0F : b >>> 4;
                    int g = c / groupSize;
                    float scale = scales.getAtIndex(F32_LE, (long) row * groups + g);
                    int zero = zeros == null ? Q4_SYMMETRIC_ZERO : zeros.get(ValueLayout.JAVA_BYTE, (long) row * groups + g) & 0xFF;
                    out[c] = (q - zero) * scale;
                }
            }
        }
    }
}
