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
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
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
 * connectivity for that kernel argument, sets the arguments that changed on the compute unit's
 * reused XRT run (a buffer at an offset becomes a sub-BO, made once per buffer and offset and kept
 * until the buffer closes, within {@link Options#subBufferCacheEntries}), starts it and waits with a
 * timeout, then, when the shim is noop (no compute), hands the run to {@link CsimCompute}, which
 * computes the kernel's result on the mapped BOs at the same offsets. A wrong bank, offset or
 * argument therefore changes what the simulation reads, as it would on the card. A launch allocates
 * nothing on the Java heap or in XRT once its sub-BOs exist.
 *
 * <p>Launch programs ({@link #launchRecorder}): a recorded step keeps one XRT run per launch with its
 * arguments set once; a replay patches the position ints, then starts and waits each run in order
 * (and simulates it on the noop shim). That is still one host start per kernel: one launch per
 * step needs a device-side sequencer kernel reading the command stream from a BO, not built yet.
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
    public record Options(int deviceIndex, Platform platform, Path xclbin, Duration runTimeout, CsimCompute.Simulator simulator,
                          int subBufferCacheEntries) {
        /** Default run timeout: generous for one decode kernel on a card (a layer's GEMV takes milliseconds). */
        public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofSeconds(10);

        /**
         * Default bound on the sub-BOs kept for offset arguments: 7.5x the 8 752 distinct (buffer, offset)
         * pairs the decode steps of the 1.1 B-parameter int4 Llama of {@code HostOverheadBench} use
         * (measured with {@link XrtDevice#cachedSubBuffers}, 2026-12-02), so a model several times that
         * size still launches without allocating. A sub-BO costs XRT a C++ object and a node in its
         * handle map (a few hundred bytes; 64 Ki of them, some tens of MB).
         */
        public static final int DEFAULT_SUB_BUFFER_CACHE_ENTRIES = 65_536;

        public Options {
            Objects.requireNonNull(platform, "platform");
            Objects.requireNonNull(runTimeout, "runTimeout");
            if (runTimeout.isZero() || runTimeout.isNegative()) throw new IllegalArgumentException("runTimeout must be positive: " + runTimeout);
            if (subBufferCacheEntries < 0) throw new IllegalArgumentException("subBufferCacheEntries must be >= 0: " + subBufferCacheEntries);
        }

        /** With the default sub-BO cache bound. */
        public Options(int deviceIndex, Platform platform, Path xclbin, Duration runTimeout, CsimCompute.Simulator simulator) {
            this(deviceIndex, platform, xclbin, runTimeout, simulator, DEFAULT_SUB_BUFFER_CACHE_ENTRIES);
        }

        /** The same options with another bound on cached sub-BOs (0: none cached, one sub-BO per offset argument and launch). */
        public Options withSubBufferCacheEntries(int entries) {
            return new Options(deviceIndex, platform, xclbin, runTimeout, simulator, entries);
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
    /**
     * One compute unit: its IP name, per argument the memory groups it is wired to, and (opened on
     * first use) its XRT kernel and the run every direct launch on it reuses, with what each argument
     * of that run was last set to, so a launch sets only the arguments that changed.
     */
    private static final class Cu {
        final String instance;
        final BitSet[] argGroups;
        Xrt.Kernel handle;
        Xrt.Run run;
        /** per argument: the BO the run holds (identity), or null */
        final Xrt.Bo[] lastBo;
        /** per argument: the scalar the run holds (int value or float bits), valid where lastScalarSet */
        final long[] lastScalar;
        final boolean[] lastScalarSet;

        Cu(String instance, BitSet[] argGroups) {
            this.instance = instance;
            this.argGroups = argGroups;
            this.lastBo = new Xrt.Bo[argGroups.length];
            this.lastScalar = new long[argGroups.length];
            this.lastScalarSet = new boolean[argGroups.length];
        }
    }

    /**
     * A kernel's launch state, built once: its argument kinds, the groups any of its units reaches
     * per argument, its units, and scratch arrays every launch refills (launch is single-threaded and
     * not re-entrant), so a launch allocates nothing.
     */
    private static final class Bound {
        final Kernel kernel;
        final Kernel.ArgKind[] kinds;
        final BitSet[] wiring;
        final Cu[] units;
        final boolean inImage;
        final XrtBuffer[] bufs;
        final int[] groups;
        final long[] raw, offsets;
        final MemorySegment[] mapped;
        final Xrt.Bo[] transients;

        Bound(Kernel kernel, BitSet[] wiring, Cu[] units, boolean inImage) {
            this.kernel = kernel;
            int n = kernel.args().size();
            this.kinds = kernel.args().stream().map(Kernel.Arg::kind).toArray(Kernel.ArgKind[]::new);
            this.wiring = wiring;
            this.units = units;
            this.inImage = inImage;
            this.bufs = new XrtBuffer[n];
            this.groups = new int[n];
            this.raw = new long[n];
            this.offsets = new long[n];
            this.mapped = new MemorySegment[n];
            this.transients = new Xrt.Bo[n];
        }
    }

    /** by kernel ordinal */
    private final Bound[] bound = new Bound[Kernel.values().length];
    private final Set<XrtBuffer> buffers = new LinkedHashSet<>();
    /** sub-BOs held by all buffers' caches (bounded by {@link Options#subBufferCacheEntries}) */
    private int cachedSubBuffers;
    /** sub-BOs made for one launch because the cache was full, closed after it */
    private long transientSubBuffers;
    /** on a card: host time spent waiting for runs (the kernel bodies run meanwhile) */
    private long waitNanos;
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
            int n = k.args().size();
            BitSet[] perArg = new BitSet[n];
            for (int i = 0; i < n; i++) perArg[i] = bits(image.banksOf(k.symbol(), i));
            List<Cu> cus = new ArrayList<>();
            for (Xclbin.ComputeUnit cu : image.computeUnits()) {
                if (!cu.kernel().equals(k.symbol())) continue;
                BitSet[] groups = new BitSet[n];
                for (int i = 0; i < n; i++) {
                    int arg = i;
                    groups[i] = bits(image.connections().stream().filter(c -> c.computeUnit() == cu.index() && c.argIndex() == arg)
                            .map(Xclbin.Connection::memIndex).toList());
                }
                cus.add(new Cu(cu.instance(), groups));
            }
            bound[k.ordinal()] = new Bound(k, perArg, cus.toArray(Cu[]::new), image.kernel(k.symbol()).isPresent());
        }
    }

    private static BitSet bits(java.util.Collection<Integer> groups) {
        BitSet b = new BitSet();
        for (int g : groups) b.set(g);
        return b;
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

    /**
     * A BO in the memory group of one bank, and the sub-BOs made for launches at offsets into it:
     * one per offset (the tail of the BO from there), kept until the buffer closes (they close with
     * its BO, before it), within the device-wide bound {@link Options#subBufferCacheEntries}.
     */
    final class XrtBuffer implements DeviceBuffer {
        final Xrt.Bo bo;
        final int bank;
        /** offset → sub-BO, open addressing over the offset (never 0: offset 0 is the BO itself); null until the first */
        private long[] subOffsets;
        private Xrt.Bo[] subBos;
        private int subCount;

        XrtBuffer(Xrt.Bo bo, int bank) {
            this.bo = bo;
            this.bank = bank;
        }

        @Override public int bank() { return bank; }

        @Override public long sizeBytes() { return bo.sizeBytes(); }

        XrtDevice owner() { return XrtDevice.this; }

        /** The cached sub-BO at {@code offsetBytes} (> 0), or null. */
        Xrt.Bo cachedSub(long offsetBytes) {
            if (subOffsets == null) return null;
            int mask = subOffsets.length - 1;
            for (int i = slot(offsetBytes, mask); ; i = (i + 1) & mask) {
                long k = subOffsets[i];
                if (k == offsetBytes) return subBos[i];
                if (k == 0) return null;
            }
        }

        void putSub(long offsetBytes, Xrt.Bo sub) {
            if (subOffsets == null) {
                subOffsets = new long[16];
                subBos = new Xrt.Bo[16];
            } else if ((subCount + 1) * 4 > subOffsets.length * 3) {   // load factor 3/4: grow, rehash
                long[] oldKeys = subOffsets;
                Xrt.Bo[] oldBos = subBos;
                subOffsets = new long[oldKeys.length * 2];
                subBos = new Xrt.Bo[oldKeys.length * 2];
                for (int j = 0; j < oldKeys.length; j++) if (oldKeys[j] != 0) insert(oldKeys[j], oldBos[j]);
            }
            insert(offsetBytes, sub);
            subCount++;
        }

        private void insert(long offsetBytes, Xrt.Bo sub) {
            int mask = subOffsets.length - 1;
            int i = slot(offsetBytes, mask);
            while (subOffsets[i] != 0) i = (i + 1) & mask;
            subOffsets[i] = offsetBytes;
            subBos[i] = sub;
        }

        private static int slot(long key, int mask) { return (int) (key * 0x9E3779B97F4A7C15L >>> 40) & mask; }

        @Override
        public void close() {
            if (bo.isClosed()) return;
            bo.close();   // its sub-BOs first (children close newest first)
            cachedSubBuffers -= subCount;
            subOffsets = null;
            subBos = null;
            subCount = 0;
            buffers.remove(this);
        }

        @Override public String toString() { return "XrtBuffer[bank " + bank + " " + BankMap.bankTag(options.platform(), bank) + ", " + sizeBytes() + " bytes]"; }
    }

    /**
     * The sub-BO for a pointer argument at {@code off} in {@code b}: the BO itself at 0, else the
     * cached one, else a new one, cached while the device-wide bound allows; beyond it the sub-BO is
     * made for this launch only and {@code transientOut[i]} receives it (closed after the run), or,
     * for a recorded program ({@code programOwned} not null), it joins the program's sub-BOs.
     */
    private Xrt.Bo subBo(XrtBuffer b, long off, Xrt.Bo[] transientOut, int i, List<Xrt.Bo> programOwned) throws DeviceException {
        if (off == 0) return b.bo;
        Xrt.Bo sub = b.cachedSub(off);
        if (sub != null) return sub;
        sub = b.bo.subBuffer(b.sizeBytes() - off, off);
        if (cachedSubBuffers < options.subBufferCacheEntries()) {
            b.putSub(off, sub);
            cachedSubBuffers++;
        } else if (programOwned != null) {
            programOwned.add(sub);
        } else {
            transientOut[i] = sub;
            transientSubBuffers++;
        }
        return sub;
    }

    /** Sub-BOs currently cached for offset arguments, over all buffers (at most {@link Options#subBufferCacheEntries}). */
    public int cachedSubBuffers() { return cachedSubBuffers; }

    /** Sub-BOs made for a single launch because the cache was full (each one an allocation on the launch path), since open. */
    public long transientSubBuffers() { return transientSubBuffers; }

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
        Bound k = bound[kernel.ordinal()];
        Cu cu = prepare(k, args);
        if (recording != null) record(k, cu, args);
        // set the arguments that changed on that unit's run, start, wait
        Xrt.Run run = run(k, cu);
        Xrt.Bo[] transients = k.transients;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (k.kinds[i]) {
                    case POINTER -> {
                        if (k.bufs[i] == null) continue;   // NULL: left unset on the run, the kernel must not dereference it
                        Xrt.Bo bo = subBo(k.bufs[i], k.offsets[i], transients, i, null);
                        if (cu.lastBo[i] != bo) {
                            run.setArg(i, bo);
                            cu.lastBo[i] = bo;
                        }
                    }
                    case INT, FLOAT -> {
                        long v = k.raw[i];
                        if (cu.lastScalarSet[i] && cu.lastScalar[i] == v) continue;
                        if (k.kinds[i] == Kernel.ArgKind.INT) run.setArg(i, (int) v);
                        else run.setArg(i, Float.intBitsToFloat((int) v));
                        cu.lastScalar[i] = v;
                        cu.lastScalarSet[i] = true;
                    }
                }
            }
            startAndWait(kernel, run);
        } finally {
            for (int i = transients.length - 1; i >= 0; i--) {
                if (transients[i] == null) continue;
                if (cu.lastBo[i] == transients[i]) cu.lastBo[i] = null;   // closed now: the run must be given a live BO next time
                transients[i].close();
                transients[i] = null;
            }
        }
        if (csim == null) return 0;   // the card computed; ARGMAX's ap_return is not read back through XRT's run API
        return csim.afterRun(kernel, k.raw, k.mapped, k.offsets);
    }

    private void startAndWait(Kernel kernel, Xrt.Run run) throws DeviceException {
        run.start();
        if (csim != null) {
            checkState(kernel, run.await(options.runTimeout()), options.runTimeout());
            return;
        }
        long t0 = System.nanoTime();
        RunState state = run.await(options.runTimeout());
        waitNanos += System.nanoTime() - t0;
        checkState(kernel, state, options.runTimeout());
    }

    /**
     * Checks every argument against the kernel's signature and the xclbin's wiring, fills the
     * kernel's scratch arrays (buffers, groups, offsets, the raw values the C-simulation takes) and
     * returns a compute unit that reaches all those groups at once (one per weight bank in a plan's
     * xclbin). Allocates nothing unless it throws.
     */
    private Cu prepare(Bound k, KernelArg[] args) throws DeviceException {
        Kernel kernel = k.kernel;
        List<Kernel.Arg> sig = kernel.args();
        if (args.length != sig.size())
            throw new DeviceException(ErrorCode.BAD_ARGUMENT, kernel.symbol() + " takes " + sig.size() + " arguments " + names(sig) + ", got " + args.length);
        if (!k.inImage)
            throw new DeviceException(ErrorCode.BAD_BINARY, "the loaded xclbin has no kernel " + kernel.symbol() + "; it has "
                    + image.kernels().stream().map(Xclbin.KernelInfo::name).toList());
        for (int i = 0; i < args.length; i++) {
            Kernel.Arg a = sig.get(i);
            k.groups[i] = -1;
            k.bufs[i] = null;
            k.mapped[i] = null;
            k.offsets[i] = 0;
            switch (args[i]) {
                case KernelArg.Buffer(DeviceBuffer db, long off) -> {
                    if (k.kinds[i] != Kernel.ArgKind.POINTER) throw badKind(where(kernel, a, i), a, "a buffer");
                    // the message is built only when the buffer is refused: this runs for every pointer of every launch
                    XrtBuffer b = db instanceof XrtBuffer x && x.owner() == this && !x.bo.isClosed() ? x : own(db, where(kernel, a, i));
                    int group = groupOfBank[b.bank];
                    if (!k.wiring[i].get(group))
                        throw new DeviceException(ErrorCode.BAD_BANK, where(kernel, a, i) + " is wired to memory " + tags(image.banksOf(kernel.symbol(), i))
                                + " in the xclbin; the buffer is in bank " + b.bank + " (" + BankMap.bankTag(options.platform(), b.bank) + ")");
                    if (off < 0 || off >= b.sizeBytes())
                        throw new DeviceException(ErrorCode.OUT_OF_RANGE, where(kernel, a, i) + ": offset " + off + " outside the " + b.sizeBytes() + "-byte buffer");
                    k.bufs[i] = b;
                    k.groups[i] = group;
                    k.offsets[i] = off;
                    if (csim != null) {   // only the noop shim's C-simulation reads the host mapping
                        MemorySegment m = b.bo.map();
                        k.mapped[i] = m;
                        k.raw[i] = m.address() + off;
                    } else {
                        k.raw[i] = 0;
                    }
                }
                case KernelArg.Null() -> {
                    if (k.kinds[i] != Kernel.ArgKind.POINTER) throw badKind(where(kernel, a, i), a, "a null pointer");
                    k.raw[i] = 0;
                }
                case KernelArg.I32(int v) -> {
                    if (k.kinds[i] != Kernel.ArgKind.INT) throw badKind(where(kernel, a, i), a, "an int");
                    k.raw[i] = v;
                }
                case KernelArg.F32(float v) -> {
                    if (k.kinds[i] != Kernel.ArgKind.FLOAT) throw badKind(where(kernel, a, i), a, "a float");
                    k.raw[i] = Float.floatToRawIntBits(v);
                }
            }
        }
        for (Cu c : k.units) {
            boolean fits = true;
            for (int i = 0; i < args.length && fits; i++) fits = k.groups[i] < 0 || c.argGroups[i].get(k.groups[i]);
            if (fits) return c;
        }
        List<String> wanted = new ArrayList<>();
        for (int i = 0; i < args.length; i++) if (k.groups[i] >= 0) wanted.add(sig.get(i).name() + "=" + image.memoryBanks().get(k.groups[i]).tag());
        throw new DeviceException(ErrorCode.BAD_BANK, "no compute unit of " + kernel.symbol() + " reaches " + wanted + " together; units: "
                + java.util.Arrays.stream(k.units).map(c -> c.instance).toList());
    }

    /**
     * Host time inside kernel bodies since open: on the noop shim the C-simulation after each run
     * (measured around its downcall); on a card the waits for runs to complete (the kernel runs
     * meanwhile; the wait also covers the scheduler's completion latency).
     */
    @Override
    public OptionalLong kernelBodyNanos() { return OptionalLong.of(csim != null ? csim.kernelNanos() : waitNanos); }

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

    /** The unit's reusable run for direct launches, opened on first use. */
    private Xrt.Run run(Bound k, Cu cu) throws DeviceException {
        if (cu.run == null) cu.run = kernelOf(k, cu).openRun();
        return cu.run;
    }

    /** The unit's XRT kernel ("symbol:{instance}", so each run's buffers are reachable from its unit), opened on first use. */
    private Xrt.Kernel kernelOf(Bound k, Cu cu) throws DeviceException {
        if (cu.handle == null) cu.handle = device.openKernel(uuid, k.kernel.symbol() + ":{" + cu.instance + "}");
        return cu.handle;
    }

    // ---- recorded programs ----------------------------------------------------------------------

    /** Program slots per command: the most arguments of any kernel (ATTENTION's 14), rounded up to 16. */
    private static final int SLOT_STRIDE = 16;
    static {
        for (Kernel k : Kernel.values())
            if (k.args().size() > SLOT_STRIDE) throw new ExceptionInInitializerError(k.symbol() + " has more than " + SLOT_STRIDE + " arguments");
    }

    /** The launches being recorded, or null. */
    private List<Command> recording;
    private Set<XrtBuffer> recordedBuffers;
    private List<Xrt.Bo> recordedSubBuffers;
    private boolean recordingBroken;

    /**
     * One recorded launch: a run of its own, opened on the launch's compute unit with every argument
     * set once (pointer arguments to the cached sub-BOs), and the raw arguments the C-simulation
     * takes; {@code dirty} marks int arguments patched since the last replay (set on the run then).
     */
    private static final class Command {
        final Kernel kernel;
        final Xrt.Run run;
        final long[] raw, offsets;
        final MemorySegment[] mapped;
        int dirty;

        Command(Kernel kernel, Xrt.Run run, long[] raw, long[] offsets, MemorySegment[] mapped) {
            this.kernel = kernel;
            this.run = run;
            this.raw = raw;
            this.offsets = offsets;
            this.mapped = mapped;
        }
    }

    /**
     * This device: XRT records a decode step's launches as pre-bound runs (one per launch, its
     * arguments set once) and replays them by start and wait each, with patched int arguments, and
     * on the noop shim the C-simulation after each run as for a direct launch. One host call per
     * kernel remains: a single launch per step needs the device-side sequencer kernel (not built yet).
     */
    @Override
    public Optional<LaunchRecorder> launchRecorder() { return Optional.of(recorder); }

    private final LaunchRecorder recorder = new LaunchRecorder() {
        @Override
        public void beginRecording() {
            checkOpen();
            if (recording != null) throw new IllegalStateException("already recording");
            recording = new ArrayList<>();
            recordedBuffers = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            recordedSubBuffers = new ArrayList<>();
            recordingBroken = false;
        }

        @Override
        public int recordedArgSlot(int argIndex) {
            if (recording == null) throw new IllegalStateException("not recording");
            if (recording.isEmpty()) throw new IllegalStateException("no launch recorded yet");
            return (recording.size() - 1) * SLOT_STRIDE + argIndex;
        }

        @Override
        public boolean isRecording() { return recording != null; }

        @Override
        public Optional<LaunchProgram> finishRecording() {
            if (recording == null) throw new IllegalStateException("not recording");
            List<Command> commands = recording;
            List<Xrt.Bo> owned = recordedSubBuffers;
            XrtBuffer[] bufs = recordedBuffers.toArray(XrtBuffer[]::new);
            recording = null;
            recordedBuffers = null;
            recordedSubBuffers = null;
            Program p = new Program(XrtDevice.this, commands.toArray(Command[]::new), bufs, owned);
            if (!recordingBroken) return Optional.of(p);
            p.close();
            return Optional.empty();
        }

        @Override
        public void abortRecording() {
            if (recording == null) return;
            new Program(XrtDevice.this, recording.toArray(Command[]::new), new XrtBuffer[0], recordedSubBuffers).close();
            recording = null;
            recordedBuffers = null;
            recordedSubBuffers = null;
        }

        @Override
        public void replay(LaunchProgram launchProgram) throws DeviceException {
            XrtDevice.this.replay(launchProgram);
        }
    };

    /** Appends the launch being made (already checked by {@link #prepare}) to the recording as a pre-bound run. */
    private void record(Bound k, Cu cu, KernelArg[] args) throws DeviceException {
        if (k.kernel == Kernel.ARGMAX) {   // its return value is what the caller wants, and a replay returns none
            recordingBroken = true;
            return;
        }
        Xrt.Run run = kernelOf(k, cu).openRun();
        Command c = new Command(k.kernel, run, k.raw.clone(), k.offsets.clone(), k.mapped.clone());
        recording.add(c);   // before setting arguments: a failure still closes the run with the recording
        for (int i = 0; i < args.length; i++) {
            switch (k.kinds[i]) {
                case POINTER -> {
                    if (k.bufs[i] == null) continue;
                    run.setArg(i, subBo(k.bufs[i], k.offsets[i], null, i, recordedSubBuffers));
                    recordedBuffers.add(k.bufs[i]);
                }
                case INT -> run.setArg(i, (int) k.raw[i]);
                case FLOAT -> run.setArg(i, Float.intBitsToFloat((int) k.raw[i]));
            }
        }
    }

    /** Runs a recorded program: per command, the patched int arguments set, start, wait, and (noop shim) the C-simulation. */
    private void replay(LaunchProgram launchProgram) throws DeviceException {
        checkOpen();
        if (!(launchProgram instanceof Program p) || p.device != this || p.closed)
            throw new DeviceException(ErrorCode.BAD_ARGUMENT, "program is closed or not this device's");
        for (XrtBuffer b : p.buffers)
            if (b.bo.isClosed()) throw new DeviceException(ErrorCode.BAD_ARGUMENT, "program uses a closed buffer " + b);
        for (Command c : p.commands) {
            for (int dirty = c.dirty; dirty != 0; dirty &= dirty - 1) {
                int i = Integer.numberOfTrailingZeros(dirty);
                c.run.setArg(i, (int) c.raw[i]);
            }
            c.dirty = 0;
            startAndWait(c.kernel, c.run);
            if (csim != null) csim.afterRun(c.kernel, c.raw, c.mapped, c.offsets);
        }
    }

    /**
     * A recorded launch sequence: one pre-bound XRT run per launch, owned: closing it closes those
     * runs and any sub-BOs made for it beyond the device's cache bound.
     */
    public static final class Program implements LaunchProgram {
        private final XrtDevice device;
        private final Command[] commands;
        private final XrtBuffer[] buffers;
        private final List<Xrt.Bo> ownedSubBuffers;
        private boolean closed;

        private Program(XrtDevice device, Command[] commands, XrtBuffer[] buffers, List<Xrt.Bo> ownedSubBuffers) {
            this.device = device;
            this.commands = commands;
            this.buffers = buffers;
            this.ownedSubBuffers = ownedSubBuffers;
        }

        @Override
        public int commands() { return commands.length; }

        /** @throws IllegalArgumentException when {@code slot} does not name an int argument of a recorded launch */
        @Override
        public void setInt(int slot, int value) {
            if (closed) throw new IllegalStateException("program is closed");
            int at = slot / SLOT_STRIDE, arg = slot % SLOT_STRIDE;
            if (slot < 0 || at >= commands.length || arg >= commands[at].kernel.args().size()
                    || commands[at].kernel.args().get(arg).kind() != Kernel.ArgKind.INT)
                throw new IllegalArgumentException("slot " + slot + " is not an int argument of this program's " + commands.length + " launches");
            Command c = commands[at];
            if (c.raw[arg] == value) return;
            c.raw[arg] = value;
            c.dirty |= 1 << arg;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            for (int i = commands.length - 1; i >= 0; i--) commands[i].run.close();   // no-op once the device closed them
            for (int i = ownedSubBuffers.size() - 1; i >= 0; i--) ownedSubBuffers.get(i).close();
        }
    }

    /** Closes runs, kernels and buffers (newest first), then the device. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        recording = null;
        buffers.clear();
        device.close();   // closes its children in reverse creation order: kernels (their runs), BOs (their sub-BOs)
        for (Bound k : bound) for (Cu c : k.units) { c.handle = null; c.run = null; }
    }

}
