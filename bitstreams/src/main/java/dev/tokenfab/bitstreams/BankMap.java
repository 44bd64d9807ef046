package dev.tokenfab.bitstreams;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.kernels.Kernel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Which memory banks every kernel instance's pointer arguments are wired to on one platform: the
 * single source of truth for the v++ {@code [connectivity]} cfg ({@link ConnectivityConfig}) and
 * the xclbin's CONNECTIVITY section ({@link dev.tokenfab.bitstreams.xclbin.XclbinWriter}).
 *
 * <p>Banks are numbered as the planner numbers them ({@link Platform#memoryBanks()}): HBM
 * pseudo-channels first, then DDR banks.
 *
 * @param platform  target platform
 * @param instances kernel instances (compute units), in link order
 */
public record BankMap(Platform platform, List<Instance> instances) {

    public BankMap {
        instances = List.copyOf(instances);
        if (platform.memoryBanks() == 0) throw new IllegalArgumentException(platform + " has no memory banks");
        var names = new java.util.HashSet<String>();
        for (Instance i : instances) {
            if (!names.add(i.name())) throw new IllegalArgumentException("duplicate kernel instance name " + i.name());
            for (var e : i.argBanks().entrySet()) {
                Kernel.Arg arg = i.kernel().args().stream().filter(a -> a.name().equals(e.getKey())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("kernel " + i.kernel().symbol() + " has no argument '"
                                + e.getKey() + "'; arguments: " + i.kernel().args().stream().map(Kernel.Arg::name).toList()));
                if (arg.kind() != Kernel.ArgKind.POINTER)
                    throw new IllegalArgumentException(i.name() + "." + arg.name() + " is a scalar (" + arg.kind() + "); only pointer args have banks");
                for (BankRange r : e.getValue()) r.checkWithin(platform);
            }
            for (Kernel.Arg a : i.kernel().args())
                if (a.kind() == Kernel.ArgKind.POINTER && !i.argBanks().containsKey(a.name()))
                    throw new IllegalArgumentException(i.name() + "." + a.name() + " has no bank");
        }
    }

    /**
     * One compute unit.
     *
     * @param kernel   the HLS top function
     * @param name     instance name, v++ style {@code <kernel>_<n>}
     * @param argBanks pointer argument name → bank ranges it may address (at least one)
     * @param slr      super logic region to place it in, or empty to let v++ choose
     */
    public record Instance(Kernel kernel, String name, Map<String, List<BankRange>> argBanks, OptionalInt slr) {
        public Instance {
            var copy = new LinkedHashMap<String, List<BankRange>>();
            argBanks.forEach((k, v) -> {
                if (v.isEmpty()) throw new IllegalArgumentException(name + "." + k + ": empty bank list");
                copy.put(k, List.copyOf(v));
            });
            argBanks = java.util.Collections.unmodifiableMap(copy);
        }
    }

    /** Inclusive range of plan bank indices of one memory type, e.g. HBM[0:31]. */
    public record BankRange(int first, int last) {
        public BankRange {
            if (first < 0 || last < first) throw new IllegalArgumentException("bad bank range [" + first + ":" + last + "]");
        }

        public static BankRange of(int bank) { return new BankRange(bank, bank); }

        void checkWithin(Platform p) {
            if (last >= p.memoryBanks())
                throw new IllegalArgumentException("bank " + last + " outside " + p + " (banks 0.." + (p.memoryBanks() - 1) + ")");
            if (first < p.hbmChannels() && last >= p.hbmChannels())
                throw new IllegalArgumentException("bank range [" + first + ":" + last + "] mixes HBM and DDR on " + p);
        }

        /** The v++/XRT memory tag: {@code HBM[3]}, {@code HBM[0:31]}, {@code DDR[1]}. */
        public String tag(Platform p) {
            boolean hbm = first < p.hbmChannels();
            int base = hbm ? 0 : p.hbmChannels();
            String type = hbm ? "HBM" : "DDR";
            return first == last ? type + "[" + (first - base) + "]"
                    : type + "[" + (first - base) + ":" + (last - base) + "]";
        }
    }

    /** The XRT memory tag of one bank ({@code HBM[i]} or {@code DDR[j]}). */
    public static String bankTag(Platform p, int bank) { return BankRange.of(bank).tag(p); }

    /**
     * The emulation map: every kernel of {@link Kernel} once (instance {@code <symbol>_1}), every
     * pointer argument wired to every bank, so the runtime may place any tensor anywhere. Real
     * builds use a plan-specific map with one bank per port for bandwidth.
     */
    public static BankMap emulation(Platform p) {
        List<BankRange> all = new ArrayList<>();
        if (p.hbmChannels() > 0) all.add(new BankRange(0, p.hbmChannels() - 1));
        if (p.ddrBanks() > 0) all.add(new BankRange(p.hbmChannels(), p.memoryBanks() - 1));
        List<Instance> out = new ArrayList<>();
        for (Kernel k : Kernel.values()) {
            var banks = new LinkedHashMap<String, List<BankRange>>();
            for (Kernel.Arg a : k.args()) if (a.kind() == Kernel.ArgKind.POINTER) banks.put(a.name(), all);
            out.add(new Instance(k, k.symbol() + "_1", banks, OptionalInt.empty()));
        }
        return new BankMap(p, out);
    }

    /**
     * Where the runtime keeps each kind of buffer: the inputs of a plan-specific map.
     *
     * @param weightBanksByFormat banks holding weight shards, per packed matrix format (F16, Q8_CHANNEL, Q4_GROUP)
     * @param vectorBanks         banks holding F32 tensors (norm weights, biases, F32 embedding rows)
     * @param kBanks              banks of the layers' K pools (with their scales and the page table)
     * @param vBanks              banks of the layers' V pools (with their scales)
     * @param activationBank      bank of the activation buffers
     */
    public record Placement(Map<dev.tokenfab.format.quant.PackedFormat, java.util.SortedSet<Integer>> weightBanksByFormat,
                            java.util.SortedSet<Integer> vectorBanks, java.util.SortedSet<Integer> kBanks,
                            java.util.SortedSet<Integer> vBanks, int activationBank) {}

    /**
     * The bank map of a dataflow plan: its tensor placements, KV pools and activation bank.
     * See {@link #forPlacement} for the wiring.
     */
    public static BankMap fromPlan(dev.tokenfab.format.plan.DataflowPlan plan) {
        var weights = new java.util.EnumMap<dev.tokenfab.format.quant.PackedFormat, java.util.SortedSet<Integer>>(dev.tokenfab.format.quant.PackedFormat.class);
        var vectors = new java.util.TreeSet<Integer>();
        for (var t : plan.placements())
            for (var sh : t.shards()) {
                if (t.format() == dev.tokenfab.format.quant.PackedFormat.F32) vectors.add(sh.bank());
                else weights.computeIfAbsent(t.format(), f -> new java.util.TreeSet<>()).add(sh.bank());
            }
        var k = new java.util.TreeSet<Integer>();
        var v = new java.util.TreeSet<Integer>();
        for (var pool : plan.memory().kvPools()) (pool.kind() == dev.tokenfab.format.plan.DataflowPlan.KvKind.K ? k : v).add(pool.bank());
        var used = new java.util.HashSet<String>();
        plan.kernels().forEach(ku -> used.add(ku.symbol()));
        BankMap all = forPlacement(Platform.parse(plan.platform()), new Placement(weights, vectors, k, v, plan.memory().activationBank()));
        return new BankMap(all.platform(), all.instances().stream().filter(i -> used.contains(i.kernel().symbol())).toList());
    }

    /**
     * A plan-specific map: every port wired only to the banks its buffers live in, and one GEMV
     * compute unit per weight bank of its format (weights and scales pinned to that bank, so every
     * bank streams through its own AXI master: AMD's Vitis_Accel_Examples measured 39 GB/s for
     * buffers spread over all HBM channels behind one master, over 400 GB/s with 8 pinned units;
     * docs/SOURCES-runtime.md), activations in one bank. Kernels and their
     * ports follow how the runtime's decoder uses them: KV_WRITE/ATTENTION read the K pool bank(s)
     * (page table included) and the V pool bank(s); norms read F32 vectors; ADD also copies F32
     * rows (embeddings) out of the vector banks. A buffer the map does not foresee fails at launch
     * on XrtDevice (BAD_BANK) and at link time on the card.
     */
    public static BankMap forPlacement(Platform p, Placement pl) {
        int act = pl.activationBank();
        List<BankRange> actR = ranges(p, java.util.Set.of(act));
        java.util.SortedSet<Integer> vec = pl.vectorBanks().isEmpty() ? new java.util.TreeSet<>(java.util.Set.of(act)) : pl.vectorBanks();
        List<BankRange> vecR = ranges(p, vec);
        var actAndVec = new java.util.TreeSet<Integer>(vec);
        actAndVec.add(act);
        List<BankRange> kR = ranges(p, pl.kBanks().isEmpty() ? java.util.Set.of(act) : pl.kBanks());
        List<BankRange> vR = ranges(p, pl.vBanks().isEmpty() ? java.util.Set.of(act) : pl.vBanks());
        List<Instance> out = new ArrayList<>();
        for (Kernel k : Kernel.values()) {
            dev.tokenfab.format.quant.PackedFormat fmt = switch (k) {
                case GEMV_Q8, EMBED_Q8 -> dev.tokenfab.format.quant.PackedFormat.Q8_CHANNEL;
                case GEMV_Q4, EMBED_Q4 -> dev.tokenfab.format.quant.PackedFormat.Q4_GROUP;
                case GEMV_F16, EMBED_F16 -> dev.tokenfab.format.quant.PackedFormat.F16;
                default -> null;
            };
            java.util.SortedSet<Integer> wBanks = fmt == null ? null : pl.weightBanksByFormat().get(fmt);
            boolean gemv = k == Kernel.GEMV_Q8 || k == Kernel.GEMV_Q4 || k == Kernel.GEMV_F16;
            boolean embed = k == Kernel.EMBED_Q8 || k == Kernel.EMBED_Q4 || k == Kernel.EMBED_F16;
            if ((gemv || embed) && (wBanks == null || wBanks.isEmpty())) continue;   // format unused: no unit
            List<java.util.SortedSet<Integer>> unitBanks = gemv
                    ? wBanks.stream().map(b -> (java.util.SortedSet<Integer>) new java.util.TreeSet<>(java.util.Set.of(b))).toList()
                    : List.of(wBanks == null ? new java.util.TreeSet<>() : wBanks);
            int n = 0;
            for (java.util.SortedSet<Integer> weightBanks : unitBanks) {
                var banks = new LinkedHashMap<String, List<BankRange>>();
                for (Kernel.Arg a : k.args()) {
                    if (a.kind() != Kernel.ArgKind.POINTER) continue;
                    List<BankRange> r = switch (a.name()) {
                        case "w", "scales", "zeros" -> ranges(p, weightBanks);
                        case "bias", "weight" -> vecR;
                        case "kPool", "kScales", "pageTable" -> kR;
                        case "vPool", "vScales" -> vR;
                        case "a", "b" -> ranges(p, actAndVec);
                        default -> actR;   // x, y, out, q, k, v, gate, up: activations
                    };
                    banks.put(a.name(), r);
                }
                out.add(new Instance(k, k.symbol() + "_" + (++n), banks, OptionalInt.empty()));
            }
        }
        return new BankMap(p, out);
    }

    /** Contiguous runs of one memory type. */
    static List<BankRange> ranges(Platform p, java.util.Set<Integer> banks) {
        List<Integer> sorted = banks.stream().sorted().toList();
        List<BankRange> out = new ArrayList<>();
        int i = 0;
        while (i < sorted.size()) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1
                    && (sorted.get(j + 1) < p.hbmChannels()) == (sorted.get(i) < p.hbmChannels())) j++;
            out.add(new BankRange(sorted.get(i), sorted.get(j)));
            i = j + 1;
        }
        return out;
    }

    /** Plan indices of every bank one instance argument may address, ascending. */
    public List<Integer> banksOf(Instance i, String argName) {
        List<Integer> out = new ArrayList<>();
        for (BankRange r : i.argBanks().get(argName)) for (int b = r.first(); b <= r.last(); b++) out.add(b);
        return out;
    }
}
