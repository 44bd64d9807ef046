package dev.tokenfab.host.device.opencl;

import static org.jocl.CL.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * OpenCL discovery through JOCL 2.0.5: which platforms and devices this process can see, or why
 * none. JOCL needs the ICD loader ({@code libOpenCL.so}, Debian: ocl-icd-opencl-dev); PoCL needs a
 * writable {@code POCL_CACHE_DIR} (an unwritable cache shows zero devices, silently).
 */
public final class OpenCl {

    private OpenCl() {}

    /** One OpenCL device. @param globalMemBytes CL_DEVICE_GLOBAL_MEM_SIZE */
    public record DeviceDesc(int platformIndex, int deviceIndex, String platform, String name, String version,
                             String type, int computeUnits, long globalMemBytes) {}

    public sealed interface Availability {
        record Available(List<DeviceDesc> devices) implements Availability {}

        record Unavailable(String reason, String fix) implements Availability {}
    }

    /** Lists every device of every platform, or says why there are none. Never throws. */
    public static Availability probe() {
        try {
            CL.setExceptionsEnabled(true);
            int[] n = new int[1];
            try {
                clGetPlatformIDs(0, null, n);
            } catch (CLException e) {
                // CL_PLATFORM_NOT_FOUND_KHR (-1001) from the ICD loader when no vendor ICD is installed
                return new Availability.Unavailable("no OpenCL platform (" + e.getMessage() + ")", fixFor(System.getenv()));
            }
            cl_platform_id[] platforms = new cl_platform_id[n[0]];
            clGetPlatformIDs(platforms.length, platforms, null);
            List<DeviceDesc> out = new ArrayList<>();
            for (int p = 0; p < platforms.length; p++) {
                String pname = platformString(platforms[p], CL_PLATFORM_NAME);
                int[] nd = new int[1];
                try {
                    clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, null, nd);
                } catch (CLException e) {
                    continue;   // CL_DEVICE_NOT_FOUND: a platform without devices
                }
                cl_device_id[] devs = new cl_device_id[nd[0]];
                clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, devs.length, devs, null);
                for (int d = 0; d < devs.length; d++)
                    out.add(new DeviceDesc(p, d, pname, deviceString(devs[d], CL_DEVICE_NAME), deviceString(devs[d], CL_DEVICE_VERSION),
                            typeName(deviceLong(devs[d], CL_DEVICE_TYPE)), (int) deviceInt(devs[d], CL_DEVICE_MAX_COMPUTE_UNITS),
                            deviceLong(devs[d], CL_DEVICE_GLOBAL_MEM_SIZE)));
            }
            if (out.isEmpty()) return new Availability.Unavailable("OpenCL platforms found but no devices", fixFor(System.getenv()));
            return new Availability.Available(out);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Availability.Unavailable("JOCL cannot load libOpenCL.so (" + e.getMessage() + ")",
                    "install the OpenCL ICD loader (Debian: ocl-icd-opencl-dev) and a driver (pocl-opencl-icd for the CPU)");
        } catch (CLException e) {
            return new Availability.Unavailable("OpenCL query failed: " + e.getMessage(), fixFor(System.getenv()));
        }
    }

    /** The hint for an empty device list: PoCL's cache must be writable. */
    static String fixFor(Map<String, String> env) {
        String cache = env.get("POCL_CACHE_DIR");
        if (cache == null) return "install a driver (pocl-opencl-icd) and set POCL_CACHE_DIR to a writable folder";
        if (!Files.isWritable(Path.of(cache))) return "POCL_CACHE_DIR=" + cache + " is not writable (PoCL then shows no devices): point it at a writable folder";
        return "install an OpenCL driver (pocl-opencl-icd for the CPU, XRT's OpenCL ICD for Alveo)";
    }

    static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(p, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetPlatformInfo(p, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    static long deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null);
        return Integer.toUnsignedLong(v[0]);
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8).trim();
    }

    private static String typeName(long type) {
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) return "accelerator";
        if ((type & CL_DEVICE_TYPE_GPU) != 0) return "gpu";
        if ((type & CL_DEVICE_TYPE_CPU) != 0) return "cpu";
        return "other";
    }

    /** Device handle lookup for {@link dev.tokenfab.host.device.OpenClDevice}. */
    public static cl_device_id device(int platformIndex, int deviceIndex) {
        CL.setExceptionsEnabled(true);
        int[] n = new int[1];
        clGetPlatformIDs(0, null, n);
        if (platformIndex < 0 || platformIndex >= n[0]) throw new IndexOutOfBoundsException("OpenCL platform " + platformIndex + " of " + n[0]);
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        clGetPlatformIDs(n[0], platforms, null);
        int[] nd = new int[1];
        clGetDeviceIDs(platforms[platformIndex], CL_DEVICE_TYPE_ALL, 0, null, nd);
        if (deviceIndex < 0 || deviceIndex >= nd[0]) throw new IndexOutOfBoundsException("OpenCL device " + deviceIndex + " of " + nd[0]);
        cl_device_id[] devs = new cl_device_id[nd[0]];
        clGetDeviceIDs(platforms[platformIndex], CL_DEVICE_TYPE_ALL, nd[0], devs, null);
        return devs[deviceIndex];
    }

    public static cl_platform_id platform(int platformIndex) {
        int[] n = new int[1];
        clGetPlatformIDs(0, null, n);
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        clGetPlatformIDs(n[0], platforms, null);
        return platforms[platformIndex];
    }
}
