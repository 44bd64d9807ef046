package dev.tokenfab.bitstreams;

import dev.tokenfab.compiler.plan.Platform;
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

    /** Plan indices of every bank one instance argument may address, ascending. */
    public List<Integer> banksOf(Instance i, String argName) {
        List<Integer> out = new ArrayList<>();
        for (BankRange r : i.argBanks().get(argName)) for (int b = r.first(); b <= r.last(); b++) out.add(b);
        return out;
    }
}
