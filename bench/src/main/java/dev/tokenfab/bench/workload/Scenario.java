package dev.tokenfab.bench.workload;

/**
 * How requests reach the system (after MLPerf Inference's scenarios, simplified).
 * The batch size given next to the workload caps how many requests run together.
 */
public sealed interface Scenario {

    /** One batch of {@code batch} identical-length requests, timed like llama-bench. */
    record Single() implements Scenario {}

    /** All {@code requests} are available at t = 0 (MLPerf "Offline"): throughput. */
    record Offline(int requests) implements Scenario {}

    /**
     * {@code requests} arrive as a Poisson process at {@code requestsPerSecond} (MLPerf "Server"):
     * latency under load, time to first token counted from arrival.
     *
     * @param seed seeds the arrival times so runs are repeatable
     */
    record Server(int requests, double requestsPerSecond, long seed) implements Scenario {}
}
