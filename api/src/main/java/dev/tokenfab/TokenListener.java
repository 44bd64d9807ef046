package dev.tokenfab;

/**
 * Receives each generated token as soon as it is sampled (streaming). Called on the thread that
 * called {@link Session#stream}; its time is outside the measured per-token times. An exception it
 * throws stops the generation and propagates to the caller of {@link Session#stream}.
 */
@FunctionalInterface
public interface TokenListener {

    /**
     * Called once per generated token, in order.
     *
     * @param token the token just sampled
     */
    void onToken(Token token);
}
