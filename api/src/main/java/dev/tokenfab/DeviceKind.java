package dev.tokenfab;

/** Where a {@link Session} runs the decode kernels. */
public enum DeviceKind {
    /** The HLS kernels compiled for the CPU (C-simulation) on host memory, one "bank" per HBM channel of the platform. */
    EMU,
    /** An Alveo card through XRT (or XRT's noop shim with the C-simulation computing on the mapped buffers). */
    XRT,
    /** OpenCL (PoCL or an Alveo OpenCL platform); ports only some kernels so far, so {@link Tokenfab#open} refuses it. */
    OPENCL
}
