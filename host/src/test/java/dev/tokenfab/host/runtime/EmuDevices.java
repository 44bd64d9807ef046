package dev.tokenfab.host.runtime;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.DeviceInfo;
import dev.tokenfab.host.device.Devices;
import org.junit.jupiter.api.Assumptions;

/** Opens the emulated card for tests; skips (with the reason) only when the kernel library is not in the build. */
public final class EmuDevices {
    private EmuDevices() {}

    public static Device open(Platform platform) throws DeviceException {
        try {
            return Devices.open(DeviceInfo.Kind.EMU, platform);
        } catch (DeviceException e) {
            Assumptions.assumeTrue(e.code() != DeviceException.ErrorCode.UNAVAILABLE, "emulated card unavailable: " + e.getMessage());
            throw e;
        }
    }
}
