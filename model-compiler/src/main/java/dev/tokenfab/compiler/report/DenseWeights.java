package dev.tokenfab.compiler.report;

import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/** The decoder IR's weights as fp32 [rows * cols] row-major arrays (the logical OUT_IN view). */
final class DenseWeights {
    private DenseWeights() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Parameters (elements) of every tensor of {@code model}. */
    static long parameters(DecoderModel model) {
        long n = 0;
        for (WeightTensor t : model.weights().values()) n += (long) t.rows() * t.cols();
        return n;
    }

    static Map<String, float[]> of(DecoderModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (WeightTensor t : model.weights().values()) {
            out.put(t.name(), switch (t) {
                case WeightTensor.Dense d -> dense(d);
                case WeightTensor.Quantized q -> quantized(q);
            });
        }
        return out;
    }

    private static float[] dense(WeightTensor.Dense d) {
        int rows = d.rows(), cols = d.cols();
        float[] out = new float[Math.multiplyExact(rows, cols)];
        MemorySegment m = d.data();
        for (int i = 0; i < out.length; i++) {
            // element i of the logical [rows][cols] view; IN_OUT stores [cols][rows]
            long stored = d.layout() == WeightTensor.Layout.OUT_IN ? i : (long) (i % cols) * rows + i / cols;
            out[i] = switch (d.type()) {
                case F32 -> m.getAtIndex(F32, stored);
                case F16 -> Float.float16ToFloat(m.getAtIndex(I16, stored));
                case BF16 -> Float.intBitsToFloat((m.getAtIndex(I16, stored) & 0xffff) << 16);
            };
        }
        return out;
    }

    private static float[] quantized(WeightTensor.Quantized q) {
        int rows = q.rows(), cols = q.cols();
        float[] out = new float[Math.multiplyExact(rows, cols)];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            q.format().dequantizeRow(q.data(), q.scales(), q.zeros(), rows, cols, q.groupSize(), r, row);
            System.arraycopy(row, 0, out, r * cols, cols);
        }
        return out;
    }
}
