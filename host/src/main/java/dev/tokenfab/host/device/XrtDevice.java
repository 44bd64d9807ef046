package dev.tokenfab.host.device;

import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.bitstreams.EmulationXclbins;
import dev.tokenfab.bitstreams.xclbin.Xclbin;
import dev.tokenfab.bitstreams.xclbin.XclbinFormatException;
import dev.tokenfab.bitstreams.xclbin.XclbinReader;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceException.ErrorCode;
import dev.tokenfab.host.device.xrt.RunState;
import dev.tokenfab.host.device.xrt.SyncDirection;
import dev.tokenfab.host.device.xrt.Xrt;
import dev.tokenfab.host.device.xrt.XrtLibrary;
import dev.tokenfab.kernels.Kernel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The {@link Device} on an Alveo card through XRT, or on XRT's noop shim in emulation.
 *
 * <p>Opening loads an xclbin (the platform's emulation image from {@link EmulationXclbins}, or a
 * v++-built one) after checking it against the platform: its memory topology must have every plan
 * bank by tag ({@code HBM[i]}, {@code DDR[j]}) and every tokenfab kernel it contains must have the
 * argument count and kinds of {@link Kernel}. Buffers are BOs in the memory group of their bank.
 * {@code write} = {@code xrtBOWrite} + sync to device, {@code read} = sync from device +
 * {@code xrtBORead}. {@code launch} checks every buffer argument's bank against the xclbin's
 * connectivity for that kernel argument, sets the arguments on an XRT run (a buffer at an offset
 * becomes a sub-BO), starts it and waits with a timeout, then, when the shim is noop (no compute),
 * hands the run to {@link CsimCompute}, which computes the kernel's result on the mapped BOs at the
 * same offsets. A wrong bank, offset or argument therefore changes what the simulation reads, as it
 * would on the card.
 *
 * <p>Environment: see {@link dev.tokenfab.host.device.xrt.XrtLibrary}. Not thread-safe.
 */
public final class XrtDevice implements Device {

    /**
     * @param deviceIndex XRT device index (0 for the first card or the noop shim)
     * @param platform    the platform the plan targets; the xclbin must match its banks
     * @param xclbin      a v++-built xclbin, or null for the platform's emulation image
     * @param runTimeout  how long {@code launch} waits for a run before {@link ErrorCode#TIMEOUT}
     * @param simulator   C-simulation run after each run on the noop shim ({@link CsimCompute}); may be null on a card
     */
    public record Options(int deviceIndex, Platform platform, Path xclbin, Duration runTimeout, CsimCompute.Simulator simulator) {
        /** Default run timeout: generous for one decode kernel on a card (a layer's GEMV takes milliseconds). */
        public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofSeconds(10);

        public Options {
            Objects.requireNonNull(platform, "platform");
            Objects.requireNonNull(runTimeout, "runTimeout");
            if (runTimeout.isZero() || runTimeout.isNegative()) throw new IllegalArgumentException("runTimeout must be positive: " + runTimeout);
        }

        public static Options emulation(Platform platform, CsimCompute.Simulator simulator) {
            return new Options(0, platform, null, DEFAULT_RUN_TIMEOUT, simulator);
        }

        /**
         * What the device factory uses: device 0, {@code xclbin} (null: the platform's emulation
         * image), the default timeout, and the bundled C-simulation only when the environment selects
         * XRT's noop shim (a card computes by itself). An unusable environment is reported by
         * {@link XrtDevice#open} as UNAVAILABLE with the fix.
         */
        public static Options defaults(Platform platform, Path xclbin) throws DeviceException {
            boolean noop = dev.tokenfab.host.device.xrt.XrtLibrary.check(System.getenv())
                    instanceof dev.tokenfab.host.device.xrt.XrtLibrary.Availability.Available a && a.emulated();
            return new Options(0, platform, xclbin, DEFAULT_RUN_TIMEOUT, noop ? CsimCompute.Simulator.bundled() : null);
        }

