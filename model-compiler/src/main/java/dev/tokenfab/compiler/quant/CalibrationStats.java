package dev.tokenfab.compiler.quant;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.compiler.error.CompileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * Reads {@code {"meanAbsByTensor": {name: [floats]}, "hessianByTensor": {name: [cols*cols floats]}}}
     * (either map may be absent), as written by whoever ran the model on calibration text.
     *
     * @throws CompileException FILE_NOT_FOUND, or BAD_OPTION naming the file when it is not such JSON
     */
    public static CalibrationStats read(Path file) throws CompileException {
        if (!Files.isRegularFile(file)) {
            throw new CompileException(CompileException.ErrorCode.FILE_NOT_FOUND, "calibration file " + file + " does not exist");
        }
        ObjectMapper om = new ObjectMapper();
        TypeReference<Map<String, float[]>> type = new TypeReference<>() {};
        try {
            JsonNode root = om.readTree(file.toFile());
            Map<String, float[]> mean = root.has("meanAbsByTensor") ? om.convertValue(root.get("meanAbsByTensor"), type) : Map.of();
            Map<String, float[]> hess = root.has("hessianByTensor") ? om.convertValue(root.get("hessianByTensor"), type) : Map.of();
            return new CalibrationStats(mean, hess);
        } catch (IOException | IllegalArgumentException e) {
            throw new CompileException(CompileException.ErrorCode.BAD_OPTION, "calibration file " + file
                    + " is not {\"meanAbsByTensor\": {tensor: [floats]}, \"hessianByTensor\": {...}}: " + e.getMessage(), e);
        }
    }

    /** The Hessian for one tensor, or null. */
    public float[] hessian(String tensor) { return hessianByTensor.get(tensor); }

    /** The stats for one tensor, or null when none were given. */
    public float[] meanAbs(String tensor) { return meanAbsByTensor.get(tensor); }
}
