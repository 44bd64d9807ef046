package dev.tokenfab.host.power;

import java.time.Duration;

/**
 * Monotonic time and sleeping, injected so tests can script time together with a fake sensor.
 * {@link #system()} is the real one.
 */
public interface TimeSource {

    long nanoTime();

    void sleep(Duration duration) throws InterruptedException;

    static TimeSource system() {
        return new TimeSource() {
            public long nanoTime() { return System.nanoTime(); }
            public void sleep(Duration d) throws InterruptedException { Thread.sleep(d); }
        };
    }
}