        /** Device 0 with the platform's emulation xclbin and the bundled C-simulation library. */
        public static Options emulation(Platform platform) throws DeviceException {
            return emulation(platform, CsimCompute.Simulator.bundled());
        }
    }

    private final Options options;
    /** the noop shim's compute; null on a card, which computes by itself */
    private final CsimCompute csim;
    private final Xclbin image;
    private final Xrt.Device device;
    private final UUID uuid;
    private final DeviceInfo info;
    /** plan bank → XRT memory group (index in the xclbin's topology); -1 where the xclbin lacks the bank */
    private final int[] groupOfBank;
    /** One compute unit: its IP name and, per argument, the memory groups it is wired to. */
    private record Cu(String instance, List<Set<Integer>> argGroups) {}

    /** kernel → per argument, the groups any of its units reaches; and its units (precomputed: launch is on the decode hot path) */
    private final Map<Kernel, List<Set<Integer>>> wiring = new EnumMap<>(Kernel.class);
    private final Map<Kernel, List<Cu>> units = new EnumMap<>(Kernel.class);
    /** opened per compute unit ("symbol:{instance}"), so each run's buffers are reachable from its unit */
    private final Map<String, Xrt.Kernel> kernels = new java.util.HashMap<>();
    private final Map<String, Xrt.Run> runs = new java.util.HashMap<>();
    private final Set<XrtBuffer> buffers = new LinkedHashSet<>();
    private boolean closed;

    private XrtDevice(Options options, Xclbin image, Xrt.Device device, UUID uuid, int[] groupOfBank, DeviceInfo info) {
        this.options = options;
        this.csim = device.emulated() ? new CsimCompute(options.simulator()) : null;
        this.image = image;
        this.device = device;
        this.uuid = uuid;
        this.groupOfBank = groupOfBank;
        this.info = info;
        for (Kernel k : Kernel.values()) {
            List<Set<Integer>> perArg = new ArrayList<>();
            for (int i = 0; i < k.args().size(); i++) perArg.add(Set.copyOf(image.banksOf(k.symbol(), i)));
            wiring.put(k, List.copyOf(perArg));
            List<Cu> cus = new ArrayList<>();
            for (Xclbin.ComputeUnit cu : image.computeUnits()) {
                if (!cu.kernel().equals(k.symbol())) continue;
                List<Set<Integer>> groups = new ArrayList<>();
                for (int i = 0; i < k.args().size(); i++) {
                    int arg = i;
                    groups.add(Set.copyOf(image.connections().stream().filter(c -> c.computeUnit() == cu.index() && c.argIndex() == arg)
                            .map(Xclbin.Connection::memIndex).toList()));
                }
                cus.add(new Cu(cu.instance(), List.copyOf(groups)));
            }
            units.put(k, List.copyOf(cus));
        }
    }

