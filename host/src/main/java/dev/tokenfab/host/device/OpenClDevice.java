package dev.tokenfab.host.device;

import static org.jocl.CL.*;

import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceException.ErrorCode;
import dev.tokenfab.host.device.opencl.OpenCl;
import dev.tokenfab.kernels.Kernel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_buffer_region;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * The {@link Device} on an OpenCL device through JOCL: the OpenCL C 1.2 ports of the decode
 * kernels ({@code opencl/tokenfab_kernels.cl}, same names and arguments as the HLS kernels) built
 * from source. On the CPU (PoCL) this checks the OpenCL host path; every plan bank maps to the
 * device's one global memory.
 *
 * <p>On Alveo the same host path would load the v++-built xclbin with
 * {@code clCreateProgramWithBinary} (XRT ships an OpenCL ICD) instead of building source, and
 * place each buffer in its bank with {@code CL_MEM_EXT_PTR_XILINX} and a {@code cl_mem_ext_ptr_t}
 * naming {@code XCL_MEM_TOPOLOGY | bankIndex}; JOCL has no binding for that Xilinx extension
 * struct, which is one reason the XRT backend ({@link XrtDevice}) is the card path.
 *
 * <p>Only the kernels in {@link #PORTED} run here; others fail with BAD_BINARY naming them.
 * Sub-buffer offsets must be multiples of the device's CL_DEVICE_MEM_BASE_ADDR_ALIGN.
 */
public final class OpenClDevice implements Device {

    /** Kernels with an OpenCL C port. */
    public static final Set<Kernel> PORTED = EnumSet.of(Kernel.GEMV_Q8, Kernel.GEMV_F16, Kernel.ADD, Kernel.SWIGLU);
    static final String SOURCE = "opencl/tokenfab_kernels.cl";

    private final Platform platform;
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final long baseAddrAlignBytes;
    private final Map<Kernel, cl_kernel> kernels = new EnumMap<>(Kernel.class);
    private final Set<ClBuffer> buffers = new LinkedHashSet<>();
    private final DeviceInfo info;
    private boolean closed;

    private OpenClDevice(Platform platform, cl_context context, cl_command_queue queue, cl_program program, long alignBytes, DeviceInfo info) {
        this.platform = platform;
        this.context = context;
        this.queue = queue;
        this.program = program;
        this.baseAddrAlignBytes = alignBytes;
        this.info = info;
    }

    /**
     * Opens OpenCL device {@code deviceIndex} of platform {@code platformIndex} and builds the kernels.
     *
     * @param platform the plan's platform: its bank numbering is kept, all banks share global memory
     * @throws DeviceException UNAVAILABLE (no OpenCL), NO_DEVICE, BAD_BINARY (build log in the message)
     */
    @SuppressWarnings("deprecation")
    public static OpenClDevice open(int platformIndex, int deviceIndex, Platform platform) throws DeviceException {
        if (OpenCl.probe() instanceof OpenCl.Availability.Unavailable(String reason, String fix))
            throw new DeviceException(ErrorCode.UNAVAILABLE, "OpenCL: " + reason + "; fix: " + fix);
        cl_device_id dev;
        try {
            dev = OpenCl.device(platformIndex, deviceIndex);
        } catch (IndexOutOfBoundsException e) {
            throw new DeviceException(ErrorCode.NO_DEVICE, e.getMessage());
        }
        String source;
        try (InputStream in = OpenClDevice.class.getResourceAsStream(SOURCE)) {
            if (in == null) throw new DeviceException(ErrorCode.BAD_BINARY, "resource " + SOURCE + " missing from the host jar");
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DeviceException(ErrorCode.BAD_BINARY, "cannot read " + SOURCE + ": " + e, e);
        }
        cl_context ctx = null;
        cl_command_queue q = null;
        cl_program prog = null;
        try {
            ctx = clCreateContext(null, 1, new cl_device_id[] {dev}, null, null, null);
            q = clCreateCommandQueue(ctx, dev, 0, null);
            prog = clCreateProgramWithSource(ctx, 1, new String[] {source}, null, null);
            try {
                clBuildProgram(prog, 0, null, "-cl-std=CL1.2", null, null);
            } catch (CLException e) {
                throw new DeviceException(ErrorCode.BAD_BINARY, "OpenCL build of " + SOURCE + " failed: " + buildLog(prog, dev), e);
            }
            long alignBits = OpenClInfo.uint(dev, CL_DEVICE_MEM_BASE_ADDR_ALIGN);
            List<DeviceInfo.Bank> banks = new ArrayList<>();
            for (int b = 0; b < platform.memoryBanks(); b++) banks.add(new DeviceInfo.Bank(b, BankMap.bankTag(platform, b), platform.bankBytes(b)));
            String name = "OpenCL " + OpenClInfo.string(dev, CL_DEVICE_NAME) + " (" + OpenClInfo.string(dev, CL_DEVICE_VERSION) + ") for " + platform;
            return new OpenClDevice(platform, ctx, q, prog, Math.max(1, alignBits / 8), new DeviceInfo(DeviceInfo.Kind.OPENCL, name, banks, false));
        } catch (CLException e) {
            if (prog != null) clReleaseProgram(prog);
            if (q != null) clReleaseCommandQueue(q);
            if (ctx != null) clReleaseContext(ctx);
            throw new DeviceException(ErrorCode.NATIVE_ERROR, "OpenCL: " + e.getMessage(), e);
        } catch (DeviceException e) {
            if (prog != null) clReleaseProgram(prog);
            if (q != null) clReleaseCommandQueue(q);
            if (ctx != null) clReleaseContext(ctx);
            throw e;
        }
    }

    private static String buildLog(cl_program prog, cl_device_id dev) {
        long[] size = new long[1];
        clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
        return new String(b, StandardCharsets.UTF_8).trim();
    }

    /** Small typed device-info getters (package-private helpers). */
    static final class OpenClInfo {
        static long uint(cl_device_id d, int p) {
            int[] v = new int[1];
            clGetDeviceInfo(d, p, Sizeof.cl_uint, Pointer.to(v), null);
            return Integer.toUnsignedLong(v[0]);
        }

        static String string(cl_device_id d, int p) {
            long[] size = new long[1];
            clGetDeviceInfo(d, p, 0, null, size);
            byte[] b = new byte[(int) size[0]];
            clGetDeviceInfo(d, p, b.length, Pointer.to(b), null);
            int n = 0;
            while (n < b.length && b[n] != 0) n++;
            return new String(b, 0, n, StandardCharsets.UTF_8).trim();
        }
    }

    @Override
    public DeviceInfo info() { return info; }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("OpenClDevice is closed");
    }

    final class ClBuffer implements DeviceBuffer {
        final cl_mem mem;
        final int bank;
        final long sizeBytes;
        boolean released;

        ClBuffer(cl_mem mem, int bank, long sizeBytes) {
            this.mem = mem;
            this.bank = bank;
            this.sizeBytes = sizeBytes;
        }

        @Override public int bank() { return bank; }

        @Override public long sizeBytes() { return sizeBytes; }

        OpenClDevice owner() { return OpenClDevice.this; }

        @Override
        public void close() {
            if (released) return;
            released = true;
            clReleaseMemObject(mem);
            buffers.remove(this);
        }
    }

    @Override
    public DeviceBuffer allocate(int bank, long sizeBytes) throws DeviceException {
        checkOpen();
        if (bank < 0 || bank >= platform.memoryBanks())
            throw new DeviceException(ErrorCode.BAD_BANK, "bank " + bank + " not in " + platform + " (banks 0.." + (platform.memoryBanks() - 1) + ")");
        if (sizeBytes <= 0) throw new DeviceException(ErrorCode.OUT_OF_RANGE, "buffer size " + sizeBytes + " bytes must be > 0");
        try {
            ClBuffer b = new ClBuffer(clCreateBuffer(context, CL_MEM_READ_WRITE, sizeBytes, null, null), bank, sizeBytes);
            buffers.add(b);
            return b;
        } catch (CLException e) {
            throw new DeviceException(ErrorCode.OUT_OF_MEMORY, "clCreateBuffer(" + sizeBytes + " bytes, bank " + bank + "): " + e.getMessage(), e);
        }
    }

    private ClBuffer own(DeviceBuffer b, String what) throws DeviceException {
        if (!(b instanceof ClBuffer c) || c.owner() != this)
            throw new DeviceException(ErrorCode.BAD_ARGUMENT, what + ": " + b + " was not allocated by this OpenClDevice");
        if (c.released) throw new IllegalStateException("ClBuffer is closed");
        return c;
    }

    private static void checkRange(ClBuffer b, long offsetBytes, long sizeBytes) throws DeviceException {
        if (offsetBytes < 0 || sizeBytes < 0 || offsetBytes > b.sizeBytes - sizeBytes) // no offset + size: it overflows
            throw new DeviceException(ErrorCode.OUT_OF_RANGE, sizeBytes + " bytes at offset " + offsetBytes + " outside the " + b.sizeBytes + "-byte buffer");
    }

    /** JOCL copies through a heap array or direct buffer; a native segment is wrapped without copying. */
    private static Pointer pointerTo(MemorySegment s) {
        return s.isNative() ? Pointer.to(s.asByteBuffer()) : Pointer.to(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }

    @Override
    public void write(DeviceBuffer dst, long offsetBytes, MemorySegment src) throws DeviceException {
        checkOpen();
        ClBuffer b = own(dst, "write");
        checkRange(b, offsetBytes, src.byteSize());
        if (src.byteSize() == 0) return;
        try {
            clEnqueueWriteBuffer(queue, b.mem, CL_TRUE, offsetBytes, src.byteSize(), pointerTo(src), 0, null, null);
        } catch (CLException e) {
            throw new DeviceException(ErrorCode.NATIVE_ERROR, "clEnqueueWriteBuffer: " + e.getMessage(), e);
        }
    }

    @Override
    public void read(DeviceBuffer src, long offsetBytes, MemorySegment dst) throws DeviceException {
        checkOpen();
        ClBuffer b = own(src, "read");
        checkRange(b, offsetBytes, dst.byteSize());
        if (dst.byteSize() == 0) return;
        try {
            if (dst.isNative()) {
                clEnqueueReadBuffer(queue, b.mem, CL_TRUE, offsetBytes, dst.byteSize(), Pointer.to(dst.asByteBuffer()), 0, null, null);
            } else {
                byte[] tmp = new byte[Math.toIntExact(dst.byteSize())];
                clEnqueueReadBuffer(queue, b.mem, CL_TRUE, offsetBytes, tmp.length, Pointer.to(tmp), 0, null, null);
                dst.copyFrom(MemorySegment.ofArray(tmp));
            }
        } catch (CLException e) {
            throw new DeviceException(ErrorCode.NATIVE_ERROR, "clEnqueueReadBuffer: " + e.getMessage(), e);
        }
    }

    private static String where(Kernel kernel, Kernel.Arg a, int i) {
        return kernel.symbol() + "." + a.name() + " (argument " + i + ")";
    }

    private static DeviceException badKind(Kernel kernel, Kernel.Arg a, int i, String got) {
        return new DeviceException(ErrorCode.BAD_ARGUMENT, where(kernel, a, i) + " is " + a.kind() + ", got " + got);
    }

    /** Work-items of one launch: one per output element. */
    static long globalSize(Kernel k, KernelArg[] args) {
        int idx = 0;
        long size = 1;
        for (Kernel.Arg a : k.args()) {
            boolean counts = switch (k) {
                case GEMV_Q8, GEMV_Q4, GEMV_F16 -> a.name().equals("rows") || a.name().equals("batch");
                default -> a.name().equals("n");
            };
            if (counts && args[idx] instanceof KernelArg.I32(int v)) size *= Math.max(0, v);
            idx++;
        }
        return size;
    }

    @Override
    public int launch(Kernel kernel, KernelArg... args) throws DeviceException {
        checkOpen();
        if (!PORTED.contains(kernel))
            throw new DeviceException(ErrorCode.BAD_BINARY, kernel.symbol() + " has no OpenCL C port; ported: "
                    + PORTED.stream().map(Kernel::symbol).toList());
        List<Kernel.Arg> sig = kernel.args();
        if (args.length != sig.size())
            throw new DeviceException(ErrorCode.BAD_ARGUMENT, kernel.symbol() + " takes " + sig.size() + " arguments, got " + args.length);
        List<cl_mem> subs = new ArrayList<>();
        try {
            cl_kernel k = kernels.computeIfAbsent(kernel, kk -> clCreateKernel(program, kk.symbol(), null));
            for (int i = 0; i < args.length; i++) {
                Kernel.Arg a = sig.get(i);
                // where(...) builds the error context only on a failure path: this loop runs for every argument of every launch
                switch (args[i]) {
                    case KernelArg.Buffer(DeviceBuffer db, long off) -> {
                        if (a.kind() != Kernel.ArgKind.POINTER) throw badKind(kernel, a, i, "a buffer");
                        ClBuffer b = db instanceof ClBuffer c && c.owner() == this && !c.released ? c : own(db, where(kernel, a, i));
                        cl_mem mem = b.mem;
                        if (off != 0) {
                            if (off < 0 || off >= b.sizeBytes)
                                throw new DeviceException(ErrorCode.OUT_OF_RANGE, where(kernel, a, i) + ": offset " + off + " outside the " + b.sizeBytes + "-byte buffer");
                            if (off % baseAddrAlignBytes != 0)
                                throw new DeviceException(ErrorCode.OUT_OF_RANGE, where(kernel, a, i) + ": offset " + off + " is not a multiple of the device's "
                                        + baseAddrAlignBytes + "-byte sub-buffer alignment");
                            cl_buffer_region region = new cl_buffer_region(off, b.sizeBytes - off);
                            mem = clCreateSubBuffer(b.mem, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, region, null);
                            subs.add(mem);
                        }
                        clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(mem));
                    }
                    case KernelArg.Null() -> {
                        if (a.kind() != Kernel.ArgKind.POINTER) throw badKind(kernel, a, i, "a null pointer");
                        clSetKernelArg(k, i, Sizeof.cl_mem, null);
                    }
                    case KernelArg.I32(int v) -> {
                        if (a.kind() != Kernel.ArgKind.INT) throw badKind(kernel, a, i, "an int");
                        clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                    }
                    case KernelArg.F32(float v) -> {
                        if (a.kind() != Kernel.ArgKind.FLOAT) throw badKind(kernel, a, i, "a float");
                        clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
                    }
                }
            }
            long global = globalSize(kernel, args);
            if (global > 0) {
                clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {global}, null, 0, null, null);
                clFinish(queue);
            }
            return 0;
        } catch (CLException e) {
            throw new DeviceException(ErrorCode.NATIVE_ERROR, kernel.symbol() + ": " + e.getMessage(), e);
        } finally {
            for (cl_mem m : subs) clReleaseMemObject(m);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (ClBuffer b : new ArrayList<>(buffers)) b.close();
        kernels.values().forEach(org.jocl.CL::clReleaseKernel);
        kernels.clear();
        clReleaseProgram(program);
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
