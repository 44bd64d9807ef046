package dev.tokenfab.compiler.reference;

import java.util.List;

/**
 * A greedy run: prefill of the prompt, then one token per run with the KV cache fed back.
 *
 * @param tokens                          generated token ids (tokens[0] comes from the prefill)
 * @param stepLogits                      for each generated token, the output row that chose it
 *                                        (logits of the last position; hidden state for body-only models)
 * @param measuredPrefillSecondsHostCpu   wall time of the prefill run(s), System.nanoTime, measured on the
 *                                        host through ONNX Runtime's {@link #executionProvider} (CPU unless CUDA)
 * @param measuredDecodeSecondsHostCpu    wall time of each decode run (tokens.length - 1 entries), measured as above
 * @param prefillTokenByToken             the model accepts one token per run, so the prompt was fed token by token
 * @param executionProvider               "CPU" or "CUDA"
 */
public record GreedyResult(long[] tokens, List<float[]> stepLogits, double measuredPrefillSecondsHostCpu,
                           double[] measuredDecodeSecondsHostCpu, boolean prefillTokenByToken, String executionProvider) {

    /** Decode tokens per second over all decode runs (measured); NaN when there were none. */
    public double measuredDecodeTokensPerSecond() {
        double total = 0;
        for (double s : measuredDecodeSecondsHostCpu) total += s;
        return measuredDecodeSecondsHostCpu.length == 0 ? Double.NaN : measuredDecodeSecondsHostCpu.length / total;
    }

    /** Smallest top-1/top-2 gap over the steps. */
    public float minTop1Top2Gap() { return Margins.minTop1Top2Gap(stepLogits); }
}