    /**
     * Opens the device and loads the xclbin.
     *
     * @throws DeviceException UNAVAILABLE (XRT environment), NO_DEVICE, BAD_BINARY (unreadable xclbin
     *     or one that does not match the platform or the kernels)
     */
    public static XrtDevice open(Options o) throws DeviceException {
        if (o.xclbin() == null && !XrtLibrary.get().emulated())
            throw new DeviceException(ErrorCode.BAD_BINARY, "on an Alveo card pass the v++-built xclbin (bitstreams/Makefile): "
                    + "the emulation image has no bitstream and must not be loaded onto a card");
        Path file = o.xclbin() != null ? o.xclbin() : emulationImage(o.platform());
        Xclbin image;
        try {
            image = XclbinReader.read(file);
        } catch (XclbinFormatException e) {
            throw new DeviceException(ErrorCode.BAD_BINARY, e.getMessage(), e);
        } catch (IOException e) {
            throw new DeviceException(ErrorCode.BAD_BINARY, "cannot read xclbin " + file + ": " + e, e);
        }
        int[] groupOfBank = checkImage(image, file, o.platform());
        Xrt.Device device = Xrt.Device.open(o.deviceIndex());
        try (Xrt.Xclbin x = Xrt.Xclbin.fromFile(file)) {
            UUID uuid = device.load(x);
            if (device.emulated() && o.simulator() == null)
                throw new DeviceException(ErrorCode.UNAVAILABLE, "XRT noop shim computes nothing: a C-simulation Simulator is required");
            List<DeviceInfo.Bank> banks = new ArrayList<>();
            for (int b = 0; b < groupOfBank.length; b++)
                if (groupOfBank[b] >= 0) banks.add(new DeviceInfo.Bank(b, BankMap.bankTag(o.platform(), b), image.memoryBanks().get(groupOfBank[b]).sizeBytes()));
            String name = (device.emulated() ? "XRT noop " : "XRT ") + image.platformVbnv() + " (device " + o.deviceIndex() + ", xclbin " + uuid + ")";
            return new XrtDevice(o, image, device, uuid, groupOfBank, new DeviceInfo(DeviceInfo.Kind.XRT, name, banks, device.emulated()));
        } catch (DeviceException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /**
     * The platform's emulation xclbin, written once per content under
     * {@code $java.io.tmpdir/tokenfab-<user>/xclbin/} (reproducible bytes, so concurrent writers agree).
     */
    public static Path emulationImage(Platform p) throws DeviceException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tokenfab-" + System.getProperty("user.name", "user"), "xclbin");
        try {
            return EmulationXclbins.build(p, dir);
        } catch (IOException e) {
            throw new DeviceException(ErrorCode.BAD_BINARY, "cannot write the emulation xclbin for " + p + " under " + dir + ": " + e, e);
        }
    }

    /** Checks an image against the platform and tokenfab's kernel signatures; returns bank → memory group. */
    static int[] checkImage(Xclbin image, Path file, Platform p) throws DeviceException {
        List<String> problems = new ArrayList<>();
        if (!image.platformVbnv().equals(p.vitisPlatform()))
            problems.add("built for platform '" + image.platformVbnv() + "', not " + p + " (" + p.vitisPlatform() + ")");
        int[] groups = new int[p.memoryBanks()];
        Arrays.fill(groups, -1);
        for (int b = 0; b < groups.length; b++) {
            String tag = BankMap.bankTag(p, b);
            for (Xclbin.MemoryBank m : image.memoryBanks()) if (m.used() && m.tag().equals(tag)) { groups[b] = m.index(); break; }
        }
        long present = Arrays.stream(groups).filter(g -> g >= 0).count();
        if (present != p.memoryBanks())
            problems.add("memory topology has " + present + " of the " + p.memoryBanks() + " banks of " + p + " (tags HBM[i]/DDR[j])");
        for (Kernel k : Kernel.values()) {
            var ki = image.kernel(k.symbol());
            if (ki.isEmpty()) continue;   // a kernel the image lacks fails at launch, naming it
            var args = ki.get().args();
            if (args.size() != k.args().size()) {
                problems.add(k.symbol() + " has " + args.size() + " arguments, tokenfab expects " + k.args().size());
                continue;
            }
            for (int i = 0; i < args.size(); i++)
                if (args.get(i).pointer() != (k.args().get(i).kind() == Kernel.ArgKind.POINTER))
                    problems.add(k.symbol() + " argument " + i + " (" + args.get(i).name() + ") is " + (args.get(i).pointer() ? "a pointer" : "a scalar")
                            + ", tokenfab expects " + k.args().get(i).kind());
        }
        if (!problems.isEmpty())
            throw new DeviceException(ErrorCode.BAD_BINARY, "xclbin " + file + " does not match: " + String.join("; ", problems));
        return groups;
    }

    /**
     * Refuses a model package this device cannot run: another platform, or tensors in banks the
     * loaded xclbin lacks.
     *
     * @throws DeviceException BAD_BINARY naming the package platform or the tensor and bank
     */
    @Override
    public void checkPackage(Manifest m) throws DeviceException {
        checkOpen();
        if (!m.platform().equalsIgnoreCase(options.platform().name()) && !m.platform().equals(options.platform().vitisPlatform()))
            throw new DeviceException(ErrorCode.BAD_BINARY, "package targets platform " + m.platform() + ", device loaded an xclbin for " + options.platform());
        for (Manifest.Tensor t : m.tensors())
            for (Manifest.Shard sh : t.shards())
                if (sh.bank() < 0 || sh.bank() >= groupOfBank.length || groupOfBank[sh.bank()] < 0)
                    throw new DeviceException(ErrorCode.BAD_BINARY, "tensor " + t.name() + " rows " + sh.rowStart() + ".." + (sh.rowStart() + sh.rows() - 1)
                            + " are placed in bank " + sh.bank() + ", the xclbin has banks 0.." + (groupOfBank.length - 1));
    }

    /** The uuid of the loaded xclbin. */
    public UUID xclbinUuid() { return uuid; }

    /** What the loaded xclbin says (kernels, banks, connectivity). */
    public Xclbin xclbin() { return image; }

    @Override
    public DeviceInfo info() { return info; }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("XrtDevice is closed");
    }

