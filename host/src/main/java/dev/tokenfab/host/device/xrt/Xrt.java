package dev.tokenfab.host.device.xrt;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.DeviceException.ErrorCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * XRT's nouns over its C API: {@link Device} → {@link Xclbin} uuid → {@link Kernel} → {@link Bo}
 * (size, memory group) → {@link Run}. Each is a small final class owning one native handle;
 * {@code close()} frees it after closing the handles it created, newest first (XRT segfaults at
 * exit if a BO or kernel outlives its device). Using a closed handle throws
 * {@link IllegalStateException} naming the class. Native failures (NULL handle, negative return)
 * become {@link DeviceException} with the call, the culprit and errno; XRT prints its own
 * message on stderr. Not thread-safe.
 */
public final class Xrt {

    private Xrt() {}

    /** Common base: the handle, the closed flag and the children closed before this one. */
    abstract static sealed class Handle implements AutoCloseable permits Device, Xclbin, Kernel, Bo, Run {
        final XrtLibrary lib;
        final MemorySegment handle;
        private final Handle parent;
        private final List<Handle> children = new ArrayList<>();
        private boolean closed;

        Handle(XrtLibrary lib, MemorySegment handle, Handle parent) {
            this.lib = lib;
            this.handle = handle;
            this.parent = parent;
            if (parent != null) parent.children.add(this);
        }

        final void checkOpen() {
            if (closed) throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }

        public final boolean isClosed() { return closed; }

        /** Frees the native handle with the library's close/free call; returns its status. */
        abstract int free() throws Throwable;

        @Override
        public final void close() {
            if (closed) return;
            for (int i = children.size() - 1; i >= 0; i--) children.get(i).close();
            closed = true;
            if (parent != null) {
                // searched from the end: children close newest first (a parent closing its thousands of cached sub-BOs or runs)
                int at = parent.children.lastIndexOf(this);
                if (at >= 0) parent.children.remove(at);
            }
            try {
                free();
            } catch (Throwable t) {
                throw new IllegalStateException(getClass().getSimpleName() + ": native close failed", t);
            }
        }
    }

    /** A failed call: XRT's own message (read back from its log) and errno. */
    static DeviceException fail(XrtLibrary lib, ErrorCode code, String call, String culprit, MemorySegment state) {
        String xrt = lib.takeMessages();
        return new DeviceException(code, call + "(" + culprit + ") failed: " + (xrt.isEmpty() ? "" : "XRT " + xrt + "; ")
                + XrtLibrary.describeErrno(XrtLibrary.errno(state)));
    }

    static DeviceException nativeError(String call, Throwable t) {
        return new DeviceException(ErrorCode.NATIVE_ERROR, call + ": " + t, t);
    }

    static UUID uuidOf(MemorySegment sixteen) {
        ByteBuffer b = sixteen.asByteBuffer();
        return new UUID(b.getLong(0), b.getLong(8));
    }

    static MemorySegment uuidBytes(Arena a, UUID u) {
        MemorySegment s = a.allocate(16);
        s.asByteBuffer().putLong(0, u.getMostSignificantBits()).putLong(8, u.getLeastSignificantBits());
        return s;
    }

    /**
     * Devices still open, newest last. XRT crashes the process at exit when a device still owns
     * BOs or kernels, so a shutdown hook closes whatever the program left open.
     */
    private static final java.util.Set<Device> OPEN_DEVICES = new java.util.LinkedHashSet<>();
    private static boolean exitHookInstalled;

