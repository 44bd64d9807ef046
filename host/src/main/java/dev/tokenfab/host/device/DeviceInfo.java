package dev.tokenfab.host.device;

import java.util.List;

/**
 * Typed description of a device.
 *
 * @param kind          backend
 * @param name          e.g. "emulated xilinx_u55c_gen3x16_xdma_3_202210_1" or the XRT platform name
 * @param banks         memory banks, indexed as the plan numbers them
 * @param emulatedCompute true when kernels run as C-simulation on the host (emu, XRT noop shim)
 */
public record DeviceInfo(Kind kind, String name, List<Bank> banks, boolean emulatedCompute) {

    public enum Kind { EMU, XRT, OPENCL }

    /** @param tag XRT memory tag such as "HBM[3]" or "DDR[0]" */
    public record Bank(int index, String tag, long sizeBytes) {}
}