    /** A BO in the memory group of one bank. */
    final class XrtBuffer implements DeviceBuffer {
        final Xrt.Bo bo;
        final int bank;

        XrtBuffer(Xrt.Bo bo, int bank) {
            this.bo = bo;
            this.bank = bank;
        }

        @Override public int bank() { return bank; }

        @Override public long sizeBytes() { return bo.sizeBytes(); }

        XrtDevice owner() { return XrtDevice.this; }

        @Override
        public void close() {
            if (bo.isClosed()) return;
            bo.close();
            buffers.remove(this);
        }

        @Override public String toString() { return "XrtBuffer[bank " + bank + " " + BankMap.bankTag(options.platform(), bank) + ", " + sizeBytes() + " bytes]"; }
    }

    @Override
    public DeviceBuffer allocate(int bank, long sizeBytes) throws DeviceException {
        checkOpen();
        if (bank < 0 || bank >= groupOfBank.length || groupOfBank[bank] < 0)
            throw new DeviceException(ErrorCode.BAD_BANK, "bank " + bank + " not in " + options.platform() + "'s xclbin topology (banks 0.."
                    + (groupOfBank.length - 1) + ")");
        if (sizeBytes <= 0 || sizeBytes > image.memoryBanks().get(groupOfBank[bank]).sizeBytes())
            throw new DeviceException(ErrorCode.OUT_OF_MEMORY, sizeBytes + " bytes do not fit bank " + bank + " ("
                    + image.memoryBanks().get(groupOfBank[bank]).sizeBytes() + " bytes)");
        XrtBuffer b = new XrtBuffer(device.allocate(sizeBytes, groupOfBank[bank]), bank);
        buffers.add(b);
        return b;
    }

    private XrtBuffer own(DeviceBuffer b, String what) throws DeviceException {
        if (!(b instanceof XrtBuffer x) || x.owner() != this)
            throw new DeviceException(ErrorCode.BAD_ARGUMENT, what + ": " + b + " was not allocated by this XrtDevice");
        if (x.bo.isClosed()) throw new IllegalStateException("XrtBuffer is closed");
        return x;
    }

    @Override
    public void write(DeviceBuffer dst, long offsetBytes, MemorySegment src) throws DeviceException {
        checkOpen();
        XrtBuffer b = own(dst, "write");
        b.bo.write(src, offsetBytes);
        b.bo.sync(SyncDirection.TO_DEVICE, src.byteSize(), offsetBytes);
    }

    @Override
    public void read(DeviceBuffer src, long offsetBytes, MemorySegment dst) throws DeviceException {
        checkOpen();
        XrtBuffer b = own(src, "read");
        b.bo.sync(SyncDirection.FROM_DEVICE, dst.byteSize(), offsetBytes);
        b.bo.read(dst, offsetBytes);
    }

