package dev.tokenfab.host.device;

import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.kernels.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A place where the decode kernels run: the emulated card (C-simulation of the HLS kernels on host
 * memory), an Alveo card through XRT, or an OpenCL device. The decode loop is written against
 * this interface only.
 *
 * <p>Lifetime: buffers belong to the device that allocated them and are closed before it; closing
 * a device closes every buffer still open. Not thread-safe: one decode loop drives one device.
 */
public sealed interface Device extends AutoCloseable permits EmuDevice, XrtDevice, OpenClDevice {

    /** What this device is, typed (kind, name, memory banks, whether its compute is emulated). */
    DeviceInfo info();

    /**
     * Refuses a model package this device cannot run (XRT: another platform, or tensors in banks
     * the loaded xclbin lacks). Default: accepts every package, whose banks {@link #allocate} checks.
     *
     * @throws DeviceException BAD_BINARY naming the package's platform or the tensor and bank
     */
    default void checkPackage(Manifest manifest) throws DeviceException { }

    /**
     * Allocates {@code sizeBytes} in memory bank {@code bank} (an HBM pseudo-channel or DDR bank index
     * as the plan numbers them).
     *
     * @throws DeviceException with {@link DeviceException.ErrorCode#OUT_OF_MEMORY} or {@code BAD_BANK}
     */
    DeviceBuffer allocate(int bank, long sizeBytes) throws DeviceException;

    /** Copies host bytes into the buffer at {@code offsetBytes} and makes them visible to kernels (sync to device). */
    void write(DeviceBuffer dst, long offsetBytes, MemorySegment src) throws DeviceException;

    /** Makes kernel results visible to the host (sync from device) and copies them out. */
    void read(DeviceBuffer src, long offsetBytes, MemorySegment dst) throws DeviceException;

    /**
     * Runs one kernel to completion. {@code args} match {@link Kernel#args()} one to one:
     * {@link KernelArg.Buffer} (or {@link KernelArg.Null}) for pointers, {@link KernelArg.I32} and
     * {@link KernelArg.F32} for scalars.
     *
     * @return the kernel's int return value (ARGMAX), else 0
     */
    int launch(Kernel kernel, KernelArg... args) throws DeviceException;

    /**
     * The launch-program capability (record a step's launches once, replay them in one call), or
     * empty where the device has none: the caller then issues one {@link #launch} per kernel, with
     * the same results. Default: empty.
     *
     * @throws DeviceException when probing the capability fails (the caller may treat it as absent)
     */
    default Optional<LaunchRecorder> launchRecorder() throws DeviceException { return Optional.empty(); }

    /**
     * Host wall time, in nanoseconds since the device opened, spent inside kernel bodies, where the
     * device measures it apart from its launch path (XRT: the C-simulation after each run on the noop
     * shim, the waits for runs on a card). Empty where a launch call is the kernel body itself (the
     * emulated card: time the launch, as {@code Decoder.timeKernels} does). <em>Measured</em> on the
     * host, never card time.
     */
    default OptionalLong kernelBodyNanos() { return OptionalLong.empty(); }

    /**
     * Whether {@link #write} into one buffer may run on another thread concurrently with
     * {@link #launch}, {@link #read}, {@link #allocate} and buffer closes on other buffers (the
     * weight streamer's background upload needs it). Default: false, every call on one thread.
     */
    default boolean writesConcurrentWithLaunches() { return false; }

    @Override
    void close();
}
