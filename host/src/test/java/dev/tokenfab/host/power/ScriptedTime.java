package dev.tokenfab.host.power;

import java.time.Duration;
import java.util.function.LongConsumer;

/** A clock the test moves; each move first updates the fake hardware through {@code onAdvance}(new time ns). */
final class ScriptedTime implements TimeSource {
    private long nowNanos;
    private final LongConsumer onAdvance;

    ScriptedTime(LongConsumer onAdvance) {
        this.onAdvance = onAdvance;
        onAdvance.accept(0);
    }

    @Override public synchronized long nanoTime() { return nowNanos; }

    @Override public void sleep(Duration d) { advance(d); }

    synchronized void advance(Duration d) {
        nowNanos += d.toNanos();
        onAdvance.accept(nowNanos);
    }

    static double seconds(long nanos) { return nanos / 1e9; }
}
