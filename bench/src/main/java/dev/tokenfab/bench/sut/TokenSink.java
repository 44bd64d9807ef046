package dev.tokenfab.bench.sut;

/** Receives tokens as a system produces them; the harness timestamps each call. */
@FunctionalInterface
public interface TokenSink {
    /**
     * @param sequence index of the sequence in the batch
     * @param index    0 for the first generated token (the one prefill produces), then 1, 2, ...
     * @param tokenId  the generated token
     */
    void onToken(int sequence, int index, long tokenId);
}
