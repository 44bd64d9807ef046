package dev.tokenfab.host.device.xrt;

import java.nio.file.Path;

/** Child JVM for {@link XrtBindingTest#exitWithOpenHandlesDoesNotCrash}: opens XRT handles and exits without closing them. */
public final class LeakyXrtChild {
    public static void main(String[] args) throws Exception {
        Xrt.Xclbin x = Xrt.Xclbin.fromFile(Path.of(args[0]));
        Xrt.Device d = Xrt.Device.open(0);
        Xrt.Kernel k = d.openKernel(d.load(x), "tf_add");
        d.allocate(4096, 0);
        k.openRun();
        System.out.println("leaving with open handles");
    }
}
