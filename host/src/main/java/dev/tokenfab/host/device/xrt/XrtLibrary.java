package dev.tokenfab.host.device.xrt;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.DeviceException.ErrorCode;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The FFM binding to XRT's C API in {@code libxrt_coreutil.so.2} (XRT 2.13, signatures from
 * {@code /usr/include/xrt/xrt/xrt_{device,bo,kernel}.h} and {@code experimental/xrt_xclbin.h}).
 *
 * <p>XRT must not be touched before the environment is right, because the failure modes are
 * process-wide: with {@code XILINX_XRT} unset any XRT error aborts the JVM; an unknown
 * {@code XCL_EMULATION_MODE} aborts while naming the shim; {@code sw_emu}/{@code hw_emu} call
 * {@code exit(1)} or hang without Vitis. {@link #check} refuses those environments before the
 * library is loaded; {@link #get} loads it once per process. The shim is chosen by XRT at the
 * first device call from the environment of that moment, so it cannot change afterwards.
 *
 * <p>The environment XRT needs here (Debian's libxrt1 installs the shims in the multiarch libdir,
 * XRT looks in {@code $XILINX_XRT/lib}):
 * <pre>
 * mkdir -p ~/.tokenfab/xrt &amp;&amp; ln -sfn /usr/lib/x86_64-linux-gnu ~/.tokenfab/xrt/lib
 * export XILINX_XRT=~/.tokenfab/xrt XCL_EMULATION_MODE=noop     # noop: no card, no compute
 * </pre>
 * On a machine with an Alveo card and a full XRT install, {@code XILINX_XRT=/opt/xilinx/xrt} and
 * no {@code XCL_EMULATION_MODE}.
 */
public final class XrtLibrary {

    /** The XRT user library with the C API. */
    public static final String LIBRARY = "libxrt_coreutil.so.2";
    static final String NOOP_SHIM = "libxrt_noop.so.2";
    static final String HW_SHIM = "libxrt_core.so.2";
    /** Where Debian puts the shims; the fix message links XILINX_XRT/lib to it. */
    static final String DEBIAN_LIBDIR = "/usr/lib/x86_64-linux-gnu";

    /** Why XRT can or cannot be used in this process. */
    public sealed interface Availability {
        /** @param shim the shim library XRT will load; @param emulated true for the noop shim (no compute on a card) */
        record Available(Path shim, boolean emulated) implements Availability {}

        /** @param reason what is wrong; @param fix what to do about it */
        record Unavailable(String reason, String fix) implements Availability {}
    }

    /** The environment check, without touching XRT. Pure: takes the environment as a map so tests can vary it. */
    public static Availability check(Map<String, String> env) {
        String fix = "mkdir -p ~/.tokenfab/xrt && ln -sfn " + DEBIAN_LIBDIR + " ~/.tokenfab/xrt/lib && "
                + "export XILINX_XRT=$HOME/.tokenfab/xrt XCL_EMULATION_MODE=noop (emulation), "
                + "or XILINX_XRT=/opt/xilinx/xrt without XCL_EMULATION_MODE on a machine with an Alveo card";
        String mode = env.get("XCL_EMULATION_MODE");
        if (mode != null && !mode.equals("noop"))
            return new Availability.Unavailable("XCL_EMULATION_MODE=" + mode + ": only 'noop' (or unset, for a card) can run "
                    + "inside the JVM; sw_emu/hw_emu exit or hang without Vitis and other values abort XRT",
                    "set XCL_EMULATION_MODE=noop or unset it");
        String root = env.get("XILINX_XRT");
        if (root == null || root.isBlank())
            return new Availability.Unavailable("XILINX_XRT is not set; without it XRT aborts the process on its first error", fix);
        Path shim = Path.of(root, "lib", mode == null ? HW_SHIM : NOOP_SHIM);
        if (!Files.isReadable(shim))
            return new Availability.Unavailable("XRT shim " + shim + " not found (XILINX_XRT=" + root + ")", fix);
        return new Availability.Available(shim, mode != null);
    }

    private static volatile XrtLibrary instance;

    /**
     * The loaded library, after {@link #check} of this process's environment passed.
     *
     * @throws DeviceException {@link ErrorCode#UNAVAILABLE} with the reason and the fix
     */
    public static XrtLibrary get() throws DeviceException {
        XrtLibrary lib = instance;
        if (lib != null) return lib;
        synchronized (XrtLibrary.class) {
            if (instance != null) return instance;
            Availability a = check(System.getenv());
            if (a instanceof Availability.Unavailable(String reason, String fix))
                throw new DeviceException(ErrorCode.UNAVAILABLE, "XRT: " + reason + "; fix: " + fix);
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
            } catch (IllegalArgumentException e) {
                throw new DeviceException(ErrorCode.UNAVAILABLE, "XRT: cannot load " + LIBRARY + " (" + e.getMessage()
                        + "); install Debian's libxrt1 / libxrt-dev or AMD's XRT", e);
            }
            XrtLibrary loaded = new XrtLibrary(lookup, ((Availability.Available) a).emulated());
            loaded.redirectMessages(System.getenv("XRT_INI_PATH") != null);
            instance = loaded;
            return instance;
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_VALUE = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    static final ValueLayout SIZE_T = JAVA_LONG;

    final boolean emulated;
    /** XRT's message log (Runtime.runtime_log), read back into exceptions; null when the user's xrt.ini decides. */
    private Path messageLog;
    private long messageLogReadBytes;
    final MethodHandle iniStringSet;
    // device
    final MethodHandle deviceOpen, deviceClose, deviceLoadXclbinHandle, deviceGetXclbinUuid;
    // xclbin
    final MethodHandle xclbinAllocFilename, xclbinAllocRawData, xclbinFreeHandle, xclbinGetUuid, xclbinGetXsaName, xclbinGetNumKernels;
    // bo
    final MethodHandle boAlloc, boSubAlloc, boFree, boSize, boWrite, boRead, boSync, boMap, boAddress;
    // kernel and run
    final MethodHandle plKernelOpen, kernelClose, kernelArgGroupId, runOpen, runSetArgPointer, runSetArgInt, runSetArgDouble,
            runStart, runWaitFor, runState, runClose;
    /**
     * The per-kernel-run calls without errno capture: the JDK's capture path slices the call-state
     * segment on every call (a heap allocation per downcall where C2 does not remove it, measured
     * with JFR 2026-12-02). A failure still carries XRT's own message; errno reads "not captured".
     */
    final MethodHandle runSetArgPointerHot, runSetArgIntHot, runSetArgDoubleHot, runStartHot, runWaitForHot;

    private XrtLibrary(SymbolLookup l, boolean emulated) {
        this.emulated = emulated;
        iniStringSet = h(l, "xrtIniStringSet", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        deviceOpen = h(l, "xrtDeviceOpen", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        deviceClose = h(l, "xrtDeviceClose", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        deviceLoadXclbinHandle = h(l, "xrtDeviceLoadXclbinHandle", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        deviceGetXclbinUuid = h(l, "xrtDeviceGetXclbinUUID", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        xclbinAllocFilename = h(l, "xrtXclbinAllocFilename", FunctionDescriptor.of(ADDRESS, ADDRESS));
        xclbinAllocRawData = h(l, "xrtXclbinAllocRawData", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        xclbinFreeHandle = h(l, "xrtXclbinFreeHandle", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        xclbinGetUuid = h(l, "xrtXclbinGetUUID", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        xclbinGetXsaName = h(l, "xrtXclbinGetXSAName", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        xclbinGetNumKernels = h(l, "xrtXclbinGetNumKernels", FunctionDescriptor.of(SIZE_T, ADDRESS));
        // xrtBOAlloc(xrtDeviceHandle, size_t, xrtBufferFlags = uint64_t, xrtMemoryGroup = uint32_t)
        boAlloc = h(l, "xrtBOAlloc", FunctionDescriptor.of(ADDRESS, ADDRESS, SIZE_T, JAVA_LONG, JAVA_INT));
        boSubAlloc = h(l, "xrtBOSubAlloc", FunctionDescriptor.of(ADDRESS, ADDRESS, SIZE_T, SIZE_T));
        boFree = h(l, "xrtBOFree", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        boSize = h(l, "xrtBOSize", FunctionDescriptor.of(SIZE_T, ADDRESS));
        boWrite = h(l, "xrtBOWrite", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, SIZE_T, SIZE_T));
        boRead = h(l, "xrtBORead", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, SIZE_T, SIZE_T));
        boSync = h(l, "xrtBOSync", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, SIZE_T, SIZE_T));
        boMap = h(l, "xrtBOMap", FunctionDescriptor.of(ADDRESS, ADDRESS));
        boAddress = h(l, "xrtBOAddress", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        plKernelOpen = h(l, "xrtPLKernelOpen", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        kernelClose = h(l, "xrtKernelClose", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        kernelArgGroupId = h(l, "xrtKernelArgGroupId", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        runOpen = h(l, "xrtRunOpen", FunctionDescriptor.of(ADDRESS, ADDRESS));
        // xrtRunSetArg(xrtRunHandle, int index, ...): the value is variadic; C promotes float to double
        var setArg = l.find("xrtRunSetArg").orElseThrow();
        runSetArgPointer = LINKER.downcallHandle(setArg, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS),
                Linker.Option.firstVariadicArg(2), ERRNO);
        runSetArgInt = LINKER.downcallHandle(setArg, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2), ERRNO);
        runSetArgDouble = LINKER.downcallHandle(setArg, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_DOUBLE),
                Linker.Option.firstVariadicArg(2), ERRNO);
        runSetArgPointerHot = LINKER.downcallHandle(setArg, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(2));
        runSetArgIntHot = LINKER.downcallHandle(setArg, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
        runSetArgDoubleHot = LINKER.downcallHandle(setArg, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_DOUBLE), Linker.Option.firstVariadicArg(2));
        runStartHot = LINKER.downcallHandle(l.find("xrtRunStart").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        runWaitForHot = LINKER.downcallHandle(l.find("xrtRunWaitFor").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        runStart = h(l, "xrtRunStart", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        runWaitFor = h(l, "xrtRunWaitFor", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        runState = h(l, "xrtRunState", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        runClose = h(l, "xrtRunClose", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** Every handle captures errno: its first parameter is the call-state segment. */
    private static MethodHandle h(SymbolLookup l, String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(l.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " lacks " + name)), d, ERRNO);
    }

    /**
     * Points XRT's message log ({@code Runtime.runtime_log}, normally the console) at a file of this
     * process, before XRT reads its configuration, so that the reason XRT gives for a failure ends
     * up in the {@link DeviceException} instead of on stderr. Skipped when the user has an xrt.ini
     * ({@code XRT_INI_PATH}).
     */
    private void redirectMessages(boolean userIni) {
        if (userIni) return;
        try (Arena a = Arena.ofConfined()) {
            Path log = Files.createTempFile("tokenfab-xrt-", ".log");
            log.toFile().deleteOnExit();
            int rc = (int) iniStringSet.invokeExact(callState(a), a.allocateFrom("Runtime.runtime_log"), a.allocateFrom(log.toString()));
            if (rc == 0) messageLog = log;
        } catch (Throwable t) {
            messageLog = null;   // messages stay on stderr; errors still carry errno
        }
    }

    /**
     * XRT's ERROR/WARNING lines logged since the last call, without their timestamp prefix, joined
     * with "; " (empty when none or when messages go to the console).
     */
    synchronized String takeMessages() {
        if (messageLog == null) return "";
        try (var ch = java.nio.channels.FileChannel.open(messageLog)) {
            long size = ch.size();
            if (size <= messageLogReadBytes) return "";
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) Math.min(size - messageLogReadBytes, 1 << 16));
            ch.read(buf, messageLogReadBytes);
            messageLogReadBytes = size;
            List<String> out = new java.util.ArrayList<>();
            for (String line : new String(buf.array(), 0, buf.position(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                int at = Math.max(line.indexOf("ERROR: "), line.indexOf("WARNING: "));
                if (at >= 0) out.add(line.substring(at).trim());
            }
            return String.join("; ", out);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** True when the noop shim is loaded: XRT runs, no card computes. */
    public boolean emulated() { return emulated; }

    /** A call-state segment for one native call. */
    static MemorySegment callState(Arena arena) { return arena.allocate(CALL_STATE); }

    /** This thread's reusable call-state segment, for hot calls that need no other native memory. */
    private static final ThreadLocal<MemorySegment> THREAD_CALL_STATE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    static MemorySegment callState() { return THREAD_CALL_STATE.get(); }

    static int errno(MemorySegment state) { return (int) ERRNO_VALUE.get(state, 0L); }

    /** A zeroed call state for failures of the hot calls, which do not capture errno. */
    static final MemorySegment NOT_CAPTURED = Arena.global().allocate(CALL_STATE);

    /** "errno 22 (Invalid argument)"; XRT prints its own "[XRT] ERROR: ..." line on stderr. */
    static String describeErrno(int errno) {
        if (errno == 0) return "no errno";
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return "errno " + errno + " (" + s.reinterpret(256).getString(0) + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
