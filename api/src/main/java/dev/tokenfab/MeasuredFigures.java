package dev.tokenfab;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * MEASURED figures of one generation: host wall-clock times ({@link System#nanoTime}) of its decode
 * steps, each step being the kernels on the device plus the logits read back and the sampling. On the
 * emulated card the kernels run on the host CPU, so these are host-CPU figures, never card speed:
 * {@link #label()} says so. Tokens/s counts from the second generated token, because the first one
 * carries the prefill (as llama2.c times it).
 *
 * @param label           what was measured on what, e.g. "measured, host CPU, emulated kernels"
 * @param hostCpu         the host that measured: architecture and visible CPUs
 * @param prefillMillis   wall time from the start to the first generated token, in milliseconds
 * @param millisPerToken  wall time of each generated token's step, in milliseconds ([0] is the last prefill step)
 * @param tokensPerSecond generated tokens per second from the second token on; NaN with fewer than two tokens
 * @param wallMillis      wall time of the whole generation call, listener callbacks included, in milliseconds
 */
public record MeasuredFigures(String label, String hostCpu, double prefillMillis, double[] millisPerToken,
                              double tokensPerSecond, double wallMillis) {

    /**
     * Checks for nulls; copies the array.
     *
     * @throws NullPointerException naming the component when it is null
     */
    public MeasuredFigures {
        Objects.requireNonNull(label, "MeasuredFigures.label");
        Objects.requireNonNull(hostCpu, "MeasuredFigures.hostCpu");
        millisPerToken = Objects.requireNonNull(millisPerToken, "MeasuredFigures.millisPerToken").clone();
    }

    /**
     * A copy of the per-token step times.
     *
     * @return wall time of each generated token's step, in milliseconds
     */
    @Override
    public double[] millisPerToken() { return millisPerToken.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof MeasuredFigures m && label.equals(m.label) && hostCpu.equals(m.hostCpu)
                && Double.compare(prefillMillis, m.prefillMillis) == 0 && Arrays.equals(millisPerToken, m.millisPerToken)
                && Double.compare(tokensPerSecond, m.tokensPerSecond) == 0 && Double.compare(wallMillis, m.wallMillis) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(label, hostCpu, prefillMillis, Arrays.hashCode(millisPerToken), tokensPerSecond, wallMillis);
    }

    /** One line: tokens/s, prefill, wall time, the label and the host. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%s): %.2f tokens/s, prefill %.3f ms, %d tokens in %.3f ms",
                label, hostCpu, tokensPerSecond, prefillMillis, millisPerToken.length, wallMillis);
    }
}
