package dev.tokenfab.compiler.quant;

import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.WeightTensor;
import java.util.LinkedHashMap;
import java.util.Map;

/** The decoder IR's weights as fp32 [rows * cols] row-major arrays (the logical OUT_IN view). */
final class DenseWeights {
    private DenseWeights() {}

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
                case WeightTensor.Dense d -> BlockReader.readAll(d);
                case WeightTensor.Quantized q -> quantized(q);
            });
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