    private static synchronized void track(Device d) {
        if (!exitHookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(Xrt::closeLeftovers, "tokenfab-xrt-exit"));
            exitHookInstalled = true;
        }
        OPEN_DEVICES.add(d);
    }

    private static synchronized void untrack(Device d) { OPEN_DEVICES.remove(d); }

    private static void closeLeftovers() {
        List<Device> left;
        synchronized (Xrt.class) { left = new ArrayList<>(OPEN_DEVICES); }
        for (int i = left.size() - 1; i >= 0; i--) {
            try {
                left.get(i).close();
            } catch (RuntimeException e) {
                System.err.println("tokenfab: closing XRT device " + left.get(i).index() + " at exit failed: " + e);
            }
        }
    }

    /** An opened device (card or noop shim). */
    public static final class Device extends Handle {
        private final int index;

        private Device(XrtLibrary lib, MemorySegment h, int index) {
            super(lib, h, null);
            this.index = index;
            track(this);
        }

        /**
         * Opens device {@code index}.
         *
         * @throws DeviceException UNAVAILABLE (environment, see {@link XrtLibrary}) or NO_DEVICE
         */
        public static Device open(int index) throws DeviceException {
            XrtLibrary lib = XrtLibrary.get();
            if (index < 0) throw new DeviceException(ErrorCode.NO_DEVICE, "device index " + index + " < 0");
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment h = (MemorySegment) lib.deviceOpen.invokeExact(st, index);
                if (h.equals(MemorySegment.NULL)) {
                    String xrt = lib.takeMessages();
                    throw new DeviceException(ErrorCode.NO_DEVICE, "xrtDeviceOpen(" + index + "): no XRT device at index " + index
                            + (lib.emulated() ? "" : " (no Alveo card found; for emulation set XCL_EMULATION_MODE=noop)")
                            + (xrt.isEmpty() ? "" : "; XRT " + xrt) + "; " + XrtLibrary.describeErrno(XrtLibrary.errno(st)));
                }
                return new Device(lib, h, index);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtDeviceOpen", t);
            }
        }

        public int index() { return index; }

        /** True when this is the noop shim: XRT calls succeed, nothing computes. */
        public boolean emulated() { return lib.emulated(); }

        /** Loads {@code xclbin} onto the device and returns its uuid. */
        public UUID load(Xclbin xclbin) throws DeviceException {
            checkOpen();
            xclbin.checkOpen();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                int rc = (int) lib.deviceLoadXclbinHandle.invokeExact(st, handle, xclbin.handle);
                if (rc != 0) throw fail(lib, ErrorCode.BAD_BINARY, "xrtDeviceLoadXclbinHandle", xclbin.source(), st);
                return xclbin.uuid();
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtDeviceLoadXclbinHandle", t);
            }
        }

        /** The uuid of the xclbin currently loaded (all zeros when none). */
        public UUID xclbinUuid() throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a), out = a.allocate(16);
                int rc = (int) lib.deviceGetXclbinUuid.invokeExact(st, handle, out);
                if (rc != 0) throw fail(lib, ErrorCode.NATIVE_ERROR, "xrtDeviceGetXclbinUUID", "device " + index, st);
                return uuidOf(out);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtDeviceGetXclbinUUID", t);
            }
        }

        /** Opens kernel {@code name} of the loaded xclbin {@code uuid} (shared access to its compute units). */
        public Kernel openKernel(UUID uuid, String name) throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment h = (MemorySegment) lib.plKernelOpen.invokeExact(st, handle, uuidBytes(a, uuid), a.allocateFrom(name));
                if (h.equals(MemorySegment.NULL))
                    throw fail(lib, ErrorCode.BAD_BINARY, "xrtPLKernelOpen", "kernel '" + name + "' in xclbin " + uuid, st);
                return new Kernel(lib, h, this, name);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtPLKernelOpen", t);
            }
        }

        /**
         * Allocates a buffer object of {@code sizeBytes} in memory group {@code group} (an index of the
         * loaded xclbin's memory topology, as {@link Kernel#groupId} returns).
         */
        public Bo allocate(long sizeBytes, int group) throws DeviceException {
            checkOpen();
            if (sizeBytes <= 0) throw new DeviceException(ErrorCode.OUT_OF_RANGE, "BO size " + sizeBytes + " bytes must be > 0");
            if (group < 0) throw new DeviceException(ErrorCode.BAD_BANK, "memory group " + group + " < 0");
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment h = (MemorySegment) lib.boAlloc.invokeExact(st, handle, sizeBytes, 0L /* XRT_BO_FLAGS_NONE */, group);
                if (h.equals(MemorySegment.NULL))
                    throw fail(lib, ErrorCode.OUT_OF_MEMORY, "xrtBOAlloc", sizeBytes + " bytes in group " + group, st);
                return new Bo(lib, h, this, sizeBytes, group);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtBOAlloc", t);
            }
        }

        @Override
        int free() throws Throwable {
            untrack(this);
            try (Arena a = Arena.ofConfined()) {
                return (int) lib.deviceClose.invokeExact(XrtLibrary.callState(a), handle);
            }
        }
    }

    /** An xclbin image read by XRT (not yet on a device). */
    public static final class Xclbin extends Handle {
        private final String source;

        private Xclbin(XrtLibrary lib, MemorySegment h, String source) {
            super(lib, h, null);
            this.source = source;
        }

        /** @throws DeviceException BAD_BINARY when XRT refuses the file (XRT says why on stderr) */
        public static Xclbin fromFile(Path file) throws DeviceException {
            XrtLibrary lib = XrtLibrary.get();
            if (!java.nio.file.Files.isReadable(file))
                throw new DeviceException(ErrorCode.BAD_BINARY, "xclbin " + file + " does not exist or is not readable");
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment h = (MemorySegment) lib.xclbinAllocFilename.invokeExact(st, a.allocateFrom(file.toString()));
                if (h.equals(MemorySegment.NULL)) throw fail(lib, ErrorCode.BAD_BINARY, "xrtXclbinAllocFilename", file.toString(), st);
                return new Xclbin(lib, h, file.toString());
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtXclbinAllocFilename", t);
            }
        }

        /** @param source name for messages */
        public static Xclbin fromBytes(byte[] image, String source) throws DeviceException {
            XrtLibrary lib = XrtLibrary.get();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment data = a.allocate(Math.max(1, image.length));
                data.copyFrom(MemorySegment.ofArray(image));
                MemorySegment h = (MemorySegment) lib.xclbinAllocRawData.invokeExact(st, data, image.length);
                if (h.equals(MemorySegment.NULL)) throw fail(lib, ErrorCode.BAD_BINARY, "xrtXclbinAllocRawData", source, st);
                return new Xclbin(lib, h, source);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtXclbinAllocRawData", t);
            }
        }

        public String source() { return source; }

        public UUID uuid() throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a), out = a.allocate(16);
                int rc = (int) lib.xclbinGetUuid.invokeExact(st, handle, out);
                if (rc != 0) throw fail(lib, ErrorCode.BAD_BINARY, "xrtXclbinGetUUID", source, st);
                return uuidOf(out);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtXclbinGetUUID", t);
            }
        }

        /** The platform (XSA) name XRT reads from the image header. */
        public String platformName() throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a), buf = a.allocate(256), len = a.allocate(JAVA_INT);
                int rc = (int) lib.xclbinGetXsaName.invokeExact(st, handle, buf, 256, len);
                if (rc != 0) throw fail(lib, ErrorCode.BAD_BINARY, "xrtXclbinGetXSAName", source, st);
                return buf.getString(0);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtXclbinGetXSAName", t);
            }
        }

        /** Number of PL kernels XRT finds in the image's metadata. */
        public long kernelCount() throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                return (long) lib.xclbinGetNumKernels.invokeExact(XrtLibrary.callState(a), handle);
            } catch (Throwable t) {
                throw nativeError("xrtXclbinGetNumKernels", t);
            }
        }

        @Override
        int free() throws Throwable {
            try (Arena a = Arena.ofConfined()) {
                return (int) lib.xclbinFreeHandle.invokeExact(XrtLibrary.callState(a), handle);
            }
        }
    }

    /** A kernel opened on a device; creates runs. */
    public static final class Kernel extends Handle {
        private final String name;

        private Kernel(XrtLibrary lib, MemorySegment h, Device d, String name) {
            super(lib, h, d);
            this.name = name;
        }

        public String name() { return name; }

        /**
         * The memory group a pointer argument is wired to (with several, XRT picks one). Only call it
         * for pointer arguments: for a scalar XRT logs an error and returns -1.
         */
        public int groupId(int argIndex) throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                int g = (int) lib.kernelArgGroupId.invokeExact(st, handle, argIndex);
                if (g < 0) throw fail(lib, ErrorCode.BAD_ARGUMENT, "xrtKernelArgGroupId", name + " arg " + argIndex, st);
                return g;
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtKernelArgGroupId", t);
            }
        }

        public Run openRun() throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment h = (MemorySegment) lib.runOpen.invokeExact(st, handle);
                if (h.equals(MemorySegment.NULL)) throw fail(lib, ErrorCode.NATIVE_ERROR, "xrtRunOpen", name, st);
                return new Run(lib, h, this);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtRunOpen", t);
            }
        }

        @Override
        int free() throws Throwable {
            try (Arena a = Arena.ofConfined()) {
                return (int) lib.kernelClose.invokeExact(XrtLibrary.callState(a), handle);
            }
        }
    }

    /** A buffer object: device memory in one memory group, with a host backing store. */
    public static final class Bo extends Handle {
        private final long sizeBytes;
        private final int group;
        private final long parentOffsetBytes;
        private MemorySegment mapped;

        private Bo(XrtLibrary lib, MemorySegment h, Handle parent, long sizeBytes, int group) {
            this(lib, h, parent, sizeBytes, group, 0);
        }

        private Bo(XrtLibrary lib, MemorySegment h, Handle parent, long sizeBytes, int group, long parentOffsetBytes) {
            super(lib, h, parent);
            this.sizeBytes = sizeBytes;
            this.group = group;
            this.parentOffsetBytes = parentOffsetBytes;
        }

        public long sizeBytes() { return sizeBytes; }

        public int group() { return group; }

        /** Offset in the parent BO for a sub-buffer, else 0. */
        public long parentOffsetBytes() { return parentOffsetBytes; }

        /** The size XRT reports ({@code xrtBOSize}). */
        public long nativeSizeBytes() throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                return (long) lib.boSize.invokeExact(XrtLibrary.callState(a), handle);
            } catch (Throwable t) {
                throw nativeError("xrtBOSize", t);
            }
        }

        private void checkRange(String what, long offsetBytes, long sizeBytes) throws DeviceException {
            if (offsetBytes < 0 || sizeBytes < 0 || offsetBytes > this.sizeBytes - sizeBytes) // no offset + size: it overflows
                throw new DeviceException(ErrorCode.OUT_OF_RANGE, what + " of " + sizeBytes + " bytes at offset " + offsetBytes
                        + " outside the " + this.sizeBytes + "-byte BO (group " + group + ")");
        }

        /** Copies {@code src} into the host backing store at {@code offsetBytes} ({@code xrtBOWrite}); sync to make it visible to the device. */
        public void write(MemorySegment src, long offsetBytes) throws DeviceException {
            checkOpen();
            checkRange("write", offsetBytes, src.byteSize());
            if (src.byteSize() == 0) return;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment nativeSrc = src.isNative() ? src : a.allocate(src.byteSize()).copyFrom(src);
                int rc = (int) lib.boWrite.invokeExact(st, handle, nativeSrc, src.byteSize(), offsetBytes);
                if (rc != 0) throw fail(lib, ErrorCode.NATIVE_ERROR, "xrtBOWrite", src.byteSize() + " bytes at " + offsetBytes, st);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtBOWrite", t);
            }
        }

        /** Copies the host backing store at {@code offsetBytes} into {@code dst} ({@code xrtBORead}); sync from the device first. */
        public void read(MemorySegment dst, long offsetBytes) throws DeviceException {
            checkOpen();
            checkRange("read", offsetBytes, dst.byteSize());
            if (dst.byteSize() == 0) return;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment nativeDst = dst.isNative() ? dst : a.allocate(dst.byteSize());
                int rc = (int) lib.boRead.invokeExact(st, handle, nativeDst, dst.byteSize(), offsetBytes);
                if (rc != 0) throw fail(lib, ErrorCode.NATIVE_ERROR, "xrtBORead", dst.byteSize() + " bytes at " + offsetBytes, st);
                if (!dst.isNative()) dst.copyFrom(nativeDst);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtBORead", t);
            }
        }

        /** Moves {@code sizeBytes} at {@code offsetBytes} between host backing store and device memory. */
        public void sync(SyncDirection direction, long sizeBytes, long offsetBytes) throws DeviceException {
            checkOpen();
            checkRange("sync " + direction, offsetBytes, sizeBytes);
            try {
                MemorySegment st = XrtLibrary.callState();
                int rc = (int) lib.boSync.invokeExact(st, handle, direction.value, sizeBytes, offsetBytes);
                if (rc != 0) throw fail(lib, ErrorCode.NATIVE_ERROR, "xrtBOSync", direction + " " + sizeBytes + " bytes at " + offsetBytes, st);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtBOSync", t);
            }
        }

        /** The host backing store mapped into this process, valid until this BO is closed. */
        public MemorySegment map() throws DeviceException {
            checkOpen();
            if (mapped != null) return mapped;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment p = (MemorySegment) lib.boMap.invokeExact(st, handle);
                if (p.equals(MemorySegment.NULL)) throw fail(lib, ErrorCode.NATIVE_ERROR, "xrtBOMap", "group " + group, st);
                mapped = p.reinterpret(sizeBytes);
                return mapped;
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtBOMap", t);
            }
        }

        /** Device address of the buffer ({@code xrtBOAddress}). */
        public long deviceAddress() throws DeviceException {
            checkOpen();
            try (Arena a = Arena.ofConfined()) {
                return (long) lib.boAddress.invokeExact(XrtLibrary.callState(a), handle);
            } catch (Throwable t) {
                throw nativeError("xrtBOAddress", t);
            }
        }

        /** A sub-buffer of {@code sizeBytes} at {@code offsetBytes} sharing this BO's memory; closed before this BO. */
        public Bo subBuffer(long sizeBytes, long offsetBytes) throws DeviceException {
            checkOpen();
            checkRange("sub-buffer", offsetBytes, sizeBytes);
            if (sizeBytes == 0) throw new DeviceException(ErrorCode.OUT_OF_RANGE, "sub-buffer of 0 bytes");
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = XrtLibrary.callState(a);
                MemorySegment h = (MemorySegment) lib.boSubAlloc.invokeExact(st, handle, sizeBytes, offsetBytes);
                if (h.equals(MemorySegment.NULL))
                    throw fail(lib, ErrorCode.NATIVE_ERROR, "xrtBOSubAlloc", sizeBytes + " bytes at " + offsetBytes, st);
                return new Bo(lib, h, this, sizeBytes, group, parentOffsetBytes + offsetBytes);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtBOSubAlloc", t);
            }
        }

        @Override
        int free() throws Throwable {
            mapped = null;
            try (Arena a = Arena.ofConfined()) {
                return (int) lib.boFree.invokeExact(XrtLibrary.callState(a), handle);
            }
        }
    }

    /** One execution context of a kernel: set arguments, start, wait. Reusable after completion. */
    public static final class Run extends Handle {
        private final Kernel kernel;

        private Duration lastTimeout;
        private int lastTimeoutMs;

        private Run(XrtLibrary lib, MemorySegment h, Kernel k) {
            super(lib, h, k);
            this.kernel = k;
        }

        public void setArg(int index, Bo bo) throws DeviceException {
            checkOpen();
            bo.checkOpen();
            try {
                int rc = (int) lib.runSetArgPointerHot.invokeExact(handle, index, bo.handle);
                if (rc != 0) throw fail(lib, ErrorCode.BAD_ARGUMENT, "xrtRunSetArg", kernel.name() + " arg " + index + " = BO", XrtLibrary.NOT_CAPTURED);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtRunSetArg", t);
            }
        }

        public void setArg(int index, int value) throws DeviceException {
            checkOpen();
            try {
                int rc = (int) lib.runSetArgIntHot.invokeExact(handle, index, value);
                if (rc != 0) throw fail(lib, ErrorCode.BAD_ARGUMENT, "xrtRunSetArg", kernel.name() + " arg " + index + " = " + value, XrtLibrary.NOT_CAPTURED);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtRunSetArg", t);
            }
        }

        /** A float argument: C's default argument promotion passes it to the variadic call as a double. */
        public void setArg(int index, float value) throws DeviceException {
            checkOpen();
            try {
                int rc = (int) lib.runSetArgDoubleHot.invokeExact(handle, index, (double) value);
                if (rc != 0) throw fail(lib, ErrorCode.BAD_ARGUMENT, "xrtRunSetArg", kernel.name() + " arg " + index + " = " + value + "f", XrtLibrary.NOT_CAPTURED);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtRunSetArg", t);
            }
        }

        public void start() throws DeviceException {
            checkOpen();
            try {
                int rc = (int) lib.runStartHot.invokeExact(handle);
                if (rc != 0) throw fail(lib, ErrorCode.NATIVE_ERROR, "xrtRunStart", kernel.name(), XrtLibrary.NOT_CAPTURED);
            } catch (DeviceException e) {
                throw e;
            } catch (Throwable t) {
                throw nativeError("xrtRunStart", t);
            }
        }

        /**
         * Waits up to {@code timeout} and returns the state then: {@link RunState#COMPLETED} on success,
         * a {@linkplain RunState#pending() pending} state if the time ran out, an error state otherwise.
         */
        public RunState await(Duration timeout) throws DeviceException {
            checkOpen();
            if (timeout != lastTimeout) {   // converted once per Duration instance: the wait is on the per-kernel hot path
                lastTimeoutMs = timeoutMillis(timeout);
                lastTimeout = timeout;
            }
            int ms = lastTimeoutMs;
            try {
                return RunState.of((int) lib.runWaitForHot.invokeExact(handle, ms));
            } catch (Throwable t) {
                throw nativeError("xrtRunWaitFor", t);
            }
        }

        public RunState state() throws DeviceException {
            checkOpen();
            try {
                return RunState.of((int) lib.runState.invokeExact(XrtLibrary.callState(), handle));
            } catch (Throwable t) {
                throw nativeError("xrtRunState", t);
            }
        }

        @Override
        int free() throws Throwable {
            try (Arena a = Arena.ofConfined()) {
                return (int) lib.runClose.invokeExact(XrtLibrary.callState(a), handle);
            }
        }
    }

    /**
     * {@code xrtRunWaitFor} takes an unsigned millisecond count where 0 means "forever": a positive
     * Duration rounds up to at least 1 ms and saturates at 2^32-1 ms (passed as its int bit pattern).
     *
     * @throws IllegalArgumentException for a zero or negative timeout
     */
    /** Largest unsigned int: xrtRunWaitFor's {@code unsigned int timeout_ms}. */
    static final long MAX_WAIT_MS = 0xFFFF_FFFFL;

    static int timeoutMillis(Duration timeout) {
        if (timeout.isZero() || timeout.isNegative())
            throw new IllegalArgumentException("run timeout must be positive, got " + timeout);
        if (timeout.compareTo(Duration.ofMillis(MAX_WAIT_MS)) >= 0) return (int) MAX_WAIT_MS;
        long ms = timeout.toMillis() + (timeout.toNanosPart() % 1_000_000 == 0 ? 0 : 1);
        return (int) Math.max(1, ms);
    }

}