    @Override
    public int launch(Kernel kernel, KernelArg... args) throws DeviceException {
        checkOpen();
        List<Kernel.Arg> sig = kernel.args();
        if (args.length != sig.size())
            throw new DeviceException(ErrorCode.BAD_ARGUMENT, kernel.symbol() + " takes " + sig.size() + " arguments " + names(sig) + ", got " + args.length);
        Boolean present = kernelInImage.get(kernel); // the image's kernel list is searched once per kernel, not per launch
        if (present == null) kernelInImage.put(kernel, present = image.kernel(kernel.symbol()).isPresent());
        if (!present)
            throw new DeviceException(ErrorCode.BAD_BINARY, "the loaded xclbin has no kernel " + kernel.symbol() + "; it has "
                    + image.kernels().stream().map(Xclbin.KernelInfo::name).toList());
        // 1. check every argument against the signature and the xclbin's wiring; collect buffers and their groups
        XrtBuffer[] bufs = new XrtBuffer[args.length];
        int[] groups = new int[args.length];
        MemorySegment[] mapped = new MemorySegment[args.length];
        for (int i = 0; i < args.length; i++) {
            Kernel.Arg a = sig.get(i);
            groups[i] = -1;
            switch (args[i]) {
                case KernelArg.Buffer(DeviceBuffer db, long off) -> {
                    if (a.kind() != Kernel.ArgKind.POINTER) throw badKind(where(kernel, a, i), a, "a buffer");
                    // the message is built only when the buffer is refused: this runs for every pointer of every launch
                    XrtBuffer b = db instanceof XrtBuffer x && x.owner() == this && !x.bo.isClosed() ? x : own(db, where(kernel, a, i));
                    int group = groupOfBank[b.bank];
                    if (!wiring.get(kernel).get(i).contains(group))
                        throw new DeviceException(ErrorCode.BAD_BANK, where(kernel, a, i) + " is wired to memory " + tags(image.banksOf(kernel.symbol(), i))
                                + " in the xclbin; the buffer is in bank " + b.bank + " (" + BankMap.bankTag(options.platform(), b.bank) + ")");
                    if (off < 0 || off >= b.sizeBytes())
                        throw new DeviceException(ErrorCode.OUT_OF_RANGE, where(kernel, a, i) + ": offset " + off + " outside the " + b.sizeBytes() + "-byte buffer");
                    bufs[i] = b;
                    groups[i] = group;
                    if (csim != null) mapped[i] = b.bo.map();   // only the noop shim's C-simulation reads the host mapping
                }
                case KernelArg.Null() -> {
                    if (a.kind() != Kernel.ArgKind.POINTER) throw badKind(where(kernel, a, i), a, "a null pointer");
                    // left unset on the run: the kernel must not dereference it
                }
                case KernelArg.I32(int _) -> {
                    if (a.kind() != Kernel.ArgKind.INT) throw badKind(where(kernel, a, i), a, "an int");
                }
                case KernelArg.F32(float _) -> {
                    if (a.kind() != Kernel.ArgKind.FLOAT) throw badKind(where(kernel, a, i), a, "a float");
                }
            }
        }
        // 2. a compute unit that reaches all those groups at once (one per weight bank in a plan's xclbin)
        Cu cu = null;
        for (Cu c : units.get(kernel)) {
            boolean fits = true;
            for (int i = 0; i < args.length && fits; i++) fits = groups[i] < 0 || c.argGroups().get(i).contains(groups[i]);
            if (fits) { cu = c; break; }
        }
        if (cu == null) {
            List<String> wanted = new ArrayList<>();
            for (int i = 0; i < args.length; i++) if (groups[i] >= 0) wanted.add(sig.get(i).name() + "=" + image.memoryBanks().get(groups[i]).tag());
            throw new DeviceException(ErrorCode.BAD_BANK, "no compute unit of " + kernel.symbol() + " reaches " + wanted + " together; units: "
                    + units.get(kernel).stream().map(Cu::instance).toList());
        }
        // 3. set the arguments on that unit's run, start, wait
        Xrt.Run run = run(kernel, cu);
        List<Xrt.Bo> subBuffers = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case KernelArg.Buffer(DeviceBuffer db, long off) -> {
                        XrtBuffer b = bufs[i];
                        if (off == 0) run.setArg(i, b.bo);
                        else {
                            Xrt.Bo sub = b.bo.subBuffer(b.sizeBytes() - off, off);
                            subBuffers.add(sub);
                            run.setArg(i, sub);
                        }
                    }
                    case KernelArg.Null() -> { }
                    case KernelArg.I32(int v) -> run.setArg(i, v);
                    case KernelArg.F32(float v) -> run.setArg(i, v);
                }
            }
            run.start();
            RunState state = run.await(options.runTimeout());
            checkState(kernel, state, options.runTimeout());
        } finally {
            // tried: caching sub-buffers per offset (thousands alive on a 1 B model) measured slower on XRT noop (2026-11-23)
            for (int i = subBuffers.size() - 1; i >= 0; i--) subBuffers.get(i).close();
        }
        if (csim == null) return 0;   // the card computed; ARGMAX's ap_return is not read back through XRT's run API
        return csim.afterRun(kernel, args, mapped);
    }

    /** Maps a finished wait to success, TIMEOUT or NATIVE_ERROR. */
    static void checkState(Kernel kernel, RunState state, Duration timeout) throws DeviceException {
        if (state == RunState.COMPLETED) return;
        if (state.pending())
            throw new DeviceException(ErrorCode.TIMEOUT, kernel.symbol() + " still " + state + " after " + timeout.toMillis() + " ms");
        throw new DeviceException(ErrorCode.NATIVE_ERROR, kernel.symbol() + " run ended in state " + state + " (ert_cmd_state)");
    }

    private static DeviceException badKind(String where, Kernel.Arg a, String got) {
        return new DeviceException(ErrorCode.BAD_ARGUMENT, where + " is " + a.kind() + ", got " + got);
    }

    private static String names(List<Kernel.Arg> sig) {
        return sig.stream().map(a -> a.name() + ":" + a.kind()).toList().toString();
    }

    private String tags(List<Integer> groups) {
        return groups.stream().map(g -> image.memoryBanks().get(g).tag()).toList().toString();
    }

    /** Argument {@code i}'s description for error messages (built only on the error path). */
    private static String where(Kernel kernel, Kernel.Arg a, int i) {
        return kernel.symbol() + "." + a.name() + " (argument " + i + ")";
    }

    private final Map<Kernel, Boolean> kernelInImage = new EnumMap<>(Kernel.class);

    /** Runs by compute unit (identity), so a launch finds its run without building the instance name. */
    private final Map<Cu, Xrt.Run> runByCu = new java.util.IdentityHashMap<>();

    private Xrt.Run run(Kernel kernel, Cu cu) throws DeviceException {
        Xrt.Run cached = runByCu.get(cu);
        if (cached != null) return cached;
        Xrt.Run opened = openRun(kernel, cu);
        runByCu.put(cu, opened);
        return opened;
    }

    private Xrt.Run openRun(Kernel kernel, Cu cu) throws DeviceException {
        String name = kernel.symbol() + ":{" + cu.instance() + "}";
        Xrt.Run r = runs.get(name);
        if (r != null) return r;
        Xrt.Kernel k = device.openKernel(uuid, name);
        kernels.put(name, k);
        r = k.openRun();
        runs.put(name, r);
        return r;
    }

    /** Closes runs, kernels and buffers (newest first), then the device. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        buffers.clear();
        device.close();   // closes its children in reverse creation order
        runs.clear();
        runByCu.clear();
        kernels.clear();
    }

}
