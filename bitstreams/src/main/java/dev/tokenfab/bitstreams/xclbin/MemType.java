package dev.tokenfab.bitstreams.xclbin;

/** {@code enum MEM_TYPE} of xclbin.h, in its order (the ordinal is the stored value). */
public enum MemType {
    DDR3, DDR4, DRAM, STREAMING, PREALLOCATED_GLOB, ARE, HBM, BRAM, URAM, STREAMING_CONNECTION, HOST, PS_KERNEL;

    static MemType of(int v) {
        return v >= 0 && v < values().length ? values()[v] : null;
    }
}
