package dev.tokenfab.host.device.xrt;

/**
 * {@code enum ert_cmd_state} (ert.h): the state of a kernel run. Completion is not success:
 * callers check for {@link #COMPLETED}.
 */
public enum RunState {
    NEW(1), QUEUED(2), RUNNING(3), COMPLETED(4), ERROR(5), ABORT(6), SUBMITTED(7), TIMEOUT(8), NORESPONSE(9),
    SKERROR(10), SKCRASHED(11),
    /** a value outside ert.h (a newer XRT) */
    UNKNOWN(-1);

    final int value;

    RunState(int value) { this.value = value; }

    /** values(), copied once: {@link #of} runs after every kernel run */
    private static final RunState[] ALL = values();

    public static RunState of(int value) {
        for (RunState s : ALL) if (s.value == value) return s;
        return UNKNOWN;
    }

    /** Still queued or running: waiting longer may complete it. */
    public boolean pending() { return this == NEW || this == QUEUED || this == RUNNING || this == SUBMITTED; }
}
