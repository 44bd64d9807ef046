package dev.tokenfab.host.device;

/**
 * A recorded sequence of kernel launches (see {@link LaunchRecorder}), owned by whoever finished
 * the recording: close it to free its native memory. Using a closed program throws
 * {@link IllegalStateException}.
 */
public sealed interface LaunchProgram extends AutoCloseable permits EmuDevice.Program, XrtDevice.Program {

    /** Kernel launches in the program. */
    int commands();

    /** Rewrites the int argument at {@code slot} (from {@link LaunchRecorder#recordedArgSlot}) for the next replays. */
    void setInt(int slot, int value);

    @Override
    void close();
}
