package dev.tokenfab.format.card;

import dev.tokenfab.format.plan.Part;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.DataflowPlan.Bound;
import dev.tokenfab.format.plan.DataflowPlan.KernelUse;
import dev.tokenfab.format.plan.DataflowPlan.KvKind;
import dev.tokenfab.format.plan.DataflowPlan.KvPool;
import dev.tokenfab.format.plan.DataflowPlan.ResourcesModeled;
import dev.tokenfab.format.plan.DataflowPlan.ShardPlacement;
import dev.tokenfab.format.plan.DataflowPlan.TensorPlacement;
import dev.tokenfab.format.plan.KernelSymbols;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.quant.PackedFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CardModelTest {

    /** A small tied Llama: 2 layers, hidden 256, GQA 4/2, int8 weights (the planner's demo shape, scaled). */
    static final DecoderConfig LLAMA = new DecoderConfig(DecoderConfig.Family.LLAMA, 512, 256, 2, 4, 2, 64, 512, 256,
            DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
            10000f, 64, DecoderConfig.RopeLayout.HALF_SPLIT, true, true, false, false);
    static final int CONTEXT = 128;

    /** A hand-made plan: every matrix split over 4 banks, norms and KV pools spread round-robin. */
    static DataflowPlan plan(Platform p) {
        DecoderConfig c = LLAMA;
        List<TensorPlacement> pl = new ArrayList<>();
        int banks = 4;
        pl.add(matrix(TensorNames.TOKEN_EMBEDDING, c.vocabSize(), c.hiddenSize(), banks));
        for (int l = 0; l < c.numLayers(); l++) {
            TensorNames.Layer n = TensorNames.layer(l);
            pl.add(vector(n.attnNormWeight(), c.hiddenSize(), l % banks));
            pl.add(matrix(n.wq(), c.queryDim(), c.hiddenSize(), banks));
            pl.add(matrix(n.wk(), c.kvDim(), c.hiddenSize(), banks));
            pl.add(matrix(n.wv(), c.kvDim(), c.hiddenSize(), banks));
            pl.add(matrix(n.wo(), c.hiddenSize(), c.queryDim(), banks));
            pl.add(vector(n.mlpNormWeight(), c.hiddenSize(), (l + 1) % banks));
            pl.add(matrix(n.wGate(), c.intermediateSize(), c.hiddenSize(), banks));
            pl.add(matrix(n.wUp(), c.intermediateSize(), c.hiddenSize(), banks));
            pl.add(matrix(n.wDown(), c.hiddenSize(), c.intermediateSize(), banks));
        }
        pl.add(vector(TensorNames.FINAL_NORM_WEIGHT, c.hiddenSize(), 0));
        ResourcesModeled none = new ResourcesModeled(0, 0, 0, 0);
        List<KernelUse> kernels = new ArrayList<>();
        kernels.add(new KernelUse("tf_gemv_q8", banks, CardModel.AXI_BEAT_BITS / 8, 1, new ResourcesModeled(256, 8, 0, 30_000)));
        for (String k : List.of("tf_embed_q8", "tf_rmsnorm", "tf_rope", "tf_kv_write", "tf_attention", "tf_swiglu", "tf_add", "tf_argmax")) {
            kernels.add(new KernelUse(k, 1, CardModel.VECTOR_LANES, 1, none));
        }
        long pool = CardModel.kvPoolBytes(c, KvCacheDtype.FP16, 1, c.maxContextTokens());
        List<KvPool> pools = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) for (KvKind k : KvKind.values()) pools.add(new KvPool(l, k, pools.size() % banks, pool));
        DataflowPlan.MemoryPlan memory = new DataflowPlan.MemoryPlan(KvCacheDtype.FP16, CONTEXT, c.maxContextTokens(), 1,
                CardModel.kvBytesPerPosition(c, KvCacheDtype.FP16), 0, 4096, pools);
        return new DataflowPlan(DataflowPlan.PLAN_VERSION, p.name(), p.vitisPlatform(), p.kernelClockMhz(), kernels, List.of(), pl,
                List.of(), memory, null);
    }

    private static TensorPlacement matrix(String name, int rows, int cols, int banks) {
        List<ShardPlacement> shards = new ArrayList<>();
        for (int b = 0; b < banks; b++) shards.add(new ShardPlacement(b * rows / banks, rows / banks, b, parts(PackedFormat.Q8_CHANNEL, rows / banks, cols)));
        return new TensorPlacement(name, PackedFormat.Q8_CHANNEL, rows, cols, 0, false, shards);
    }

    private static TensorPlacement vector(String name, int cols, int bank) {
        return new TensorPlacement(name, PackedFormat.F32, 1, cols, 0, false, List.of(new ShardPlacement(0, 1, bank, parts(PackedFormat.F32, 1, cols))));
    }

    private static Map<String, Part> parts(PackedFormat f, int rows, int cols) {
        Map<String, Part> m = new LinkedHashMap<>();
        for (String part : f.partNames(false)) m.put(part, new Part(0, f.partBytes(part, rows, cols, 0)));
        return m;
    }

    static CardModel model(Platform p) { return new CardModel(LLAMA, plan(p), p); }

    @ParameterizedTest
    @EnumSource(Platform.class)
    void rooflineBoundsTokensPerSecondAndTokensPerJouleIsTokensPerSecondOverWatts(Platform p) {
        CardEstimate e = model(p).asPlanned();
        assertTrue(e.tokensPerSecond() > 0, e.toString());
        assertTrue(e.rooflineTokensPerSecond() >= e.rooflineAtEfficiencyTokensPerSecond(), e.toString());
        assertTrue(e.tokensPerSecond() <= e.rooflineAtEfficiencyTokensPerSecond() * 1.0001, e.toString());
        assertTrue(e.tokensPerSecond() <= e.memoryBoundTokensPerSecond() && e.tokensPerSecond() <= e.computeBoundTokensPerSecond());
        assertEquals(e.tokensPerSecond() / e.boardWatts(), e.tokensPerJoule(), 1e-12 * e.tokensPerJoule());
        assertEquals(e.batch() / e.stepSeconds(), e.tokensPerSecond(), 1e-9 * e.tokensPerSecond());
        assertEquals(e.peakBytesPerSecond() / e.bytesPerToken(), e.rooflineTokensPerSecond(), 1e-9 * e.rooflineTokensPerSecond());
        assertEquals(p.idleWatts(), e.idleWatts());
        assertTrue(e.idleWatts() < e.boardWatts() && e.boardWatts() <= p.maxBoardWatts(), e.toString());
        assertEquals(e.idleWatts() + e.memoryWatts() + e.fabricWatts(), e.boardWatts(), 1e-9);
    }

    @Test
    void stagesAddUpToTheStepAndNameTheirBound() {
        CardEstimate e = model(Platform.U55C).estimate(2, 64);
        double step = 0, compute = 0, memory = 0;
        for (DataflowPlan.Stage s : e.stages()) {
            step += s.secondsModeled();
            compute += s.computeSecondsModeled();
            memory += s.memorySecondsModeled();
            assertEquals(Math.max(s.computeSecondsModeled(), s.memorySecondsModeled()), s.secondsModeled(), 0.0, s.name());
            assertEquals(s.memorySecondsModeled() >= s.computeSecondsModeled() ? Bound.MEMORY : Bound.COMPUTE, s.bound(), s.name());
        }
        assertEquals(step, e.stepSeconds(), 0.0);
        assertEquals(compute, e.computeSeconds(), 0.0);
        assertEquals(memory, e.memorySeconds(), 0.0);
        assertEquals(e.memorySeconds() >= e.computeSeconds() ? Bound.MEMORY : Bound.COMPUTE, e.bound());
        assertEquals(List.of("embed", "attn.norm", "attn.qkv", "attn.rope", "attn.kv_write", "attn.attention", "attn.o", "attn.residual",
                "mlp.norm", "mlp.gate_up", "mlp.activation", "mlp.down", "mlp.residual", "final.norm", "lm_head", "sample.argmax"),
                e.stages().stream().map(DataflowPlan.Stage::name).toList());
    }

    @Test
    void batchReadsWeightsOnceAndKvPerSequenceAndContextScalesKv() {
        CardModel m = model(Platform.U55C);
        CardEstimate b1 = m.estimate(1, CONTEXT), b8 = m.estimate(8, CONTEXT), longer = m.estimate(1, 2 * CONTEXT);
        long embeddingRow = PackedFormat.Q8_CHANNEL.partNames(false).stream()
                .mapToLong(part -> PackedFormat.Q8_CHANNEL.partBytes(part, 1, LLAMA.hiddenSize(), 0)).sum();
        assertEquals(b1.weightBytesPerStep() + 7 * embeddingRow, b8.weightBytesPerStep(), "only the looked-up rows grow with batch");
        assertEquals(8 * b1.kvBytesPerStep(), b8.kvBytesPerStep());
        assertEquals((double) (b8.weightBytesPerStep() + b8.kvBytesPerStep()) / 8, b8.bytesPerToken(), 1e-9);
        assertTrue(b8.bytesPerToken() < b1.bytesPerToken(), "weights amortized over the batch");
        assertTrue(b8.tokensPerSecond() > b1.tokensPerSecond(), b1.tokensPerSecond() + " -> " + b8.tokensPerSecond());
        assertEquals(2 * b1.kvBytesPerStep(), longer.kvBytesPerStep());
        assertEquals(b1.weightBytesPerStep(), longer.weightBytesPerStep());
        assertTrue(longer.tokensPerSecond() <= b1.tokensPerSecond());
        assertEquals(2L * LLAMA.numLayers() * CONTEXT * LLAMA.kvDim() * 2, b1.kvBytesPerStep(), "fp16 K and V per layer per position");
    }

    @Test
    void asPlannedIsBatchOneAtThePlansContextAndMapsOntoTheStoredEstimate() {
        CardModel m = model(Platform.U280);
        CardEstimate e = m.asPlanned();
        assertEquals(m.estimate(1, CONTEXT), e);
        DataflowPlan.EstimateModeled stored = e.toPlanEstimate();
        assertEquals(e.tokensPerSecond(), stored.tokensPerSecond());
        assertEquals(e.boardWatts(), stored.boardWatts());
        assertEquals(e.rooflineTokensPerSecond(), stored.rooflineTokensPerSecond());
        assertEquals(e.peakBytesPerSecond(), stored.aggregateBytesPerSecond());
        assertEquals(CardModel.HBM_EFFICIENCY, stored.hbmEfficiency());
        assertEquals(e.bound(), stored.bound());
    }

    @Test
    void figuresAreLabeledModeledAndSayFromWhat() {
        CardEstimate e = model(Platform.U55C).estimate(4, 32);
        assertEquals("modeled", CardEstimate.LABEL);
        assertTrue(e.from().contains("U55C") && e.from().contains("batch 4") && e.from().contains("context 32")
                && e.from().contains(e.bound() + "-bound"), e.from());
        assertTrue(e.rooflineFrom().contains(Math.round(e.bytesPerToken()) + " B/token") && e.rooflineFrom().contains("datasheet"), e.rooflineFrom());
    }

    @Test
    void badInputNamesTheCulprit() {
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> new CardModel(LLAMA, plan(Platform.U55C), Platform.U280));
        assertTrue(wrong.getMessage().contains("U55C") && wrong.getMessage().contains("U280"), wrong.getMessage());
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> model(Platform.U55C).estimate(0, 16));
        assertTrue(batch.getMessage().contains("batch"), batch.getMessage());
        assertEquals(Platform.U250, CardModel.of(LLAMA, plan(Platform.U250)).platform());
    }

    @Test
    void closedChoicesKeepPlanVersionOnesJsonStrings() throws Exception {
        DataflowPlan p = plan(Platform.U280);
        CardEstimate e = new CardModel(LLAMA, p, Platform.U280).asPlanned();
        DataflowPlan full = new DataflowPlan(p.planVersion(), p.platform(), p.vitisPlatform(), p.kernelClockMhz(), p.kernels(), e.stages(),
                p.placements(), List.of(new DataflowPlan.BankUse(32, DataflowPlan.MemoryKind.DDR, 1L << 34, 0, 0, 0, 0)), p.memory(),
                e.toPlanEstimate());
        String json = PackageJson.mapper().writeValueAsString(full);
        assertTrue(json.contains("\"kind\" : \"k\"") && json.contains("\"kind\" : \"v\"") && json.contains("\"kind\" : \"DDR\"")
                && json.contains("\"bound\" : \"" + e.bound().json() + "\""), json);
        assertTrue(!json.contains("\"bound\" : \"MEMORY\"") && !json.contains("rooflineAtEfficiency"), "JSON keys and values unchanged");
        assertEquals(full, PackageJson.mapper().readValue(json, DataflowPlan.class));
        assertEquals(KvKind.V, PackageJson.mapper().readValue("\"v\"", KvKind.class));
        assertEquals(Bound.COMPUTE, PackageJson.mapper().readValue("\"compute\"", Bound.class));
        assertEquals("memory", Bound.MEMORY.toString(), "printed lines keep the plan's word");
    }

    @Test
    void kernelSymbolsNameEachFormat() {
        assertEquals("tf_gemv_q4", KernelSymbols.gemv(PackedFormat.Q4_GROUP));
        assertEquals("tf_embed_f16", KernelSymbols.embed(PackedFormat.F16));
        assertThrows(IllegalArgumentException.class, () -> KernelSymbols.gemv(PackedFormat.F32));
    }
}
