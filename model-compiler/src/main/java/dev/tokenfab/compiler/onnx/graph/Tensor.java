package dev.tokenfab.compiler.onnx.graph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A constant tensor: initializer, Constant value or folded result. {@code data} is little-endian and
 * is a slice of the memory-mapped model or external-data file wherever the bytes lived there, so
 * pages are read lazily, on first touch, and never copied into the Java heap. Only tensors the
 * importer computes itself (folded shapes, split packed weights) live in small native segments.
 *
 * @param dims ONNX dims, outermost first; empty for a scalar
 */
public record Tensor(String name, DataType dtype, List<Long> dims, MemorySegment data) {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        dims = List.copyOf(dims);
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    public int rank() { return dims.size(); }

    public long dim(int i) { return dims.get(i < 0 ? dims.size() + i : i); }

    /** Element {@code i} (flat, row-major) as a double, whatever the dtype. */
    public double getDouble(long i) {
        return switch (dtype) {
            case FLOAT -> data.get(F32, i * 4);
            case DOUBLE -> data.get(F64, i * 8);
            case FLOAT16 -> Float.float16ToFloat(data.get(I16, i * 2));
            case BFLOAT16 -> Float.intBitsToFloat((data.get(I16, i * 2) & 0xFFFF) << 16);
            default -> getLong(i);
        };
    }

    /** Element {@code i} as a long (floats truncate toward zero). */
    public long getLong(long i) {
        return switch (dtype) {
            case INT64, UINT64 -> data.get(I64, i * 8);
            case INT32 -> data.get(I32, i * 4);
            case UINT32 -> data.get(I32, i * 4) & 0xFFFF_FFFFL;
            case INT16 -> data.get(I16, i * 2);
            case UINT16 -> data.get(I16, i * 2) & 0xFFFF;
            case INT8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case UINT8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            case UINT4 -> (data.get(ValueLayout.JAVA_BYTE, i / 2) >> (4 * (i & 1))) & 0xF;
            case INT4 -> ((data.get(ValueLayout.JAVA_BYTE, i / 2) >> (4 * (i & 1))) << 28) >> 28;
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16 -> (long) getDouble(i);
        };
    }

    /** The single value of a scalar or one-element tensor. */
    public double scalar() {
        if (elementCount() != 1) throw new IllegalStateException("tensor " + name + " is not a scalar: dims " + dims);
        return getDouble(0);
    }

    public long[] toLongArray() {
        long[] out = new long[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) out[i] = getLong(i);
        return out;
    }

    public double[] toDoubleArray() {
        double[] out = new double[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) out[i] = getDouble(i);
        return out;
    }

    /** A small computed int64 tensor (folded shapes), in an auto-managed native segment. */
    public static Tensor ofLongs(String name, List<Long> dims, long[] values) {
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, values.length * 8L), 8).asSlice(0, values.length * 8L);
        for (int i = 0; i < values.length; i++) seg.set(I64, i * 8L, values[i]);
        return new Tensor(name, DataType.INT64, dims, seg);
    }

    /** A small computed tensor of a float type or bool/int type, values given as doubles. */
    public static Tensor ofDoubles(String name, DataType dtype, List<Long> dims, double[] values) {
        long bytes = dtype.sizeBytes(values.length);
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, bytes), 8).asSlice(0, bytes);
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            switch (dtype) {
                case FLOAT -> seg.set(F32, i * 4L, (float) v);
                case DOUBLE -> seg.set(F64, i * 8L, v);
                case FLOAT16 -> seg.set(I16, i * 2L, Float.floatToFloat16((float) v));
                case BFLOAT16 -> seg.set(I16, i * 2L, (short) (Float.floatToIntBits((float) v) >>> 16));
                case INT64, UINT64 -> seg.set(I64, i * 8L, (long) v);
                case INT32, UINT32 -> seg.set(I32, i * 4L, (int) (long) v);
                case INT16, UINT16 -> seg.set(I16, i * 2L, (short) (long) v);
                case INT8, UINT8, BOOL -> seg.set(ValueLayout.JAVA_BYTE, i, (byte) (long) v);
                case INT4, UINT4 -> throw new IllegalArgumentException("cannot build 4-bit tensors element-wise");
            }
        }
        return new Tensor(name, dtype, dims, seg);
    }
}
