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
 * @param hessianByTensor  canonical tensor name → E[x x^T] of its input, [cols][cols] row-major, for
 *                         GPTQ (tensors sharing an input may share the array: its factor is computed once)
 */
public record CalibrationStats(Map<String, float[]> meanAbsByTensor, Map<String, float[]> hessianByTensor) {

    public CalibrationStats {
        meanAbsByTensor = Map.copyOf(meanAbsByTensor);
        hessianByTensor = Map.copyOf(hessianByTensor);
    }

    /** Activation magnitudes only (AWQ). */
    public CalibrationStats(Map<String, float[]> meanAbsByTensor) { this(meanAbsByTensor, Map.of()); }

    public static CalibrationStats none() { return new CalibrationStats(Map.of(), Map.of()); }

    public boolean isEmpty() { return meanAbsByTensor.isEmpty() && hessianByTensor.isEmpty(); }

    /** The Hessian for one tensor, or null. */
    public float[] hessian(String tensor) { return hessianByTensor.get(tensor); }

    /** The stats for one tensor, or null when none were given. */
    public float[] meanAbs(String tensor) { return meanAbsByTensor.get(tensor); }
}
