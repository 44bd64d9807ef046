package dev.tokenfab.host.runtime;

/**
 * Host wall time spent inside kernel launches (direct launches and program replays), and how many
 * kernels they ran: {@code System.nanoTime} around each call while on. Off by default, which costs
 * one branch per launch. <em>Measured</em> on the host: on the emulated card this is C-simulation
 * time on the CPU, never card time. Not thread-safe.
 */
final class StepTimer {

    private boolean on;
    private long nanos;
    private long kernels;

    /** Turns timing on or off and zeroes the counters. */
    void reset(boolean on) {
        this.on = on;
        nanos = 0;
        kernels = 0;
    }

    boolean on() { return on; }

    /** Adds one timed call that started at {@code startNanos} and ran {@code kernelCount} kernels. */
    void add(long startNanos, int kernelCount) {
        nanos += System.nanoTime() - startNanos;
        kernels += kernelCount;
    }

    /** Nanoseconds inside launches since {@link #reset}. */
    long nanos() { return nanos; }

    /** Kernels run since {@link #reset}. */
    long kernels() { return kernels; }
}
