package dev.tokenfab.compiler.onnx.graph;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;

/**
 * ONNX {@code TensorProto.DataType} values the importer understands. Codes and sizes are those of
 * onnx/onnx.proto3 (DataType enum); 4-bit types pack two elements per byte.
 */
public enum DataType {
    FLOAT(1, 32), UINT8(2, 8), INT8(3, 8), UINT16(4, 16), INT16(5, 16), INT32(6, 32), INT64(7, 64),
    BOOL(9, 8), FLOAT16(10, 16), DOUBLE(11, 64), UINT32(12, 32), UINT64(13, 64), BFLOAT16(16, 16),
    UINT4(21, 4), INT4(22, 4);

    private final int code;
    private final int bits;

    DataType(int code, int bits) { this.code = code; this.bits = bits; }

    public int code() { return code; }

    public int bits() { return bits; }

    /** Bytes needed for {@code elements} values (4-bit types round up to whole bytes). */
    public long sizeBytes(long elements) { return (elements * bits + 7) / 8; }

    public boolean isFloat() { return this == FLOAT || this == FLOAT16 || this == DOUBLE || this == BFLOAT16; }

    /** @throws CompileException BAD_TENSOR when the code is not one of ours (strings, complex, fp8 ...) */
    public static DataType fromCode(int code, String tensorName) throws CompileException {
        for (DataType t : values()) if (t.code == code) return t;
        throw new CompileException(ErrorCode.BAD_TENSOR, "tensor '" + tensorName + "' has ONNX data type " + code
                + ", which the importer does not read (supported: " + java.util.Arrays.toString(values()) + ")");
    }

    /** Lenient lookup for value types (graph inputs may be strings etc.); null when not ours. */
    public static DataType fromCodeOrNull(int code) {
        for (DataType t : values()) if (t.code == code) return t;
        return null;
    }
}
