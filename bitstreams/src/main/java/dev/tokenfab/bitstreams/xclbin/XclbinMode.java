package dev.tokenfab.bitstreams.xclbin;

/** {@code enum XCLBIN_MODE} of xclbin.h, in its order (the ordinal is the stored value). */
public enum XclbinMode { FLAT, PR, TANDEM_STAGE2, TANDEM_STAGE2_WITH_PR, HW_EMU, SW_EMU, HW_EMU_PR }
