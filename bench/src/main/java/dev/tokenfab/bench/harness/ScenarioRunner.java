package dev.tokenfab.bench.harness;

import dev.tokenfab.bench.BenchException;
import dev.tokenfab.bench.sut.SystemUnderTest;
import dev.tokenfab.bench.workload.Scenario;
import dev.tokenfab.bench.workload.Workload;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Drives one system through one workload at one batch size. Batching is static: up to {@code batch}
 * requests that have arrived run together to completion (continuous batching is the runtime's job,
 * not the harness's). Offline: all requests arrive at t = 0. Server: Poisson arrivals, and a
 * request's time to first token includes its wait in the queue.
 */
final class ScenarioRunner {
    private ScenarioRunner() {}

    /** Prompts are seeded pseudo-random ids so every system sees the same tokens. */
    static List<long[]> prompts(int count, int length, int vocabularySize, long seed) {
        List<long[]> out = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + r);
            long[] p = new long[length];
            for (int i = 0; i < length; i++) p[i] = rnd.nextInt(vocabularySize);
            out.add(p);
        }
        return out;
    }

    /** Arrival offsets in ns from the scenario's start. */
    static long[] arrivals(Scenario scenario, int requests) {
        long[] at = new long[requests];
        if (scenario instanceof Scenario.Server s) {
            SplittableRandom rnd = new SplittableRandom(s.seed());
            double t = 0;
            for (int i = 0; i < requests; i++) {
                t += -Math.log(1 - rnd.nextDouble()) / s.requestsPerSecond(); // exponential gaps: a Poisson process
                at[i] = (long) (t * 1e9);
            }
        }
        return at;
    }

    static RunStats run(SystemUnderTest sut, Workload w, int batch, long promptSeed) throws BenchException {
        int n = w.requests(batch);
        List<long[]> prompts = prompts(n, w.promptTokens(), sut.vocabularySize(), promptSeed);
        long[] arrival = arrivals(w.scenario(), n);
        long[] first = new long[n], last = new long[n];
        int[] tokens = new int[n];
        Arrays.fill(first, -1);
        long prefillNanos = 0, decodeNanos = 0, decodeTokens = 0;
        long t0 = System.nanoTime();
        int next = 0;
        while (next < n) {
            long now = System.nanoTime() - t0;
            if (arrival[next] > now) {
                sleepNanos(arrival[next] - now);
                now = System.nanoTime() - t0;
            }
            int from = next;
            while (next < n && next - from < batch && arrival[next] <= now) next++;
            final int base = from;
            long batchStart = System.nanoTime();
            sut.generate(prompts.subList(from, next), w.generateTokens(), (seq, index, token) -> {
                long t = System.nanoTime();
                int r = base + seq;
                if (first[r] < 0) first[r] = t;
                last[r] = t;
                tokens[r]++;
            });
            long batchEnd = System.nanoTime();
            long batchFirst = Long.MAX_VALUE;
            for (int r = from; r < next; r++) if (first[r] >= 0) batchFirst = Math.min(batchFirst, first[r]);
            if (batchFirst == Long.MAX_VALUE) {
                prefillNanos += batchEnd - batchStart;
                for (int r = from; r < next; r++) { first[r] = batchEnd; last[r] = batchEnd; }
            } else {
                prefillNanos += batchFirst - batchStart;
                decodeNanos += batchEnd - batchFirst;
                for (int r = from; r < next; r++) decodeTokens += Math.max(0, tokens[r] - 1);
            }
            if (w.generateTokens() > 0) for (int r = from; r < next; r++) if (tokens[r] != w.generateTokens())
                throw new BenchException(BenchException.ErrorCode.RUN_FAILED, sut.name() + " produced " + tokens[r]
                        + " tokens for request " + r + ", expected " + w.generateTokens());
        }
        long wall = System.nanoTime() - t0;
        double ttft = 0, tpot = 0;
        int tpotCount = 0;
        long out = 0;
        for (int r = 0; r < n; r++) {
            ttft += (first[r] - t0) - arrival[r];
            out += tokens[r];
            if (tokens[r] > 1) {
                tpot += (double) (last[r] - first[r]) / (tokens[r] - 1);
                tpotCount++;
            }
        }
        return new RunStats(wall, n, (long) n * w.promptTokens(), out, prefillNanos, decodeNanos, decodeTokens,
                ttft / n, tpotCount == 0 ? Double.NaN : tpot / tpotCount);
    }

    private static void sleepNanos(long nanos) throws BenchException {
        try {
            Thread.sleep(java.time.Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException(BenchException.ErrorCode.RUN_FAILED, "interrupted while waiting for the next arrival", e);
        }
    }
}
