package dev.tokenfab.host.device;

import java.util.Optional;

/**
 * The launch-program capability of a {@link Device}: record the kernel launches of one decode step
 * once, then replay them later through one call, with chosen int arguments patched in between.
 * A device offers it through {@link Device#launchRecorder()}: the emulated card (one downcall of
 * the program interpreter per replay) and XRT (pre-bound runs, started in order). One without it
 * (OpenCL) is driven by a {@link Device#launch} per kernel, which is the documented fallback and
 * gives the same results.
 *
 * <p>While recording, every launch still runs as usual and is also appended to the program with
 * its argument values as they are at launch: buffers, offsets and scalars are fixed, so a scalar
 * that must change between replays (a position) is patched with {@link LaunchProgram#setInt} at the
 * slot {@link #recordedArgSlot} gave for it. Not thread-safe (as {@link Device}).
 */
public interface LaunchRecorder {

    /**
     * From now on every launch is also recorded, until {@link #finishRecording} or {@link #abortRecording}.
     *
     * @throws IllegalStateException when a recording is already under way
     */
    void beginRecording() throws DeviceException;

    /**
     * The program slot of int argument {@code argIndex} of the launch just recorded.
     *
     * @throws IllegalStateException when not recording
     */
    int recordedArgSlot(int argIndex);

    /** Whether a recording is under way. */
    boolean isRecording();

    /**
     * Ends the recording: the program (owned by the caller: close it), or empty when some launch
     * could not be recorded (a kernel the program interpreter lacks), and the caller keeps launching directly.
     *
     * @throws IllegalStateException when not recording
     */
    Optional<LaunchProgram> finishRecording();

    /** Drops the recording under way, if any (the recorded step failed). */
    void abortRecording();

    /**
     * Runs a recorded program: its launches in order, through one call.
     *
     * @throws DeviceException BAD_ARGUMENT if the program is closed or another device's, or one of its buffers is closed
     */
    void replay(LaunchProgram program) throws DeviceException;
}
