package dev.tokenfab.compiler.pkg;

/**
 * Byte layouts of tensors in a model package: exactly what the HLS kernels read. All little-endian;
 * matrices are [rows = output features][cols = input features], row-major. This enum is the one
 * owner of each format's geometry (as GGMLType is in llama3.java).
 *
 * <ul>
 *   <li>{@code F32}: float32 [rows][cols] (norm weights, biases).</li>
 *   <li>{@code F16}: IEEE half [rows][cols] as uint16.</li>
 *   <li>{@code Q8_CHANNEL}: part "data" int8 [rows][cols]; part "scales" float32 [rows];
 *       w = q * scale[row] (symmetric, per output channel).</li>
 *   <li>{@code Q4_GROUP}: part "data" uint8 [rows][cols/2], element c in byte c/2, low nibble for even c;
 *       part "scales" float32 [rows][cols/groupSize]; optional part "zeros" uint8 [rows][cols/groupSize]
 *       (one zero point per byte, 0..15); w = (q - zero) * scale, zero = 8 when the part is absent.</li>
 * </ul>
 */
public enum PackedFormat {
    F32, F16, Q8_CHANNEL, Q4_GROUP;

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
}
