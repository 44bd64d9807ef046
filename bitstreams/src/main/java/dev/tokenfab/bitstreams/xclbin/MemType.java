package dev.tokenfab.bitstreams.xclbin;

/** {@code enum MEM_TYPE} of xclbin.h, in its order (the ordinal is the stored value). */
public enum MemType {
    DDR3, DDR4, DRAM, STREAMING, PREALLOCATED_GLOB, ARE, HBM, BRAM, URAM, STREAMING_CONNECTION, HOST, PS_KERNEL,
    /** a value newer than XRT 2.13's xclbin.h; never written */
    UNKNOWN;

    static MemType of(int v) {
        return v >= 0 && v < UNKNOWN.ordinal() ? values()[v] : UNKNOWN;
    }
}
