package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.ir.WeightTensor;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Test helper: logical element [row][col] of a dense IR weight, whatever its layout and element type. */
final class WeightAccess {
    private WeightAccess() {}

    static float at(WeightTensor t, int row, int col) {
        WeightTensor.Dense d = (WeightTensor.Dense) t;
        long i = d.layout() == WeightTensor.Layout.OUT_IN ? (long) row * d.cols() + col : (long) col * d.rows() + row;
        return switch (d.type()) {
            case F32 -> d.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4);
            case F16 -> Float.float16ToFloat(d.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2));
            case BF16 -> Float.intBitsToFloat((d.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2) & 0xFFFF) << 16);
        };
    }
}
