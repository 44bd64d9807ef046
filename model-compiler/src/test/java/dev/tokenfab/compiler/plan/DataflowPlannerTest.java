package dev.tokenfab.compiler.plan;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.card.CardModel;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.compiler.quant.TestModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DataflowPlannerTest {

    /** Llama-3.2-1B dimensions (HF config.json of meta-llama/Llama-3.2-1B). */
    static DecoderConfig llama1b() {
        return new DecoderConfig(DecoderConfig.Family.LLAMA, 128256, 2048, 16, 32, 8, 64, 8192, 2048,
                DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
                500000f, 64, DecoderConfig.RopeLayout.HALF_SPLIT, true, true, false, false);
    }

    /** Packed shapes of a Llama-shaped config with every matrix in {@code f}. */
    static List<PackedShape> shapes(DecoderConfig c, PackedFormat f, int group) {
        List<PackedShape> s = new ArrayList<>();
        s.add(new PackedShape(TensorNames.TOKEN_EMBEDDING, f, c.vocabSize(), c.hiddenSize(), group, false));
        for (int i = 0; i < c.numLayers(); i++) {
            TensorNames.Layer l = TensorNames.layer(i);
            s.add(new PackedShape(l.attnNormWeight(), PackedFormat.F32, 1, c.hiddenSize(), 0, false));
            s.add(new PackedShape(l.wq(), f, c.queryDim(), c.hiddenSize(), group, false));
            s.add(new PackedShape(l.wk(), f, c.kvDim(), c.hiddenSize(), group, false));
            s.add(new PackedShape(l.wv(), f, c.kvDim(), c.hiddenSize(), group, false));
            s.add(new PackedShape(l.wo(), f, c.hiddenSize(), c.queryDim(), group, false));
            s.add(new PackedShape(l.mlpNormWeight(), PackedFormat.F32, 1, c.hiddenSize(), 0, false));
            s.add(new PackedShape(l.wGate(), f, c.intermediateSize(), c.hiddenSize(), group, false));
            s.add(new PackedShape(l.wUp(), f, c.intermediateSize(), c.hiddenSize(), group, false));
            s.add(new PackedShape(l.wDown(), f, c.hiddenSize(), c.intermediateSize(), group, false));
        }
        s.add(new PackedShape(TensorNames.FINAL_NORM_WEIGHT, PackedFormat.F32, 1, c.hiddenSize(), 0, false));
        return s;
    }

    private static DataflowPlan plan(PackedFormat f, Platform p) throws CompileException {
        DecoderConfig c = llama1b();
        return DataflowPlanner.plan(c, shapes(c, f, f == PackedFormat.Q4_GROUP ? 128 : 0), p, PlanOptions.defaults(c.maxContextTokens()));
    }

    @ParameterizedTest
    @EnumSource(Platform.class)
    void placementCoversEveryRowOnceWithAlignedNonOverlappingPartsInsideBanks(Platform platform) throws Exception {
        DataflowPlan plan = plan(PackedFormat.Q4_GROUP, platform);
        Map<Integer, List<long[]>> ranges = new HashMap<>();
        for (DataflowPlan.TensorPlacement t : plan.placements()) {
            int next = 0;
            for (DataflowPlan.ShardPlacement s : t.shards()) {
                assertEquals(next, s.rowStart(), t.tensor());
                next += s.rows();
                for (Map.Entry<String, Part> e : s.parts().entrySet()) {
                    Part part = e.getValue();
                    assertEquals(0, part.offsetBytes() % Manifest.PART_ALIGNMENT_BYTES, t.tensor() + " " + e.getKey());
                    assertEquals(t.format().partBytes(e.getKey(), s.rows(), t.cols(), t.groupSize()), part.sizeBytes());
                    assertTrue(part.offsetBytes() + part.sizeBytes() <= platform.bankBytes(s.bank()));
                    ranges.computeIfAbsent(s.bank(), b -> new ArrayList<>()).add(new long[] {part.offsetBytes(), part.offsetBytes() + part.sizeBytes()});
                }
            }
            assertEquals(t.rows(), next, t.tensor() + " shards cover all rows");
        }
        for (List<long[]> r : ranges.values()) {
            r.sort((a, b) -> Long.compare(a[0], b[0]));
            for (int i = 1; i < r.size(); i++) assertTrue(r.get(i)[0] >= r.get(i - 1)[1], "parts overlap");
        }
        // the big matrices stream from every weight bank
        DataflowPlan.TensorPlacement up = plan.placement(TensorNames.layer(3).wUp());
        assertEquals(platform.weightBanks(), up.shards().stream().mapToInt(DataflowPlan.ShardPlacement::bank).distinct().count());
        DataflowPlan.EstimateModeled e = plan.estimateModeled();
        assertTrue(e.tokensPerSecond() <= e.rooflineTokensPerSecond());
        assertTrue(e.boardWatts() >= platform.idleWatts() && e.boardWatts() <= platform.maxBoardWatts());
        assertTrue(e.dspFraction() <= 1.0, "DSP " + e.dspFraction());
    }

    @Test
    void llama1bInt4OnU280ModelsRooflineAndPublishedPowerRange() throws Exception {
        DataflowPlan plan = plan(PackedFormat.Q4_GROUP, Platform.U280);
        DataflowPlan.EstimateModeled e = plan.estimateModeled();
        long packed = shapes(llama1b(), PackedFormat.Q4_GROUP, 128).stream().mapToLong(PackedShape::bytes).sum();
        long embedding = new PackedShape("e", PackedFormat.Q4_GROUP, 128256, 2048, 128, false).bytes();
        // tied: the whole table is read as LM head, plus one row as embedding
        assertEquals(packed + embedding / 128256, e.weightBytesPerStep());
        assertEquals(Platform.U280.totalBytesPerSecond() - 2 * Platform.U280.ddrBankBytesPerSecond(), e.aggregateBytesPerSecond(), 1.0);
        assertEquals(e.aggregateBytesPerSecond() / e.bytesPerToken(), e.rooflineTokensPerSecond(), 1e-6);
        assertEquals(DataflowPlan.Bound.MEMORY, e.bound());
        assertTrue(e.tokensPerSecond() <= CardModel.HBM_EFFICIENCY * e.rooflineTokensPerSecond() * 1.0001, e.toString());
        // short context: weights dominate and the balanced shards reach ~efficiency x roofline
        DataflowPlan.EstimateModeled shortCtx = CardModel.of(llama1b(), plan).estimate(1, 16).toPlanEstimate();
        assertTrue(shortCtx.tokensPerSecond() > 0.9 * CardModel.HBM_EFFICIENCY * shortCtx.rooflineTokensPerSecond(), shortCtx.toString());
        assertTrue(shortCtx.boardWatts() >= 41 && shortCtx.boardWatts() <= 60, "modeled watts " + shortCtx.boardWatts());
        System.out.println("modeled Llama-3.2-1B int4 g128 U280, ctx 1024: " + e);
        System.out.println("modeled Llama-3.2-1B int4 g128 U280, ctx 16: " + shortCtx);
    }

    @Test
    void narrowerWeightsModelFasterAndBatchAmortizesWeights() throws Exception {
        double q4 = plan(PackedFormat.Q4_GROUP, Platform.U55C).estimateModeled().tokensPerSecond();
        double q8 = plan(PackedFormat.Q8_CHANNEL, Platform.U55C).estimateModeled().tokensPerSecond();
        double f16 = plan(PackedFormat.F16, Platform.U55C).estimateModeled().tokensPerSecond();
        assertTrue(q4 > q8 && q8 > f16, q4 + " " + q8 + " " + f16);
        DataflowPlan p = plan(PackedFormat.Q8_CHANNEL, Platform.U55C);
        DataflowPlan.EstimateModeled b1 = CardModel.of(llama1b(), p).estimate(1, 512).toPlanEstimate();
        DataflowPlan.EstimateModeled b8 = CardModel.of(llama1b(), p).estimate(8, 512).toPlanEstimate();
        long embeddingRow = new PackedShape("e", PackedFormat.Q8_CHANNEL, 128256, 2048, 0, false).bytes(1);
        assertEquals(b1.weightBytesPerStep() + 7 * embeddingRow, b8.weightBytesPerStep(), "only the looked-up rows grow with batch");
        assertTrue(b8.bytesPerToken() < b1.bytesPerToken() / 4, "weights read once per batch");
        // batch 8 leaves the HBM roofline and hits the GEMV lanes (one weight beat per cycle, B MACs per weight)
        assertTrue(b8.tokensPerSecond() > 1.2 * b1.tokensPerSecond(), b1.tokensPerSecond() + " -> " + b8.tokensPerSecond());
        assertEquals(DataflowPlan.Bound.MEMORY, b1.bound());
        assertEquals(DataflowPlan.Bound.COMPUTE, b8.bound());
        assertEquals(8 * b1.kvBytesPerStep(), b8.kvBytesPerStep());
    }

    @ParameterizedTest
    @EnumSource(Platform.class)
    void planStoresTheCardModelsStagesEstimateAndBankTraffic(Platform platform) throws Exception {
        DataflowPlan plan = plan(PackedFormat.Q8_CHANNEL, platform);
        CardModel card = CardModel.of(llama1b(), plan);
        var e = card.estimate(1, plan.memory().contextTokens());
        assertEquals(e.toPlanEstimate(), plan.estimateModeled());
        assertEquals(e.stages(), plan.stages());
        Map<Integer, Long> read = card.bytesReadPerBank(1, plan.memory().contextTokens());
        for (DataflowPlan.BankUse b : plan.banks()) assertEquals(read.getOrDefault(b.bank(), 0L), b.bytesReadPerTokenModeled(), "bank " + b.bank());
        for (DataflowPlan.BankUse b : plan.banks()) {
            assertEquals(platform.isHbm(b.bank()) ? DataflowPlan.MemoryKind.HBM : DataflowPlan.MemoryKind.DDR, b.kind());
        }
    }

    @Test
    void modelThatDoesNotFitIsRefusedWithSizes() {
        DecoderConfig big = new DecoderConfig(DecoderConfig.Family.LLAMA, 128256, 4096, 32, 32, 8, 128, 14336, 2048,
                DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
                500000f, 128, DecoderConfig.RopeLayout.HALF_SPLIT, false, true, false, false);   // Llama-3-8B
        CompileException e = assertThrows(CompileException.class, () -> DataflowPlanner.plan(big, shapes(big, PackedFormat.F16, 0),
                Platform.U280, PlanOptions.defaults(2048)));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_MODEL, e.code());
        assertTrue(e.getMessage().contains("does not fit U280"), e.getMessage());
    }

    @Test
    void planRoundTripsThroughJson() throws Exception {
        DecoderConfig c = TestModels.llamaConfig(256, 128, 2, 4, 2, 256, false);
        DataflowPlan plan = DataflowPlanner.plan(c, shapes(c, PackedFormat.Q8_CHANNEL, 0), Platform.U250,
                new PlanOptions(KvCacheDtype.INT8, 128, 2));
        ObjectMapper om = new ObjectMapper();
        String json = om.writeValueAsString(plan);
        assertEquals(plan, om.readValue(json, DataflowPlan.class));
        assertTrue(json.contains("estimateModeled") && json.contains("tf_gemv_q8") && json.contains("tf_attention"));
        assertEquals(2L * c.numLayers(), plan.memory().kvPools().size());
    }
}
