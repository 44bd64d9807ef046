package dev.tokenfab.compiler.plan;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.card.CardEstimate;
import dev.tokenfab.format.card.CardModel;
import dev.tokenfab.format.plan.DataflowPlan.BankUse;
import dev.tokenfab.format.plan.DataflowPlan.KernelUse;
import dev.tokenfab.format.plan.DataflowPlan.KvKind;
import dev.tokenfab.format.plan.DataflowPlan.KvPool;
import dev.tokenfab.format.plan.DataflowPlan.MemoryKind;
import dev.tokenfab.format.plan.KernelSymbols;
import dev.tokenfab.format.plan.DataflowPlan.MemoryPlan;
import dev.tokenfab.format.plan.DataflowPlan.ResourcesModeled;
import dev.tokenfab.format.plan.DataflowPlan.ShardPlacement;
import dev.tokenfab.format.plan.DataflowPlan.TensorPlacement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The plan pass: places every packed tensor in memory banks, sizes the kernels, and has the
 * {@link CardModel} model one decode step.
 *
 * <p><b>Placement.</b> Decode at small batch is bandwidth-bound, and an Alveo reaches its HBM
 * bandwidth only with many AXI masters, each pinned to its own pseudo-channel ("To get better than
 * DDR performance, designs must efficiently use multiple AXI masters into the HBM subsystem", UG1393
 * "HBM Configuration and Use"). So every matrix of at least {@link #SHARD_MIN_BYTES} is split into row
 * shards, one per weight bank (at least {@link #MIN_SHARD_ROWS} rows each), and each GEMV runs as one
 * compute unit per bank over its shard: all channels stream in parallel. Shards go to the
 * least-filled banks, small tensors to the least-filled bank; parts start at
 * {@link Manifest#PART_ALIGNMENT_BYTES} boundaries. KV pools and activation buffers then go to the
 * least-filled banks. A bank that would overflow → error.
 *
 * <p><b>Kernels.</b> GEMV units take one {@link #AXI_BEAT_BITS}-bit AXI beat per cycle (lanes = beat
 * bits / bits per weight, II = 1), halved for the most DSP-hungry kernel until the DSP budget holds;
 * other kernels have {@link #VECTOR_LANES} fp32 lanes. Stage cycles, bank traffic, tokens/s and watts
 * (the plan's {@code stages}, {@code banks[].bytesReadPerTokenModeled} and {@code estimateModeled})
 * are {@link CardModel}'s, at batch 1 and the options' context.
 */
public final class DataflowPlanner {

    // ---- placement -------------------------------------------------------------------------------
    /** Matrices at least this large are sharded over all weight banks (smaller ones gain little and
     *  each shard costs up to 4 KiB of alignment per part). */
    static final long SHARD_MIN_BYTES = 256 << 10;
    /** Fewest rows per shard, so that per-call overhead stays small against streaming time. */
    static final int MIN_SHARD_ROWS = 16;

    // ---- compute model ---------------------------------------------------------------------------
    /** GEMV units read one AXI beat per cycle: lanes = beat bits / weight bits (the card model's constant). */
    static final int AXI_BEAT_BITS = CardModel.AXI_BEAT_BITS;
    /** Lanes of the element-wise/norm/attention kernels (the card model's constant). */
    static final int VECTOR_LANES = CardModel.VECTOR_LANES;
    /** Fraction of the device's DSPs the GEMV units may take; the rest of the design and routing
     *  headroom need the remainder (assumption; Vitis designs above ~80% DSP rarely close timing). */
    static final double MAX_DSP_FRACTION = 0.8;

    // ---- resource model (assumptions, per lane/unit) --------------------------------------------
    /** int4/int8 weight x 18-bit fixed activation: one DSP48E2 27x18 multiplier per lane (UG579). */
    static final int DSP_PER_INT_LANE = 1;
    /** fp32 multiply (3 DSP) + add (2 DSP) per lane as Vitis HLS maps them (UG1399 operator table). */
    static final int DSP_PER_FP32_LANE = 5;
    /** LUTs per int lane (dequantize, adder-tree share); assumption. */
    static final int LUT_PER_INT_LANE = 60;
    /** LUTs per fp32 lane (normalization/alignment logic around the DSPs); assumption. */
    static final int LUT_PER_FP32_LANE = 400;
    /** LUTs per compute unit: m_axi adapter, control registers, FIFOs; assumption. */
    static final int LUT_PER_UNIT = 6000;
    /** BRAM36 per compute unit for AXI read FIFOs; assumption. */
    static final int BRAM36_PER_UNIT = 2;
    /** Bytes of one 36 Kb block RAM. */
    static final int BRAM36_BYTES = 4608;
    /** Bytes of one 288 Kb UltraRAM. */
    static final int URAM_BYTES = 36864;

    private DataflowPlanner() {}

    /**
     * Places and models a packed decoder on {@code platform}.
     *
     * @throws CompileException UNSUPPORTED_MODEL when it does not fit the platform's banks (sizes named),
     *                          BAD_OPTION for a context longer than the model's
     */
    public static DataflowPlan plan(DecoderConfig cfg, List<PackedShape> tensors, Platform platform, PlanOptions options)
            throws CompileException {
        if (options.contextTokens() > cfg.maxContextTokens()) {
            throw new CompileException(ErrorCode.BAD_OPTION, "context " + options.contextTokens()
                    + " tokens exceeds the model's maximum " + cfg.maxContextTokens());
        }
        int banks = platform.memoryBanks();
        long[] used = new long[banks];
        long[] kvUsed = new long[banks];
        long[] actUsed = new long[banks];
        int weightBanks = platform.weightBanks();
        int firstWeightBank = 0;   // HBM channels are banks [0, 32); a DDR-only card's DDR banks start at 0 too

        List<TensorPlacement> placements = new ArrayList<>();
        for (PackedShape t : tensors) {
            int shards = t.bytes() >= SHARD_MIN_BYTES ? Math.max(1, Math.min(weightBanks, t.rows() / MIN_SHARD_ROWS)) : 1;
            List<Integer> order = IntStream.range(firstWeightBank, firstWeightBank + weightBanks).boxed()
                    .sorted(Comparator.<Integer>comparingLong(b -> used[b]).thenComparingInt(b -> b)).toList();
            List<ShardPlacement> sp = new ArrayList<>();
            int base = t.rows() / shards, extra = t.rows() % shards, row = 0;
            for (int i = 0; i < shards; i++) {
                int rows = base + (i < extra ? 1 : 0);
                int bank = order.get(i);
                Map<String, Part> parts = new LinkedHashMap<>();
                for (String part : t.format().partNames(t.zeroPoints())) {
                    long size = t.format().partBytes(part, rows, t.cols(), t.groupSize());
                    parts.put(part, new Part(used[bank], size));
                    used[bank] = align(used[bank] + size);
                }
                checkFits(platform, bank, used[bank], "tensor " + t.name(), used);
                sp.add(new ShardPlacement(row, rows, bank, parts));
                row += rows;
            }
            placements.add(new TensorPlacement(t.name(), t.format(), t.rows(), t.cols(), t.groupSize(), t.zeroPoints(), sp));
        }

        // KV pools: one K and one V pool per layer, [maxBatch][maxContext][kvDim] (+ int8 scales)
        long poolBytes = kvPoolBytes(cfg, options.kvCache(), options.maxBatch(), cfg.maxContextTokens());
        List<KvPool> pools = new ArrayList<>();
        for (int l = 0; l < cfg.numLayers(); l++) {
            for (KvKind kind : KvKind.values()) {
                int bank = leastUsed(used, kvUsed, actUsed, firstWeightBank, weightBanks);
                kvUsed[bank] += align(poolBytes);
                checkFits(platform, bank, used[bank] + kvUsed[bank] + actUsed[bank], "KV pool layer " + l + " " + kind, used);
                pools.add(new KvPool(l, kind, bank, poolBytes));
            }
        }
        long activationBytes = activationBytes(cfg, options.maxBatch());
        int actBank = leastUsed(used, kvUsed, actUsed, firstWeightBank, weightBanks);
        actUsed[actBank] += align(activationBytes);
        checkFits(platform, actBank, used[actBank] + kvUsed[actBank] + actUsed[actBank], "activation buffers", used);

        List<KernelUse> kernels = kernels(cfg, placements, platform, options);
        MemoryPlan memory = new MemoryPlan(options.kvCache(), options.contextTokens(), cfg.maxContextTokens(), options.maxBatch(),
                CardModel.kvBytesPerPosition(cfg, options.kvCache()), actBank, activationBytes, pools);
        // the card model needs placements, kernels and pools; bank traffic, stages and the estimate come from it
        DataflowPlan placed = new DataflowPlan(DataflowPlan.PLAN_VERSION, platform.name(), platform.vitisPlatform(),
                platform.kernelClockMhz(), kernels, List.of(), placements, List.of(), memory, null);
        CardModel card = new CardModel(cfg, placed, platform);
        Map<Integer, Long> readPerBank = card.bytesReadPerBank(1, options.contextTokens());
        List<BankUse> bankUses = new ArrayList<>();
        for (int b = 0; b < banks; b++) {
            if (used[b] + kvUsed[b] + actUsed[b] == 0) continue;
            bankUses.add(new BankUse(b, platform.isHbm(b) ? MemoryKind.HBM : MemoryKind.DDR, platform.bankBytes(b), used[b], kvUsed[b], actUsed[b],
                    readPerBank.getOrDefault(b, 0L)));
        }
        CardEstimate est = card.estimate(1, options.contextTokens());
        return new DataflowPlan(placed.planVersion(), placed.platform(), placed.vitisPlatform(), placed.kernelClockMhz(),
                kernels, est.stages(), placements, bankUses, memory, est.toPlanEstimate());
    }

    private static long align(long bytes) {
        long a = Manifest.PART_ALIGNMENT_BYTES;
        return (bytes + a - 1) / a * a;
    }

    private static int leastUsed(long[] used, long[] kv, long[] act, int first, int count) {
        int best = first;
        for (int b = first; b < first + count; b++) {
            if (used[b] + kv[b] + act[b] < used[best] + kv[best] + act[best]) best = b;
        }
        return best;
    }

    private static void checkFits(Platform p, int bank, long bytes, String what, long[] used) throws CompileException {
        if (bytes > p.bankBytes(bank)) {
            long total = 0;
            for (long u : used) total += u;
            throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, "model does not fit " + p + ": placing " + what
                    + " needs " + bytes + " bytes in bank " + bank + " of " + p.bankBytes(bank) + " bytes (weights so far "
                    + total + " bytes over " + p.weightBanks() + " banks of " + p.bankBytes(bank) + ")");
        }
    }

    private static long kvPoolBytes(DecoderConfig cfg, KvCacheDtype kv, int batch, int positions) {
        return CardModel.kvPoolBytes(cfg, kv, batch, positions);
    }

    /** x, normed x, residual, q, k, v, attention out, gate, up, logits: float32 per sequence. */
    private static long activationBytes(DecoderConfig cfg, int batch) {
        long floats = 3L * cfg.hiddenSize() + 2L * cfg.queryDim() + 2L * cfg.kvDim() + 2L * cfg.intermediateSize() + cfg.vocabSize();
        return floats * 4 * batch;
    }

    private static boolean isMatrixConsumedByGemv(String name) {
        return !name.equals(TensorNames.TOKEN_EMBEDDING) && !name.equals(TensorNames.POSITION_EMBEDDING);
    }

    private static List<KernelUse> kernels(DecoderConfig cfg, List<TensorPlacement> placements, Platform platform, PlanOptions options) {
        // GEMV kernels: one unit per bank holding a shard of a matrix of that format
        Map<String, java.util.Set<Integer>> gemvBanks = new TreeMap<>();
        Map<String, Integer> gemvMaxCols = new HashMap<>();
        for (TensorPlacement p : placements) {
            boolean gemv = p.rows() > 1 && (isMatrixConsumedByGemv(p.tensor()) || (p.tensor().equals(TensorNames.TOKEN_EMBEDDING) && cfg.tiedEmbeddings() && cfg.hasLmHead()));
            if (!gemv || p.format() == PackedFormat.F32) continue;
            String k = KernelSymbols.gemv(p.format());
            p.shards().forEach(s -> gemvBanks.computeIfAbsent(k, x -> new java.util.TreeSet<>()).add(s.bank()));
            gemvMaxCols.merge(k, p.cols(), Math::max);
        }
        Map<String, Integer> lanes = new HashMap<>();
        for (String k : gemvBanks.keySet()) lanes.put(k, AXI_BEAT_BITS / bits(k));
        // shrink lanes of the most DSP-hungry GEMV kernel until the DSP budget holds
        double budget = platform.resources().dsp() * MAX_DSP_FRACTION;
        while (true) {
            long dsp = 0;
            String worst = null;
            long worstDsp = -1;
            for (String k : gemvBanks.keySet()) {
                long d = (long) gemvBanks.get(k).size() * lanes.get(k) * dspPerLane(k);
                dsp += d;
                if (d > worstDsp && lanes.get(k) > 1) { worstDsp = d; worst = k; }
            }
            if (dsp <= budget || worst == null) break;
            lanes.put(worst, lanes.get(worst) / 2);
        }
        List<KernelUse> out = new ArrayList<>();
        for (String k : gemvBanks.keySet()) {
            int units = gemvBanks.get(k).size(), l = lanes.get(k);
            long bram = units * (BRAM36_PER_UNIT + 2 * Math.ceilDiv(gemvMaxCols.get(k) * 4L * options.maxBatch(), BRAM36_BYTES));
            out.add(new KernelUse(k, units, l, 1, new ResourcesModeled((long) units * l * dspPerLane(k), bram, 0,
                    (long) units * (LUT_PER_UNIT + (long) l * (dspPerLane(k) == DSP_PER_INT_LANE ? LUT_PER_INT_LANE : LUT_PER_FP32_LANE)))));
        }
        List<String> vector = new ArrayList<>();
        TensorPlacement emb = placements.stream().filter(p -> p.tensor().equals(TensorNames.TOKEN_EMBEDDING)).findFirst().orElse(null);
        if (emb != null) vector.add(KernelSymbols.embed(emb.format()));
        if (cfg.positions() == DecoderConfig.PositionEncoding.LEARNED) vector.add("tf_embed_f16");
        vector.add(KernelSymbols.norm(cfg.norm()));
        if (cfg.positions() == DecoderConfig.PositionEncoding.ROPE) vector.add("tf_rope");
        vector.add("tf_kv_write");
        vector.add("tf_attention");
        vector.add(KernelSymbols.activation(cfg.activation()));
        vector.add("tf_add");
        if (cfg.hasLmHead()) vector.add("tf_argmax");
        for (String k : vector.stream().distinct().toList()) {
            long dsp = k.equals("tf_argmax") || k.startsWith("tf_embed") || k.equals("tf_kv_write") ? 0 : (long) VECTOR_LANES * DSP_PER_FP32_LANE;
            long uram = k.equals("tf_attention") ? Math.ceilDiv((long) cfg.maxContextTokens() * 4 * cfg.numHeads(), URAM_BYTES) : 0;
            long bram = BRAM36_PER_UNIT + Math.ceilDiv(Math.max(cfg.hiddenSize(), cfg.intermediateSize()) * 4L * options.maxBatch(), BRAM36_BYTES);
            out.add(new KernelUse(k, 1, VECTOR_LANES, 1, new ResourcesModeled(dsp, bram, uram,
                    LUT_PER_UNIT + (long) VECTOR_LANES * LUT_PER_FP32_LANE)));
        }
        return out;
    }

    private static int bits(String gemv) {
        return switch (gemv) {
            case "tf_gemv_q4" -> 4;
            case "tf_gemv_q8" -> 8;
            default -> 16;
        };
    }

    private static int dspPerLane(String gemv) {
        return gemv.equals("tf_gemv_f16") ? DSP_PER_FP32_LANE : DSP_PER_INT_LANE;
    }

}
