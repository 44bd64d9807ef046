package dev.tokenfab.host.device;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.kernels.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The emulated card: the memory banks of a {@link Platform} backed by host memory, and the HLS
 * kernels' C-simulation build called through FFM on those buffers. Compute is real (the same C++
 * sources synthesis uses); timing and power of the card are not measured here, only modeled from
 * the plan.
 *
 * <p>Each buffer owns a shared {@link Arena}: closing it returns its memory and its bytes to the
 * bank's budget. Bank capacities come from the platform, so a plan that overfills a pseudo-channel
 * fails here as it would on the card ({@code OUT_OF_MEMORY}). A capacity cap per bank can shrink the
 * emulated card (to test models larger than the card's memory).
 *
 * <p>Threading: not thread-safe in general (as {@link Device}), with one documented exception the
 * runtime's weight streamer relies on: {@link #write} into one buffer may run on another thread
 * concurrently with {@link #launch}, {@link #read}, {@link #allocate} and buffer closes on other
 * buffers, because {@code write} reads only the device's and its buffer's open flags and copies
 * bytes (it neither reads nor mutates the bank accounting or the open-buffer set). Closing the
 * device, or the buffer being written, while a write runs is not allowed.
 */
public final class EmuDevice implements Device, LaunchRecorder {

    /** Resolves a kernel to its FFM downcall handle (the C-simulation library). */
    @FunctionalInterface
    public interface KernelBinding {
        MethodHandle handle(Kernel kernel) throws DeviceException;

        /**
         * The kernel's downcall taking each POINTER argument as its raw address ({@code long}), or
         * null when this binding has none (launches then wrap each address in a segment, one
         * allocation per pointer and launch).
         */
        default MethodHandle addressHandle(Kernel kernel) throws DeviceException { return null; }

        /** {@code (long programAddress, int commands) -> int} of tf_exec_program, or null: no {@link LaunchProgram}s on this device. */
        default MethodHandle programHandle() throws DeviceException { return null; }

        /** The program opcode of {@code kernel} (tokenfab_kernels.h TF_OP_*), or -1 when programs cannot run it. */
        default int programOpcode(Kernel kernel) { return dev.tokenfab.kernels.KernelLibrary.programOpcode(kernel); }
    }

    /** Host allocations are aligned like XRT BOs (4 KiB pages) so kernels see the card's alignment. */
    private static final long BUFFER_ALIGNMENT_BYTES = 4096;

    private final Platform platform;
    private final KernelBinding binding;
    private final DeviceInfo info;
    private final long[] usedBytesByBank;
    private final long[] capacityBytesByBank;
    private final Set<EmuBuffer> openBuffers = new LinkedHashSet<>();
    private final Map<Kernel, BoundKernel> handles = new EnumMap<>(Kernel.class);
    private boolean closed;

    public EmuDevice(Platform platform, KernelBinding binding) {
        this(platform, binding, Long.MAX_VALUE);
    }

    /**
     * An emulated card whose banks hold at most {@code bankCapacityCapBytes} each (the platform's
     * size when smaller): a small "card" for streaming tests.
     */
    public EmuDevice(Platform platform, KernelBinding binding, long bankCapacityCapBytes) {
        if (bankCapacityCapBytes <= 0) throw new IllegalArgumentException("bank capacity cap must be positive, was " + bankCapacityCapBytes);
        this.platform = Objects.requireNonNull(platform, "platform");
        this.binding = Objects.requireNonNull(binding, "binding");
        List<DeviceInfo.Bank> banks = new ArrayList<>();
        for (int i = 0; i < platform.memoryBanks(); i++) {
            String tag = i < platform.hbmChannels() ? "HBM[" + i + "]" : "DDR[" + (i - platform.hbmChannels()) + "]";
            banks.add(new DeviceInfo.Bank(i, tag, Math.min(platform.bankBytes(i), bankCapacityCapBytes)));
        }
        this.capacityBytesByBank = banks.stream().mapToLong(DeviceInfo.Bank::sizeBytes).toArray();
        this.info = new DeviceInfo(DeviceInfo.Kind.EMU, "emulated " + platform.vitisPlatform(), List.copyOf(banks), true);
        this.usedBytesByBank = new long[banks.size()];
    }

    public Platform platform() { return platform; }

    @Override
    public DeviceInfo info() { return info; }

    /** Bytes currently allocated in {@code bank}. */
    public long usedBytes(int bank) {
        checkOpen();
        checkBankIndex(bank);
        return usedBytesByBank[bank];
    }

    private void checkBankIndex(int bank) {
        if (bank < 0 || bank >= usedBytesByBank.length) {
            throw new IllegalArgumentException("bank " + bank + " not in [0, " + usedBytesByBank.length + ")");
        }
    }

    @Override
    public DeviceBuffer allocate(int bank, long sizeBytes) throws DeviceException {
        checkOpen();
        if (bank < 0 || bank >= usedBytesByBank.length) {
            throw new DeviceException(DeviceException.ErrorCode.BAD_BANK, "bank " + bank + " not in the memory topology of "
                    + platform.name() + " (banks 0.." + (usedBytesByBank.length - 1) + ")");
        }
        if (sizeBytes <= 0) {
            throw new DeviceException(DeviceException.ErrorCode.BAD_ARGUMENT, "buffer size must be positive, was " + sizeBytes);
        }
        long capacity = capacityBytesByBank[bank];
        if (usedBytesByBank[bank] + sizeBytes > capacity) {
            throw new DeviceException(DeviceException.ErrorCode.OUT_OF_MEMORY, "bank " + info.banks().get(bank).tag()
                    + ": " + sizeBytes + " bytes requested, " + (capacity - usedBytesByBank[bank]) + " of " + capacity + " free");
        }
        Arena arena = Arena.ofShared();
        MemorySegment segment;
        try {
            segment = arena.allocate(sizeBytes, BUFFER_ALIGNMENT_BYTES);
        } catch (OutOfMemoryError e) {
            arena.close();
            throw new DeviceException(DeviceException.ErrorCode.OUT_OF_MEMORY, "host memory for " + sizeBytes
                    + " bytes in emulated bank " + bank + ": " + e.getMessage(), e);
        }
        usedBytesByBank[bank] += sizeBytes;
        EmuBuffer buffer = new EmuBuffer(this, bank, arena, segment);
        openBuffers.add(buffer);
        return buffer;
    }

    @Override
    public void write(DeviceBuffer dst, long offsetBytes, MemorySegment src) throws DeviceException {
        EmuBuffer b = own(dst);
        checkRange(b, offsetBytes, src.byteSize());
        MemorySegment.copy(src, 0, b.segment, offsetBytes, src.byteSize());
    }

    @Override
    public void read(DeviceBuffer src, long offsetBytes, MemorySegment dst) throws DeviceException {
        EmuBuffer b = own(src);
        checkRange(b, offsetBytes, dst.byteSize());
        MemorySegment.copy(b.segment, offsetBytes, dst, 0, dst.byteSize());
    }

    @Override
    public int launch(Kernel kernel, KernelArg... args) throws DeviceException {
        checkOpen();
        BoundKernel bound = bound(kernel);
        List<Kernel.Arg> formal = bound.formal;
        if (args.length != formal.size()) {
            throw new DeviceException(DeviceException.ErrorCode.BAD_ARGUMENT, kernel.symbol() + " takes " + formal.size()
                    + " arguments " + formal.stream().map(Kernel.Arg::name).toList() + ", got " + args.length);
        }
        // every argument as one long: a pointer's address (0 for NULL), an int, a float's raw bits; the array is reused
        // (launch is single-threaded and not re-entrant), so a launch allocates nothing and boxes nothing
        long[] raw = bound.rawArgs;
        Kernel.ArgKind[] kinds = bound.kinds;
        for (int i = 0; i < args.length; i++) {
            KernelArg a = args[i];
            if (a == null) throw new NullPointerException("argument " + formal.get(i).name()); // message built only on this path
            raw[i] = switch (kinds[i]) {
                case POINTER -> switch (a) {
                    case KernelArg.Buffer(DeviceBuffer buf, long off) -> {
                        EmuBuffer b = own(buf);
                        if (off < 0 || off >= b.segment.byteSize()) {
                            throw new DeviceException(DeviceException.ErrorCode.OUT_OF_RANGE, kernel.symbol() + " argument "
                                    + formal.get(i).name() + ": offset " + off + " outside buffer of " + b.sizeBytes() + " bytes in bank " + b.bank);
                        }
                        yield b.segment.address() + off;
                    }
                    case KernelArg.Null n -> 0L;
                    default -> throw badKind(kernel, formal.get(i), a);
                };
                case INT -> a instanceof KernelArg.I32(int v) ? (long) v : throwBadKind(kernel, formal.get(i), a);
                case FLOAT -> a instanceof KernelArg.F32(float v) ? (long) Float.floatToRawIntBits(v) : throwBadKind(kernel, formal.get(i), a);
            };
        }
        MethodHandle handle = bound.handle != null ? bound.handle : bind(kernel, bound); // resolved only after a first valid argument set
        if (recording != null) record(kernel, args, raw);
        try {
            return (int) handle.invokeExact(raw);
        } catch (Throwable t) {
            throw new DeviceException(DeviceException.ErrorCode.NATIVE_ERROR, kernel.symbol() + ": " + t, t);
        }
    }

    // ---- recorded programs ----------------------------------------------------------------------

    /** The launch being recorded (opcode, then the raw args per launch), or null. */
    private long[] recording;
    private int recordedLongs, recordedCommands, lastArgsStart;
    private boolean recordingBroken;
    private final Set<EmuBuffer> recordedBuffers = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private MethodHandle programHandle;

    /** Whether this device can record and run {@link LaunchProgram}s (its binding has the interpreter). */
    public boolean supportsPrograms() throws DeviceException {
        checkOpen();
        if (programHandle == null) programHandle = binding.programHandle();
        return programHandle != null;
    }

    /** This device itself when its binding has the program interpreter ({@code tf_exec_program}), else empty. */
    @Override
    public Optional<LaunchRecorder> launchRecorder() throws DeviceException {
        return supportsPrograms() ? Optional.of(this) : Optional.empty();
    }

    /** True: {@link #write} reads only open flags and copies bytes (see the class comment). */
    @Override
    public boolean writesConcurrentWithLaunches() { return true; }

    /**
     * From now on every launch (still run as usual) is also appended to a program, until
     * {@link #finishRecording}: the argument values are taken as they are at launch, so a scalar
     * that must change between runs is patched with {@link LaunchProgram#setInt} at the slot
     * {@link #recordedArgSlot} gives.
     *
     * @throws DeviceException UNAVAILABLE when the binding has no program interpreter
     */
    @Override
    public void beginRecording() throws DeviceException {
        if (!supportsPrograms()) throw new DeviceException(DeviceException.ErrorCode.UNAVAILABLE, "kernel binding has no program interpreter");
        if (recording != null) throw new IllegalStateException("already recording");
        recording = new long[4096];
        recordedLongs = 0;
        recordedCommands = 0;
        recordingBroken = false;
        recordedBuffers.clear();
    }

    @Override
    public int recordedArgSlot(int argIndex) {
        if (recording == null) throw new IllegalStateException("not recording");
        return lastArgsStart + argIndex;
    }

    /** Ends the recording; empty when a launch could not be recorded (a kernel with no opcode). */
    @Override
    public Optional<LaunchProgram> finishRecording() {
        if (recording == null) throw new IllegalStateException("not recording");
        long[] code = recording;
        recording = null;
        if (recordingBroken) return Optional.empty();
        return Optional.of(new Program(this, java.util.Arrays.copyOf(code, recordedLongs), recordedCommands, List.copyOf(recordedBuffers)));
    }

    @Override
    public boolean isRecording() { return recording != null; }

    @Override
    public void abortRecording() { recording = null; }

    private void record(Kernel kernel, KernelArg[] args, long[] raw) {
        int op = binding.programOpcode(kernel);
        if (op < 0) {
            recordingBroken = true;
            return;
        }
        if (recordedLongs + 1 + raw.length > recording.length) recording = java.util.Arrays.copyOf(recording, recording.length * 2);
        recording[recordedLongs++] = op;
        lastArgsStart = recordedLongs;
        System.arraycopy(raw, 0, recording, recordedLongs, args.length);
        recordedLongs += args.length;
        recordedCommands++;
        for (KernelArg a : args) if (a instanceof KernelArg.Buffer(DeviceBuffer b, long off)) recordedBuffers.add((EmuBuffer) b);
    }

    /**
     * Runs a recorded program: its launches, in order, through one downcall.
     *
     * @throws DeviceException BAD_ARGUMENT if the program is another device's or closed, or one of its buffers is closed
     */
    @Override
    public void replay(LaunchProgram launchProgram) throws DeviceException {
        checkOpen();
        if (!(launchProgram instanceof Program program) || program.device != this || program.closed) throw new DeviceException(DeviceException.ErrorCode.BAD_ARGUMENT, "program is closed or not this device's");
        for (EmuBuffer b : program.buffers) {
            if (b.closed) throw new DeviceException(DeviceException.ErrorCode.BAD_ARGUMENT, "program uses a closed buffer " + b);
        }
        int ran;
        try {
            ran = (int) programHandle.invokeExact(program.code.address(), program.commands);
        } catch (Throwable t) {
            throw new DeviceException(DeviceException.ErrorCode.NATIVE_ERROR, "tf_exec_program: " + t, t);
        }
        if (ran != program.commands) {
            throw new DeviceException(DeviceException.ErrorCode.NATIVE_ERROR, "tf_exec_program ran " + ran + " of " + program.commands + " commands");
        }
    }

    /** A recorded launch sequence in native memory (int64 per opcode and argument), owned: close it. */
    public static final class Program implements LaunchProgram {
        private final EmuDevice device;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment code;
        private final int commands;
        private final List<EmuBuffer> buffers;
        private boolean closed;

        private Program(EmuDevice device, long[] code, int commands, List<EmuBuffer> buffers) {
            this.device = device;
            this.code = arena.allocate((long) code.length * Long.BYTES, Long.BYTES);
            MemorySegment.copy(code, 0, this.code, java.lang.foreign.ValueLayout.JAVA_LONG, 0, code.length);
            this.commands = commands;
            this.buffers = buffers;
        }

        @Override
        public int commands() { return commands; }

        @Override
        public void setInt(int slot, int value) {
            if (closed) throw new IllegalStateException("program is closed");
            code.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, slot, value);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            arena.close();
        }
    }

    /**
     * A kernel's downcall adapted once to {@code (long[]) -> int} for {@code invokeExact}: the raw
     * addresses become zero-length global segments (no arena acquire/release per pointer and call,
     * which a buffer's shared arena would cost: liveness is checked by {@link #own} instead, and a
     * buffer can only close on the launching thread), ints are narrowed, floats decoded from their
     * bits, a void return reads as 0.
     */
    private static final class BoundKernel {
        final List<Kernel.Arg> formal;
        final Kernel.ArgKind[] kinds;
        final long[] rawArgs;
        MethodHandle handle; // null until the first launch with valid arguments

        BoundKernel(List<Kernel.Arg> formal) {
            this.formal = formal;
            this.kinds = formal.stream().map(Kernel.Arg::kind).toArray(Kernel.ArgKind[]::new);
            this.rawArgs = new long[formal.size()];
        }
    }

    private BoundKernel bound(Kernel kernel) {
        BoundKernel h = handles.get(kernel);
        if (h == null) {
            h = new BoundKernel(kernel.args());
            handles.put(kernel, h);
        }
        return h;
    }

    private MethodHandle bind(Kernel kernel, BoundKernel bound) throws DeviceException {
        MethodHandle byAddress = binding.addressHandle(kernel);
        bound.handle = RawDowncalls.spread(kernel, byAddress, byAddress != null ? null : binding.handle(kernel));
        return bound.handle;
    }

    private static DeviceException badKind(Kernel kernel, Kernel.Arg f, KernelArg a) {
        return new DeviceException(DeviceException.ErrorCode.BAD_ARGUMENT, kernel.symbol() + " argument " + f.name()
                + " is " + f.kind() + ", got " + a.getClass().getSimpleName());
    }

    private static long throwBadKind(Kernel kernel, Kernel.Arg f, KernelArg a) throws DeviceException {
        throw badKind(kernel, f, a);
    }

    private EmuBuffer own(DeviceBuffer buffer) throws DeviceException {
        checkOpen();
        if (!(buffer instanceof EmuBuffer b) || b.device != this) {
            throw new DeviceException(DeviceException.ErrorCode.BAD_ARGUMENT, "buffer " + buffer + " does not belong to this device");
        }
        b.checkOpen();
        return b;
    }

    private static void checkRange(EmuBuffer b, long offsetBytes, long lengthBytes) throws DeviceException {
        if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes > b.sizeBytes() - lengthBytes) {
            throw new DeviceException(DeviceException.ErrorCode.OUT_OF_RANGE, "range [" + offsetBytes + ", "
                    + (offsetBytes + lengthBytes) + ") outside buffer of " + b.sizeBytes() + " bytes in bank " + b.bank);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("EmuDevice is closed");
    }

    /** Closes every buffer still open, then the device. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        for (EmuBuffer b : List.copyOf(openBuffers)) b.close();
        handles.clear();
        closed = true;
    }

    @Override
    public String toString() { return info.name(); }

    /** Host memory standing in for one bank's buffer. */
    private static final class EmuBuffer implements DeviceBuffer {
        private final EmuDevice device;
        private final int bank;
        private final Arena arena;
        private final MemorySegment segment;
        private boolean closed;

        EmuBuffer(EmuDevice device, int bank, Arena arena, MemorySegment segment) {
            this.device = device;
            this.bank = bank;
            this.arena = arena;
            this.segment = segment;
        }

        void checkOpen() {
            if (closed) throw new IllegalStateException("EmuBuffer (bank " + bank + ", " + segment.byteSize() + " bytes) is closed");
        }

        @Override public int bank() { checkOpen(); return bank; }

        @Override public long sizeBytes() { checkOpen(); return segment.byteSize(); }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            device.usedBytesByBank[bank] -= segment.byteSize();
            device.openBuffers.remove(this);
            arena.close();
        }

        @Override
        public String toString() { return "EmuBuffer[bank=" + bank + ", " + segment.byteSize() + " bytes" + (closed ? ", closed" : "") + "]"; }
    }
}
