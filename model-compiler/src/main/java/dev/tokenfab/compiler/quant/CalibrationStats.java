package dev.tokenfab.compiler.quant;

import java.util.Map;

/**
 * Per-input-channel activation magnitudes, computed by whoever can run the model on calibration
 * text (the runtime's reference decoder, ONNX Runtime). AWQ uses them to find which input channels
 * matter: the quantization error of column c costs about meanAbs[c]^2 in the layer's output.
 *
 * @param meanAbsByTensor  canonical tensor name → mean |x| of its input, one value per input channel
 *                         (length = the tensor's cols). Tensors that share an input (q/k/v, gate/up)
 *                         should carry the same array.
 */
public record CalibrationStats(Map<String, float[]> meanAbsByTensor) {

    public CalibrationStats {
        meanAbsByTensor = Map.copyOf(meanAbsByTensor);
    }

    public static CalibrationStats none() { return new CalibrationStats(Map.of()); }

    public boolean isEmpty() { return meanAbsByTensor.isEmpty(); }

    /** The stats for one tensor, or null when none were given. */
    public float[] meanAbs(String tensor) { return meanAbsByTensor.get(tensor); }
}
