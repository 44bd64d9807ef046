package dev.tokenfab.host.device;

/**
 * Device memory in one bank. Using a closed buffer throws {@link IllegalStateException}.
 * Implementations: host memory for the emulated device, an XRT BO, an OpenCL cl_mem.
 */
public interface DeviceBuffer extends AutoCloseable {

    int bank();

    long sizeBytes();

    @Override
    void close();
}
