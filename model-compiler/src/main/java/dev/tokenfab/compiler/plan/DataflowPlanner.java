package dev.tokenfab.compiler.plan;

import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.plan.DataflowPlan.BankUse;
import dev.tokenfab.format.plan.DataflowPlan.EstimateModeled;
import dev.tokenfab.format.plan.DataflowPlan.KernelUse;
import dev.tokenfab.format.plan.DataflowPlan.KvPool;
import dev.tokenfab.format.plan.DataflowPlan.MemoryPlan;
import dev.tokenfab.format.plan.DataflowPlan.ResourcesModeled;
import dev.tokenfab.format.plan.DataflowPlan.ShardPlacement;
import dev.tokenfab.format.plan.DataflowPlan.Stage;
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
 * The plan pass: places every packed tensor in memory banks and models one decode step.
 *
 * <p><b>Placement.</b> Decode at small batch is bandwidth-bound, and an Alveo reaches its HBM
 * bandwidth only with many AXI masters, each pinned to its own pseudo-channel (DESIGN.md). So every
 * matrix of at least {@link #SHARD_MIN_BYTES} is split into row shards, one per weight bank (at
 * least {@link #MIN_SHARD_ROWS} rows each), and each GEMV runs as one compute unit per bank over its
 * shard: all channels stream in parallel. Shards go to the least-filled banks, small tensors to the
 * least-filled bank; parts start at {@link Manifest#PART_ALIGNMENT_BYTES} boundaries. KV pools and
 * activation buffers then go to the least-filled banks. A bank that would overflow → error.
 *
 * <p><b>Model (every figure is modeled).</b> GEMV units take one 512-bit AXI beat per cycle (lanes =
 * 512 / bits per weight, II = 1); other kernels have {@link #VECTOR_LANES} fp32 lanes. Cycles per
 * step = sum over stages; memory time per step = max over banks of bytes / bandwidth, divided by
 * {@link #HBM_EFFICIENCY}; tokens/s = batch / max(compute time, memory time). Watts = platform idle +
 * DRAM energy per bit x traffic + active lanes x watts per lane.
 */
public final class DataflowPlanner {

    // ---- placement -------------------------------------------------------------------------------
    /** Matrices at least this large are sharded over all weight banks (smaller ones gain little and
     *  each shard costs up to 4 KiB of alignment per part). */
    static final long SHARD_MIN_BYTES = 256 << 10;
    /** Fewest rows per shard, so that per-call overhead stays small against streaming time. */
    static final int MIN_SHARD_ROWS = 16;

    // ---- compute model ---------------------------------------------------------------------------
    /** AXI data width of an HBM port on U55C/U280 (256-bit native at 450 MHz is exposed as 512-bit at
     *  the 300 MHz kernel clock by the HBM subsystem, PG276); one beat per cycle per GEMV unit. */
    static final int AXI_BEAT_BITS = 512;
    /** fp32 lanes of the element-wise/norm/attention kernels: one 512-bit beat of floats. */
    static final int VECTOR_LANES = 16;
    /** Fixed cycles per GEMV call: HBM read latency (~100–200 cycles measured by Shuhai, Wang et al.,
     *  FCCM 2020) plus the accumulation tree drain; an assumption, not measured here. */
    static final int GEMV_STARTUP_CYCLES = 200;
    /** Fixed cycles per call of the other kernels (pipeline fill); assumption. */
    static final int VECTOR_STARTUP_CYCLES = 50;
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

    // ---- memory and power model ------------------------------------------------------------------
    /** Achievable fraction of peak HBM bandwidth. Shuhai (Wang et al., FCCM 2020) measured about
     *  425 of 460 GB/s (92%) on a U280 with ideal sequential bursts on every channel; we derate to 85%
     *  for a real kernel mix (assumption). Also used for DDR. */
    public static final double HBM_EFFICIENCY = 0.85;
    /** HBM2 access energy, about 3.9 pJ/bit (O'Connor et al., "Fine-Grained DRAM", MICRO 2017). */
    static final double HBM_JOULES_PER_BIT = 3.9e-12;
    /** DDR4 access energy, about 15 pJ/bit (order of magnitude from Micron's DDR4 power calculator,
     *  TN-40-07; assumption). */
    static final double DDR_JOULES_PER_BIT = 15e-12;
    /** Dynamic watts per busy MAC lane at 300 MHz, calibrated so that a full-bandwidth int4 design on a
     *  U280 (about 4,096 lanes, 460 GB/s) lands at the top of the published 41–60 W decode range above
     *  the 37 W idle (DESIGN.md); a calibration, not a measurement. */
    static final double WATTS_PER_ACTIVE_LANE = 0.002;

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
                Map<String, Manifest.Part> parts = new LinkedHashMap<>();
                for (String part : t.format().partNames(t.zeroPoints())) {
                    long size = t.format().partBytes(part, rows, t.cols(), t.groupSize());
                    parts.put(part, new Manifest.Part(used[bank], size));
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
            for (String kind : List.of("k", "v")) {
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
                kvBytesPerPosition(cfg, options.kvCache()), actBank, activationBytes, pools);
        Map<Integer, Long> readPerBank = bytesReadPerBank(cfg, placements, pools, options.kvCache(), 1, options.contextTokens());
        List<BankUse> bankUses = new ArrayList<>();
        for (int b = 0; b < banks; b++) {
            if (used[b] + kvUsed[b] + actUsed[b] == 0) continue;
            bankUses.add(new BankUse(b, platform.isHbm(b) ? "HBM" : "DDR", platform.bankBytes(b), used[b], kvUsed[b], actUsed[b],
                    readPerBank.getOrDefault(b, 0L)));
        }
        List<Stage> stages = stages(cfg, placements, kernels, pools, platform, platform.kernelClockMhz(), options.kvCache(), 1,
                options.contextTokens());
        DataflowPlan partial = new DataflowPlan(DataflowPlan.PLAN_VERSION, platform.name(), platform.vitisPlatform(),
                platform.kernelClockMhz(), kernels, stages, placements, bankUses, memory, null);
        EstimateModeled est = estimate(cfg, partial, 1, options.contextTokens());
        return new DataflowPlan(partial.planVersion(), partial.platform(), partial.vitisPlatform(), partial.kernelClockMhz(),
                kernels, stages, placements, bankUses, memory, est);
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

    static long kvBytesPerPosition(DecoderConfig cfg, KvCacheDtype kv) {
        long perLayer = switch (kv) {
            case FP16 -> 2L * cfg.kvDim() * 2;
            case INT8 -> 2L * (cfg.kvDim() + (long) cfg.numKvHeads() * 4);   // int8 elements + fp32 scale per (token, head)
        };
        return perLayer * cfg.numLayers();
    }

    private static long kvPoolBytes(DecoderConfig cfg, KvCacheDtype kv, int batch, int positions) {
        return kvBytesPerPosition(cfg, kv) / cfg.numLayers() / 2 * batch * positions;
    }

    /** x, normed x, residual, q, k, v, attention out, gate, up, logits: float32 per sequence. */
    private static long activationBytes(DecoderConfig cfg, int batch) {
        long floats = 3L * cfg.hiddenSize() + 2L * cfg.queryDim() + 2L * cfg.kvDim() + 2L * cfg.intermediateSize() + cfg.vocabSize();
        return floats * 4 * batch;
    }

    static String gemvKernel(PackedFormat f) {
        return switch (f) {
            case Q4_GROUP -> "tf_gemv_q4";
            case Q8_CHANNEL -> "tf_gemv_q8";
            case F16 -> "tf_gemv_f16";
            case F32 -> throw new IllegalArgumentException("no GEMV kernel reads F32 matrices");
        };
    }

    static String embedKernel(PackedFormat f) {
        return switch (f) {
            case Q4_GROUP -> "tf_embed_q4";
            case Q8_CHANNEL -> "tf_embed_q8";
            case F16 -> "tf_embed_f16";
            case F32 -> throw new IllegalArgumentException("no embedding kernel reads F32 tables");
        };
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
            String k = gemvKernel(p.format());
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
        if (emb != null) vector.add(embedKernel(emb.format()));
        if (cfg.positions() == DecoderConfig.PositionEncoding.LEARNED) vector.add("tf_embed_f16");
        vector.add(cfg.norm() == DecoderConfig.NormKind.RMS_NORM ? "tf_rmsnorm" : "tf_layernorm");
        if (cfg.positions() == DecoderConfig.PositionEncoding.ROPE) vector.add("tf_rope");
        vector.add("tf_kv_write");
        vector.add("tf_attention");
        vector.add(switch (cfg.activation()) {
            case SILU_GLU -> "tf_swiglu";
            case GELU_TANH -> "tf_gelu_tanh";
            case GELU_ERF -> "tf_gelu_erf";
        });
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

    /** Bytes each bank streams per decode step at {@code batch} and {@code context}. */
    private static Map<Integer, Long> bytesReadPerBank(DecoderConfig cfg, List<TensorPlacement> placements, List<KvPool> pools,
                                                       KvCacheDtype kv, int batch, int context) {
        Map<Integer, Long> m = new TreeMap<>();
        for (TensorPlacement p : placements) {
            PackedShape shape = new PackedShape(p.tensor(), p.format(), p.rows(), p.cols(), p.groupSize(), p.zeroPoints());
            boolean lookup = isLookup(p.tensor());
            boolean streamed = !lookup || tiedHead(cfg, p.tensor());
            for (ShardPlacement s : p.shards()) {
                long bytes = (streamed ? shape.bytes(s.rows()) : 0) + (lookup ? (long) batch * shape.bytes(1) / p.shards().size() : 0);
                m.merge(s.bank(), bytes, Long::sum);
            }
        }
        long perPoolPerSeq = kvPoolBytes(cfg, kv, 1, context);
        for (KvPool pool : pools) m.merge(pool.bank(), perPoolPerSeq * batch, Long::sum);
        return m;
    }

    /** Embedding tables: read one row per sequence per step. */
    private static boolean isLookup(String tensor) {
        return tensor.equals(TensorNames.TOKEN_EMBEDDING) || tensor.equals(TensorNames.POSITION_EMBEDDING);
    }

    /** The token embedding doubling as LM head: also streamed whole every step. */
    private static boolean tiedHead(DecoderConfig cfg, String tensor) {
        return tensor.equals(TensorNames.TOKEN_EMBEDDING) && cfg.tiedEmbeddings() && cfg.hasLmHead();
    }

    private static Map<String, KernelUse> byName(List<KernelUse> ks) {
        Map<String, KernelUse> m = new HashMap<>();
        for (KernelUse k : ks) m.put(k.symbol(), k);
        return m;
    }

    /** Inputs shared by the stage builders. */
    private record Ctx(DecoderConfig cfg, Map<String, TensorPlacement> pl, Map<String, KernelUse> ks, Platform platform,
                       double clockHz, int batch) {
        double bankSeconds(int bank, long bytes) { return bytes / (platform.bankBytesPerSecond(bank) * HBM_EFFICIENCY); }
    }

    /** One token's stages at {@code batch} and {@code context}. */
    static List<Stage> stages(DecoderConfig cfg, List<TensorPlacement> placements, List<KernelUse> kernels, List<KvPool> pools,
                              Platform platform, int clockMhz, KvCacheDtype kv, int batch, int context) {
        Map<String, TensorPlacement> pl = new HashMap<>();
        for (TensorPlacement p : placements) pl.put(p.tensor(), p);
        Ctx x = new Ctx(cfg, pl, byName(kernels), platform, clockMhz * 1e6, batch);
        List<Stage> out = new ArrayList<>();
        int L = cfg.numLayers();
        TensorPlacement emb = pl.get(TensorNames.TOKEN_EMBEDDING);
        if (emb != null) out.add(vector(x, "embed", embedKernel(emb.format()), emb, 1, cfg.hiddenSize(), rowBytes(emb) * batch));
        if (pl.containsKey(TensorNames.POSITION_EMBEDDING)) {
            TensorPlacement pos = pl.get(TensorNames.POSITION_EMBEDDING);
            out.add(vector(x, "embed.positions", "tf_embed_f16", pos, 1, cfg.hiddenSize(), rowBytes(pos) * batch));
        }
        String norm = cfg.norm() == DecoderConfig.NormKind.RMS_NORM ? "tf_rmsnorm" : "tf_layernorm";
        TensorNames.Layer l0 = TensorNames.layer(0);
        out.add(vector(x, "attn.norm", norm, pl.get(l0.attnNormWeight()), L, 2 * cfg.hiddenSize(), 0));
        out.addAll(gemv(x, "attn.qkv", List.of(l0.wq(), l0.wk(), l0.wv()), L));
        if (cfg.positions() == DecoderConfig.PositionEncoding.ROPE) {
            out.add(vector(x, "attn.rope", "tf_rope", null, L, cfg.queryDim() + cfg.kvDim(), 0));
        }
        out.add(vector(x, "attn.kv_write", "tf_kv_write", null, L, 2 * cfg.kvDim(), 0));
        out.add(attention(x, pools, kv, context));
        out.addAll(gemv(x, "attn.o", List.of(l0.wo()), L));
        out.add(vector(x, "attn.residual", "tf_add", null, L, cfg.hiddenSize(), 0));
        out.add(vector(x, "mlp.norm", norm, pl.get(l0.mlpNormWeight()), L, 2 * cfg.hiddenSize(), 0));
        out.addAll(gemv(x, "mlp.gate_up", List.of(l0.wGate(), l0.wUp()), L));
        String act = switch (cfg.activation()) {
            case SILU_GLU -> "tf_swiglu";
            case GELU_TANH -> "tf_gelu_tanh";
            case GELU_ERF -> "tf_gelu_erf";
        };
        out.add(vector(x, "mlp.activation", act, null, L, cfg.intermediateSize(), 0));
        out.addAll(gemv(x, "mlp.down", List.of(l0.wDown()), L));
        out.add(vector(x, "mlp.residual", "tf_add", null, L, cfg.hiddenSize(), 0));
        out.add(vector(x, "final.norm", norm, pl.get(TensorNames.FINAL_NORM_WEIGHT), 1, 2 * cfg.hiddenSize(), 0));
        if (cfg.hasLmHead()) {
            String head = pl.containsKey(TensorNames.LM_HEAD) ? TensorNames.LM_HEAD : TensorNames.TOKEN_EMBEDDING;
            out.addAll(gemv(x, "lm_head", List.of(head), 1));
            out.add(vector(x, "sample.argmax", "tf_argmax", null, 1, cfg.vocabSize(), 0));
        }
        return out;
    }

    private static long rowBytes(TensorPlacement p) {
        return new PackedShape(p.tensor(), p.format(), p.rows(), p.cols(), p.groupSize(), p.zeroPoints()).bytes(1);
    }

    /** An element-wise/norm/lookup stage; {@code weights} (nullable) is layer 0's tensor, read whole unless lookupBytes > 0. */
    private static Stage vector(Ctx x, String name, String kernel, TensorPlacement weights, int repeat, long elements, long lookupBytes) {
        long cycles = (Math.ceilDiv(elements, VECTOR_LANES) * x.batch() + VECTOR_STARTUP_CYCLES) * repeat;
        long bytes = 0;
        double mem = 0;
        if (weights != null) {
            bytes = lookupBytes > 0 ? lookupBytes : rowBytes(weights) * weights.rows();
            mem = x.bankSeconds(weights.shards().getFirst().bank(), bytes);
        }
        double comp = cycles / x.clockHz();
        return new Stage(name, kernel, weights == null ? List.of() : List.of(weights.tensor()), repeat, VECTOR_LANES, 1,
                cycles, bytes * repeat, comp, mem * repeat, Math.max(comp, mem * repeat));
    }

    /** Attention over the KV pools: each layer streams its K then V pool; GQA reuses a KV element for
     *  numHeads/numKvHeads query heads, so lanes = KV elements per AXI beat x that group. */
    private static Stage attention(Ctx x, List<KvPool> pools, KvCacheDtype kv, int context) {
        DecoderConfig cfg = x.cfg();
        int elemBits = kv == KvCacheDtype.FP16 ? 16 : 8;
        int beatElems = AXI_BEAT_BITS / elemBits;
        int group = cfg.numHeads() / cfg.numKvHeads();
        long poolRead = kvPoolBytes(cfg, kv, x.batch(), context);
        long cyclesPerLayer = 2 * Math.ceilDiv((long) context * cfg.kvDim() * x.batch(), beatElems) + VECTOR_STARTUP_CYCLES;
        double mem = 0;
        for (int l = 0; l < cfg.numLayers(); l++) {
            Map<Integer, Long> perBank = new HashMap<>();
            for (KvPool p : pools) if (p.layer() == l) perBank.merge(p.bank(), poolRead, Long::sum);
            double worst = 0;
            for (Map.Entry<Integer, Long> e : perBank.entrySet()) worst = Math.max(worst, x.bankSeconds(e.getKey(), e.getValue()));
            mem += worst;
        }
        long cycles = cyclesPerLayer * cfg.numLayers();
        double comp = cycles / x.clockHz();
        return new Stage("attn.attention", "tf_attention", List.of(), cfg.numLayers(), beatElems * group, 1, cycles,
                2 * poolRead * cfg.numLayers(), comp, mem, Math.max(comp, mem));
    }

    /** GEMV stages: per kernel (format), the tensors run one after another, each over all its shards in parallel. */
    private static List<Stage> gemv(Ctx x, String name, List<String> tensors, int repeat) {
        Map<String, List<TensorPlacement>> byKernel = new LinkedHashMap<>();
        for (String t : tensors) {
            TensorPlacement p = x.pl().get(t);
            if (p != null) byKernel.computeIfAbsent(gemvKernel(p.format()), k -> new ArrayList<>()).add(p);
        }
        List<Stage> out = new ArrayList<>();
        for (Map.Entry<String, List<TensorPlacement>> e : byKernel.entrySet()) {
            int lanes = x.ks().get(e.getKey()).macLanesPerUnit();
            long cycles = 0, bytes = 0;
            double mem = 0;
            for (TensorPlacement p : e.getValue()) {
                PackedShape shape = new PackedShape(p.tensor(), p.format(), p.rows(), p.cols(), p.groupSize(), p.zeroPoints());
                int maxShardRows = p.shards().stream().mapToInt(ShardPlacement::rows).max().orElse(0);
                cycles += Math.ceilDiv((long) maxShardRows * p.cols() * x.batch(), lanes) + GEMV_STARTUP_CYCLES;
                bytes += shape.bytes();
                Map<Integer, Long> perBank = new HashMap<>();
                for (ShardPlacement s : p.shards()) perBank.merge(s.bank(), shape.bytes(s.rows()), Long::sum);
                double worst = 0;
                for (Map.Entry<Integer, Long> b : perBank.entrySet()) worst = Math.max(worst, x.bankSeconds(b.getKey(), b.getValue()));
                mem += worst;
            }
            String stageName = byKernel.size() == 1 ? name : name + "." + e.getKey();
            double comp = cycles * repeat / x.clockHz();
            out.add(new Stage(stageName, e.getKey(), e.getValue().stream().map(TensorPlacement::tensor).toList(), repeat, lanes, 1,
                    cycles * repeat, bytes * repeat, comp, mem * repeat, Math.max(comp, mem * repeat)));
        }
        return out;
    }

    /**
     * Modeled decode at {@code batch} sequences of {@code contextTokens} each: weights are read once
     * per step for the whole batch, KV once per sequence.
     */
    public static EstimateModeled estimate(DecoderConfig cfg, DataflowPlan plan, int batch, int contextTokens) {
        if (batch <= 0 || contextTokens <= 0) throw new IllegalArgumentException("batch and context must be positive");
        Platform platform = Platform.valueOf(plan.platform());
        KvCacheDtype kv = plan.memory().kvCache();
        List<Stage> stages = stages(cfg, plan.placements(), plan.kernels(), plan.memory().kvPools(), platform,
                plan.kernelClockMhz(), kv, batch, contextTokens);
        double computeSeconds = 0, memorySeconds = 0, stepSeconds = 0;
        for (Stage s : stages) {
            computeSeconds += s.computeSecondsModeled();
            memorySeconds += s.memorySecondsModeled();
            stepSeconds += s.secondsModeled();
        }
        double computeTps = batch / computeSeconds;
        Map<Integer, Long> perBank = bytesReadPerBank(cfg, plan.placements(), plan.memory().kvPools(), kv, batch, contextTokens);
        long weightBytes = 0;
        for (TensorPlacement p : plan.placements()) {
            boolean lookup = isLookup(p.tensor());
            weightBytes += (!lookup || tiedHead(cfg, p.tensor()) ? rowBytes(p) * p.rows() : 0) + (lookup ? (long) batch * rowBytes(p) : 0);
        }
        long kvBytes = kvPoolBytes(cfg, kv, batch, contextTokens) * 2 * cfg.numLayers();
        double aggregate = 0;
        for (int b : perBank.keySet()) aggregate += platform.bankBytesPerSecond(b);
        double bytesPerToken = (double) (weightBytes + kvBytes) / batch;
        double roofline = aggregate / bytesPerToken;
        double memoryTps = batch / memorySeconds;
        double tps = batch / stepSeconds;
        String bound = memorySeconds >= computeSeconds ? "memory" : "compute";
        double steps = tps / batch;
        double memWatts = 0;
        for (Map.Entry<Integer, Long> e : perBank.entrySet()) {
            memWatts += e.getValue() * steps * 8 * (platform.isHbm(e.getKey()) ? HBM_JOULES_PER_BIT : DDR_JOULES_PER_BIT);
        }
        long lanes = 0;
        ResourcesModeled res = new ResourcesModeled(0, 0, 0, 0);
        for (KernelUse k : plan.kernels()) {
            lanes += (long) k.computeUnits() * k.macLanesPerUnit();
            res = res.plus(k.resourcesModeled());
        }
        double activity = Math.min(1, computeSeconds / stepSeconds);
        double fabricWatts = lanes * WATTS_PER_ACTIVE_LANE * activity * (plan.kernelClockMhz() / 300.0);
        double watts = Math.min(platform.maxBoardWatts(), platform.idleWatts() + memWatts + fabricWatts);
        Platform.Resources dev = platform.resources();
        return new EstimateModeled(batch, contextTokens, weightBytes, kvBytes, bytesPerToken, aggregate, HBM_EFFICIENCY,
                roofline, memoryTps, computeTps, tps, bound, platform.idleWatts(), memWatts, fabricWatts, watts, tps / watts,
                res, (double) res.dsp() / dev.dsp(), (double) res.bram36() / dev.bram36(), (double) res.uram() / dev.uram(),
                (double) res.lut() / dev.lut());
    }
}
