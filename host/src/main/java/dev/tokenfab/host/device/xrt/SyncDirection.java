package dev.tokenfab.host.device.xrt;

/** {@code enum xclBOSyncDirection} (xrt.h): which way {@link Xrt.Bo#sync} moves data. */
public enum SyncDirection {
    /** host backing store → device memory (XCL_BO_SYNC_BO_TO_DEVICE = 0) */
    TO_DEVICE(0),
    /** device memory → host backing store (XCL_BO_SYNC_BO_FROM_DEVICE = 1) */
    FROM_DEVICE(1);

    final int value;

    SyncDirection(int value) { this.value = value; }
}
