package dev.tokenfab.format.card;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.DataflowPlan.Bound;
import dev.tokenfab.format.plan.DataflowPlan.KernelUse;
import dev.tokenfab.format.plan.DataflowPlan.KvPool;
import dev.tokenfab.format.plan.DataflowPlan.ResourcesModeled;
import dev.tokenfab.format.plan.DataflowPlan.ShardPlacement;
import dev.tokenfab.format.plan.DataflowPlan.Stage;
import dev.tokenfab.format.plan.DataflowPlan.TensorPlacement;
import dev.tokenfab.format.plan.KernelSymbols;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.format.quant.KvCacheDtype;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The one model of an Alveo card's decode speed and power: every card figure tokenfab prints or
 * writes (the plan's {@code estimateModeled}, {@code run}, {@code demo}, {@code bench}) comes from
 * {@link #estimate(int, int)}. Everything it returns is <b>modeled</b>, from the plan's placement and
 * kernels, the {@link Platform} constants and the constants below (each cited; see also
 * {@code docs/SOURCES.md}); no Alveo card has checked it.
 *
 * <p><b>Speed.</b> A decode step runs the plan's stages one after another. A stage takes
 * max(compute, memory) seconds: compute = cycles / kernel clock, where GEMV units take one
 * {@link #AXI_BEAT_BITS}-bit beat per cycle and other kernels have {@link #VECTOR_LANES} lanes, plus a
 * fixed start-up per call; memory = the busiest bank's bytes / (bank peak bandwidth x
 * {@link #HBM_EFFICIENCY}). Weights are read once per step for the whole batch, KV once per sequence.
 * tokens/s = batch / step seconds.
 *
 * <p><b>Power.</b> board watts = platform idle + DRAM access energy x traffic + active lanes x
 * {@link #WATTS_PER_ACTIVE_LANE} x activity, capped at the board limit.
 *
 * @param config   the decoder the plan was made for (the package manifest's model)
 * @param plan     the package's dataflow plan (placements, kernels, KV pools)
 * @param platform the card the plan targets; must be {@code plan.platform()}
 */
public record CardModel(DecoderConfig config, DataflowPlan plan, Platform platform) {

    // ---- compute ---------------------------------------------------------------------------------
    /** Data width of one GEMV unit's AXI read port: one beat per kernel clock. A design choice: the HBM
     *  controller's AXI3 ports are 256 bits at up to 450 MHz (PG276, AXI High Bandwidth Memory
     *  Controller), which a 512-bit port at the 300 MHz kernel clock roughly matches (14.375 GB/s per
     *  pseudo-channel vs 19.2 GB/s per 512-bit port, UG1393 "HBM Configuration and Use"). */
    public static final int AXI_BEAT_BITS = 512;
    /** fp32 lanes of the element-wise/norm/attention kernels: one {@link #AXI_BEAT_BITS}-bit beat of
     *  floats (design choice of the HLS kernels). */
    public static final int VECTOR_LANES = AXI_BEAT_BITS / Float.SIZE;
    /** Fixed cycles per GEMV call: HBM read latency (about 100-200 cycles measured by Shuhai, Wang et
     *  al., FCCM 2020) plus the accumulation tree drain; an assumption, not measured here. */
    public static final int GEMV_STARTUP_CYCLES = 200;
    /** Fixed cycles per call of the other kernels (pipeline fill); an assumption, not measured. */
    public static final int VECTOR_STARTUP_CYCLES = 50;

    // ---- memory ----------------------------------------------------------------------------------
    /** Achievable fraction of peak bank bandwidth, also used for DDR. Measured elsewhere: Xilinx's
     *  Vitis_Accel_Examples {@code performance/hbm_bandwidth} README logs 421.3 GB/s of 460 GB/s (92%)
     *  on a U280 with 8 compute units over all 32 pseudo-channels, and Shuhai (Wang et al., FCCM 2020)
     *  reports a similar ~92% for sequential bursts. We derate to 85% for a real kernel mix: an
     *  assumption, not a measurement. */
    public static final double HBM_EFFICIENCY = 0.85;

    // ---- power -----------------------------------------------------------------------------------
    /** HBM2 access energy, about 3.9 pJ/bit (O'Connor et al., "Fine-Grained DRAM: Energy-Efficient DRAM
     *  for Extreme Bandwidth Systems", MICRO 2017, HBM2 baseline). */
    public static final double HBM_JOULES_PER_BIT = 3.9e-12;
    /** DDR4 access energy, about 15 pJ/bit: an order of magnitude from Micron's DDR4 power calculator
     *  (TN-40-07); an assumption, not a measurement. */
    public static final double DDR_JOULES_PER_BIT = 15e-12;
    /** Dynamic watts per busy MAC lane at {@link #LANE_WATTS_CLOCK_MHZ}. <b>Fitted, not measured:</b>
     *  chosen so that a full-bandwidth int4 Llama-1B design on a U280 (about 4,096 lanes, 460 GB/s)
     *  lands in the 41-60 W decode range that {@code DataflowPlannerTest} asserts (the range of the
     *  design brief's published U280 decoder power figures, unverified here). A later issue replaces
     *  it with a structural power model. */
    public static final double WATTS_PER_ACTIVE_LANE = 0.002;
    /** Clock at which {@link #WATTS_PER_ACTIVE_LANE} was fitted; lane power scales linearly with the
     *  plan's kernel clock from there (dynamic power is proportional to frequency). */
    public static final double LANE_WATTS_CLOCK_MHZ = 300.0;

    public CardModel {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(platform, "platform");
        if (!platform.name().equalsIgnoreCase(plan.platform())) {
            throw new IllegalArgumentException("plan targets platform " + plan.platform() + ", not " + platform);
        }
    }

    /** The model of {@code plan} on the platform it names. @throws IllegalArgumentException naming an unknown platform */
    public static CardModel of(DecoderConfig config, DataflowPlan plan) {
        return new CardModel(config, plan, Platform.parse(plan.platform()));
    }

    /** The estimate the plan was written with: batch 1 at the plan's modeled context. */
    public CardEstimate asPlanned() {
        return estimate(1, plan.memory().contextTokens());
    }

    /**
     * Modeled decode of {@code batch} sequences of {@code contextTokens} positions each.
     *
     * @throws IllegalArgumentException when batch or context is not positive
     */
    public CardEstimate estimate(int batch, int contextTokens) {
        if (batch <= 0 || contextTokens <= 0) {
            throw new IllegalArgumentException("batch and context must be positive, were " + batch + " and " + contextTokens);
        }
        KvCacheDtype kv = plan.memory().kvCache();
        List<Stage> stages = stages(batch, contextTokens);
        double computeSeconds = 0, memorySeconds = 0, stepSeconds = 0;
        for (Stage s : stages) {
            computeSeconds += s.computeSecondsModeled();
            memorySeconds += s.memorySecondsModeled();
            stepSeconds += s.secondsModeled();
        }
        double computeTps = batch / computeSeconds;
        Map<Integer, Long> perBank = bytesReadPerBank(batch, contextTokens);
        long weightBytes = 0;
        for (TensorPlacement p : plan.placements()) {
            boolean lookup = isLookup(p.tensor());
            weightBytes += (!lookup || tiedHead(p.tensor()) ? rowBytes(p) * p.rows() : 0) + (lookup ? (long) batch * rowBytes(p) : 0);
        }
        long kvBytes = kvPoolBytes(config, kv, batch, contextTokens) * 2 * config.numLayers();
        double aggregate = 0;
        for (int b : perBank.keySet()) aggregate += platform.bankBytesPerSecond(b);
        double bytesPerToken = (double) (weightBytes + kvBytes) / batch;
        double roofline = aggregate / bytesPerToken;
        double memoryTps = batch / memorySeconds;
        double tps = batch / stepSeconds;
        Bound bound = memorySeconds >= computeSeconds ? Bound.MEMORY : Bound.COMPUTE;
        double steps = tps / batch;
        double memWatts = 0;
        for (Map.Entry<Integer, Long> e : perBank.entrySet()) {
            memWatts += e.getValue() * steps * Byte.SIZE * (platform.isHbm(e.getKey()) ? HBM_JOULES_PER_BIT : DDR_JOULES_PER_BIT);
        }
        long lanes = 0;
        ResourcesModeled res = new ResourcesModeled(0, 0, 0, 0);
        for (KernelUse k : plan.kernels()) {
            lanes += (long) k.computeUnits() * k.macLanesPerUnit();
            res = res.plus(k.resourcesModeled());
        }
        double activity = Math.min(1, computeSeconds / stepSeconds);
        double fabricWatts = lanes * WATTS_PER_ACTIVE_LANE * activity * (plan.kernelClockMhz() / LANE_WATTS_CLOCK_MHZ);
        double watts = Math.min(platform.maxBoardWatts(), platform.idleWatts() + memWatts + fabricWatts);
        Platform.Resources dev = platform.resources();
        return new CardEstimate(platform, batch, contextTokens, stages, computeSeconds, memorySeconds, stepSeconds,
                weightBytes, kvBytes, bytesPerToken, aggregate, HBM_EFFICIENCY, roofline, roofline * HBM_EFFICIENCY,
                memoryTps, computeTps, tps, bound, platform.idleWatts(), memWatts, fabricWatts, watts, tps / watts,
                res, (double) res.dsp() / dev.dsp(), (double) res.bram36() / dev.bram36(), (double) res.uram() / dev.uram(),
                (double) res.lut() / dev.lut());
    }

    // ---- KV geometry (shared with the planner's pool sizing) -------------------------------------

    /** KV bytes one position occupies over all layers: K + V, with fp32 per-(token, head) scales for int8. */
    public static long kvBytesPerPosition(DecoderConfig cfg, KvCacheDtype kv) {
        long perLayer = switch (kv) {
            case FP16 -> 2L * cfg.kvDim() * 2;
            case INT8 -> 2L * (cfg.kvDim() + (long) cfg.numKvHeads() * 4);   // int8 elements + fp32 scale per (token, head)
        };
        return perLayer * cfg.numLayers();
    }

    /** Bytes of one layer's K (or V) pool for {@code batch} sequences of {@code positions}. */
    public static long kvPoolBytes(DecoderConfig cfg, KvCacheDtype kv, int batch, int positions) {
        return kvBytesPerPosition(cfg, kv) / cfg.numLayers() / 2 * batch * positions;
    }

    // ---- stages ----------------------------------------------------------------------------------

    /** One decode step's stages, in order, at {@code batch} and {@code contextTokens}. */
    public List<Stage> stages(int batch, int contextTokens) {
        Map<String, TensorPlacement> pl = new HashMap<>();
        for (TensorPlacement p : plan.placements()) pl.put(p.tensor(), p);
        Map<String, KernelUse> ks = new HashMap<>();
        for (KernelUse k : plan.kernels()) ks.put(k.symbol(), k);
        Ctx x = new Ctx(pl, ks, plan.kernelClockMhz() * 1e6, batch);
        DecoderConfig cfg = config;
        List<Stage> out = new ArrayList<>();
        int layers = cfg.numLayers();
        TensorPlacement emb = pl.get(TensorNames.TOKEN_EMBEDDING);
        if (emb != null) out.add(vector(x, "embed", KernelSymbols.embed(emb.format()), emb, 1, cfg.hiddenSize(), rowBytes(emb) * batch));
        if (pl.containsKey(TensorNames.POSITION_EMBEDDING)) {
            TensorPlacement pos = pl.get(TensorNames.POSITION_EMBEDDING);
            out.add(vector(x, "embed.positions", "tf_embed_f16", pos, 1, cfg.hiddenSize(), rowBytes(pos) * batch));
        }
        String norm = KernelSymbols.norm(cfg.norm());
        TensorNames.Layer l0 = TensorNames.layer(0);
        out.add(vector(x, "attn.norm", norm, pl.get(l0.attnNormWeight()), layers, 2 * cfg.hiddenSize(), 0));
        out.addAll(gemv(x, "attn.qkv", List.of(l0.wq(), l0.wk(), l0.wv()), layers));
        if (cfg.positions() == DecoderConfig.PositionEncoding.ROPE) {
            out.add(vector(x, "attn.rope", "tf_rope", null, layers, cfg.queryDim() + cfg.kvDim(), 0));
        }
        out.add(vector(x, "attn.kv_write", "tf_kv_write", null, layers, 2 * cfg.kvDim(), 0));
        out.add(attention(x, contextTokens));
        out.addAll(gemv(x, "attn.o", List.of(l0.wo()), layers));
        out.add(vector(x, "attn.residual", "tf_add", null, layers, cfg.hiddenSize(), 0));
        out.add(vector(x, "mlp.norm", norm, pl.get(l0.mlpNormWeight()), layers, 2 * cfg.hiddenSize(), 0));
        out.addAll(gemv(x, "mlp.gate_up", List.of(l0.wGate(), l0.wUp()), layers));
        out.add(vector(x, "mlp.activation", KernelSymbols.activation(cfg.activation()), null, layers, cfg.intermediateSize(), 0));
        out.addAll(gemv(x, "mlp.down", List.of(l0.wDown()), layers));
        out.add(vector(x, "mlp.residual", "tf_add", null, layers, cfg.hiddenSize(), 0));
        out.add(vector(x, "final.norm", norm, pl.get(TensorNames.FINAL_NORM_WEIGHT), 1, 2 * cfg.hiddenSize(), 0));
        if (cfg.hasLmHead()) {
            String head = pl.containsKey(TensorNames.LM_HEAD) ? TensorNames.LM_HEAD : TensorNames.TOKEN_EMBEDDING;
            out.addAll(gemv(x, "lm_head", List.of(head), 1));
            out.add(vector(x, "sample.argmax", "tf_argmax", null, 1, cfg.vocabSize(), 0));
        }
        return out;
    }

    /** Inputs shared by the stage builders. */
    private record Ctx(Map<String, TensorPlacement> pl, Map<String, KernelUse> ks, double clockHz, int batch) {}

    private double bankSeconds(int bank, long bytes) {
        return bytes / (platform.bankBytesPerSecond(bank) * HBM_EFFICIENCY);
    }

    /** An element-wise/norm/lookup stage; {@code weights} (nullable) is layer 0's tensor, read whole unless lookupBytes > 0. */
    private Stage vector(Ctx x, String name, String kernel, TensorPlacement weights, int repeat, long elements, long lookupBytes) {
        long cycles = (Math.ceilDiv(elements, VECTOR_LANES) * x.batch() + VECTOR_STARTUP_CYCLES) * repeat;
        long bytes = 0;
        double mem = 0;
        if (weights != null) {
            bytes = lookupBytes > 0 ? lookupBytes : rowBytes(weights) * weights.rows();
            mem = bankSeconds(weights.shards().getFirst().bank(), bytes);
        }
        double comp = cycles / x.clockHz();
        return new Stage(name, kernel, weights == null ? List.of() : List.of(weights.tensor()), repeat, VECTOR_LANES, 1,
                cycles, bytes * repeat, comp, mem * repeat, Math.max(comp, mem * repeat));
    }

    /** Attention over the KV pools: each layer streams its K then V pool; GQA reuses a KV element for
     *  numHeads/numKvHeads query heads, so lanes = KV elements per AXI beat x that group. */
    private Stage attention(Ctx x, int context) {
        DecoderConfig cfg = config;
        KvCacheDtype kv = plan.memory().kvCache();
        int elemBits = kv == KvCacheDtype.FP16 ? 16 : 8;
        int beatElems = AXI_BEAT_BITS / elemBits;
        int group = cfg.numHeads() / cfg.numKvHeads();
        long poolRead = kvPoolBytes(cfg, kv, x.batch(), context);
        long cyclesPerLayer = 2 * Math.ceilDiv((long) context * cfg.kvDim() * x.batch(), beatElems) + VECTOR_STARTUP_CYCLES;
        double mem = 0;
        for (int l = 0; l < cfg.numLayers(); l++) {
            Map<Integer, Long> perBank = new HashMap<>();
            for (KvPool p : plan.memory().kvPools()) if (p.layer() == l) perBank.merge(p.bank(), poolRead, Long::sum);
            double worst = 0;
            for (Map.Entry<Integer, Long> e : perBank.entrySet()) worst = Math.max(worst, bankSeconds(e.getKey(), e.getValue()));
            mem += worst;
        }
        long cycles = cyclesPerLayer * cfg.numLayers();
        double comp = cycles / x.clockHz();
        return new Stage("attn.attention", "tf_attention", List.of(), cfg.numLayers(), beatElems * group, 1, cycles,
                2 * poolRead * cfg.numLayers(), comp, mem, Math.max(comp, mem));
    }

    /** GEMV stages: per kernel (format), the tensors run one after another, each over all its shards in parallel. */
    private List<Stage> gemv(Ctx x, String name, List<String> tensors, int repeat) {
        Map<String, List<TensorPlacement>> byKernel = new LinkedHashMap<>();
        for (String t : tensors) {
            TensorPlacement p = x.pl().get(t);
            if (p != null) byKernel.computeIfAbsent(KernelSymbols.gemv(p.format()), k -> new ArrayList<>()).add(p);
        }
        List<Stage> out = new ArrayList<>();
        for (Map.Entry<String, List<TensorPlacement>> e : byKernel.entrySet()) {
            int lanes = x.ks().get(e.getKey()).macLanesPerUnit();
            long cycles = 0, bytes = 0;
            double mem = 0;
            for (TensorPlacement p : e.getValue()) {
                int maxShardRows = p.shards().stream().mapToInt(ShardPlacement::rows).max().orElse(0);
                cycles += Math.ceilDiv((long) maxShardRows * p.cols() * x.batch(), lanes) + GEMV_STARTUP_CYCLES;
                bytes += bytes(p, p.rows());
                Map<Integer, Long> perBank = new HashMap<>();
                for (ShardPlacement s : p.shards()) perBank.merge(s.bank(), bytes(p, s.rows()), Long::sum);
                double worst = 0;
                for (Map.Entry<Integer, Long> b : perBank.entrySet()) worst = Math.max(worst, bankSeconds(b.getKey(), b.getValue()));
                mem += worst;
            }
            String stageName = byKernel.size() == 1 ? name : name + "." + e.getKey();
            double comp = cycles * repeat / x.clockHz();
            out.add(new Stage(stageName, e.getKey(), e.getValue().stream().map(TensorPlacement::tensor).toList(), repeat, lanes, 1,
                    cycles * repeat, bytes * repeat, comp, mem * repeat, Math.max(comp, mem * repeat)));
        }
        return out;
    }

    // ---- traffic ---------------------------------------------------------------------------------

    /** Bytes each bank streams per decode step at {@code batch} and {@code context}, by bank (ascending). */
    public Map<Integer, Long> bytesReadPerBank(int batch, int context) {
        Map<Integer, Long> m = new TreeMap<>();
        for (TensorPlacement p : plan.placements()) {
            boolean lookup = isLookup(p.tensor());
            boolean streamed = !lookup || tiedHead(p.tensor());
            for (ShardPlacement s : p.shards()) {
                long bytes = (streamed ? bytes(p, s.rows()) : 0) + (lookup ? (long) batch * bytes(p, 1) / p.shards().size() : 0);
                m.merge(s.bank(), bytes, Long::sum);
            }
        }
        long perPoolPerSeq = kvPoolBytes(config, plan.memory().kvCache(), 1, context);
        for (KvPool pool : plan.memory().kvPools()) m.merge(pool.bank(), perPoolPerSeq * batch, Long::sum);
        return m;
    }

    /** Embedding tables: read one row per sequence per step. */
    private static boolean isLookup(String tensor) {
        return tensor.equals(TensorNames.TOKEN_EMBEDDING) || tensor.equals(TensorNames.POSITION_EMBEDDING);
    }

    /** The token embedding doubling as LM head: also streamed whole every step. */
    private boolean tiedHead(String tensor) {
        return tensor.equals(TensorNames.TOKEN_EMBEDDING) && config.tiedEmbeddings() && config.hasLmHead();
    }

    /** Bytes of all parts of {@code rows} rows of a placed tensor (every part is row-major, so any row range). */
    static long bytes(TensorPlacement p, int rows) {
        long s = 0;
        for (String part : p.format().partNames(p.zeroPoints())) s += p.format().partBytes(part, rows, p.cols(), p.groupSize());
        return s;
    }

    private static long rowBytes(TensorPlacement p) { return bytes(p, 1); }
}
