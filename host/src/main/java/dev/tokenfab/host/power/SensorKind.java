package dev.tokenfab.host.power;

/** What a sensor measures, which decides how its figures may be added up. */
public enum SensorKind {
    /** an NVIDIA GPU through NVML */
    GPU_NVML,
    /** a CPU package or DRAM zone through Linux powercap (Intel/AMD RAPL) */
    CPU_RAPL,
    /** a power input of a Linux hwmon device (Alveo boards expose one through xocl/xclmgmt) */
    BOARD_HWMON,
    /** an Alveo board through XRT's electrical report */
    BOARD_XRT,
    /** not a sensor: watts computed by a model (always labeled modeled) */
    MODELED
}
