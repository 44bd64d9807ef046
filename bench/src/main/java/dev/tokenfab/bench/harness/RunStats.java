package dev.tokenfab.bench.harness;

/**
 * What one system did on one workload at one batch size, on the host's clock (ns).
 *
 * @param wallNanos         first arrival to last token
 * @param requests          requests completed
 * @param promptTokens      prompt tokens processed in total
 * @param outputTokens      tokens generated in total
 * @param prefillNanos      summed over batches: batch start to its first token (or to the end, without generation)
 * @param decodeNanos       summed over batches: first token to last token
 * @param decodeTokens      tokens generated after each sequence's first one
 * @param meanTimeToFirstTokenNanos  mean over requests of first token − arrival (queueing included)
 * @param meanTimePerOutputTokenNanos mean over requests of (last − first) / (tokens − 1); NaN with &lt; 2 tokens
 */
public record RunStats(long wallNanos, int requests, long promptTokens, long outputTokens, long prefillNanos,
                       long decodeNanos, long decodeTokens, double meanTimeToFirstTokenNanos, double meanTimePerOutputTokenNanos) {}
