package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.PackedFormat;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tensor in its package byte layout (see {@link PackedFormat}), ready to be placed and written.
 *
 * @param data    the "data" part, [rows][cols] in the format's element encoding
 * @param scales  the "scales" part, or null (F32/F16)
 * @param zeros   the "zeros" part, or null (symmetric or not Q4_GROUP)
 */
public record PackedTensor(String name, PackedFormat format, int rows, int cols, int groupSize,
                           MemorySegment data, MemorySegment scales, MemorySegment zeros) {

    public PackedTensor {
        format.checkGeometry(name, rows, cols, groupSize);
        check(name, PackedFormat.DATA, data, format.dataBytes(rows, cols));
        if (format == PackedFormat.Q8_CHANNEL || format == PackedFormat.Q4_GROUP) {
            check(name, PackedFormat.SCALES, scales, format.scalesBytes(rows, cols, groupSize));
        }
        if (zeros != null) check(name, PackedFormat.ZEROS, zeros, format.zerosBytes(rows, cols, groupSize));
    }

    private static void check(String name, String part, MemorySegment s, long expected) {
        if (s == null || s.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": part " + part + " has "
                    + (s == null ? "no data" : s.byteSize() + " bytes") + ", expected " + expected);
        }
    }

    public boolean zeroPoints() { return zeros != null; }

    /** Parts by name in write order. */
    public Map<String, MemorySegment> parts() {
        Map<String, MemorySegment> m = new LinkedHashMap<>();
        m.put(PackedFormat.DATA, data);
        if (scales != null) m.put(PackedFormat.SCALES, scales);
        if (zeros != null) m.put(PackedFormat.ZEROS, zeros);
        return m;
    }

    public long sizeBytes() {
        return data.byteSize() + (scales == null ? 0 : scales.byteSize()) + (zeros == null ? 0 : zeros.byteSize());
    }

    /** Scalar reference dequantization of one row. */
    public float[] dequantizeRow(int row) {
        float[] out = new float[cols];
        format.dequantizeRow(data, scales, zeros, rows, cols, groupSize, row, out);
        return out;
    }
}
