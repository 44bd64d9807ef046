package dev.tokenfab.compiler.synth;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.tokenfab.compiler.ir.ElementType;

/** Element types the writer stores in initializers, with their ONNX data type. */
enum StoredType {
    F32(DataType.FLOAT, 4), F16(DataType.FLOAT16, 2), BF16(DataType.BFLOAT16, 2),
    /** packed 4-bit MatMulNBits blocks and zero points (values are {@link WeightValues.Packed}) */
    UINT8(DataType.UINT8, 1);

    final DataType onnx;
    final int bytes;

    StoredType(DataType onnx, int bytes) { this.onnx = onnx; this.bytes = bytes; }

    static StoredType of(ElementType t) {
        return switch (t) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
        };
    }
}
