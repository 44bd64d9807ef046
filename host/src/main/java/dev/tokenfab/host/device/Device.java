package dev.tokenfab.host.device;

import dev.tokenfab.kernels.Kernel;
import java.lang.foreign.MemorySegment;

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

    @Override
    void close();
}
