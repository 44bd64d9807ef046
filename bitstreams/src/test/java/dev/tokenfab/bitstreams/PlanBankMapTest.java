package dev.tokenfab.bitstreams;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bitstreams.xclbin.Xclbin;
import dev.tokenfab.bitstreams.xclbin.XclbinMode;
import dev.tokenfab.bitstreams.xclbin.XclbinReader;
import dev.tokenfab.bitstreams.xclbin.XclbinWriter;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.compiler.plan.DataflowPlanner;
import dev.tokenfab.compiler.plan.PackedShape;
import dev.tokenfab.compiler.plan.PlanOptions;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.kernels.Kernel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The bank map, cfg and xclbin of a real plan: the planner's placement is the single source of truth. */
public class PlanBankMapTest {

    /** Llama-3.2-1B's shape (the planner's own test model). */
    public static DecoderConfig llama1b() {
        return new DecoderConfig(DecoderConfig.Family.LLAMA, 128256, 2048, 16, 32, 8, 64, 8192, 2048,
                DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
                500000f, 64, DecoderConfig.RopeLayout.HALF_SPLIT, true, true, false, false);
    }

    public static List<PackedShape> shapes(DecoderConfig c, PackedFormat f) {
        int g = f == PackedFormat.Q4_GROUP ? 128 : 0;   // Q4 group size (128: the usual int4 group)
        List<PackedShape> s = new ArrayList<>();
        s.add(new PackedShape(TensorNames.TOKEN_EMBEDDING, f, c.vocabSize(), c.hiddenSize(), g, false));
        for (int i = 0; i < c.numLayers(); i++) {
            TensorNames.Layer l = TensorNames.layer(i);
            s.add(new PackedShape(l.attnNormWeight(), PackedFormat.F32, 1, c.hiddenSize(), 0, false));
            for (String m : List.of(l.wq(), l.wk(), l.wv()))
                s.add(new PackedShape(m, f, m.equals(l.wq()) ? c.queryDim() : c.kvDim(), c.hiddenSize(), g, false));
            s.add(new PackedShape(l.wo(), f, c.hiddenSize(), c.queryDim(), g, false));
            s.add(new PackedShape(l.mlpNormWeight(), PackedFormat.F32, 1, c.hiddenSize(), 0, false));
            s.add(new PackedShape(l.wGate(), f, c.intermediateSize(), c.hiddenSize(), g, false));
            s.add(new PackedShape(l.wUp(), f, c.intermediateSize(), c.hiddenSize(), g, false));
            s.add(new PackedShape(l.wDown(), f, c.hiddenSize(), c.intermediateSize(), g, false));
        }
        s.add(new PackedShape(TensorNames.FINAL_NORM_WEIGHT, PackedFormat.F32, 1, c.hiddenSize(), 0, false));
        return s;
    }

    @Test
    void planWiresEveryWeightBankToItsOwnGemvUnit() throws Exception {
        DecoderConfig c = llama1b();
        DataflowPlan plan = DataflowPlanner.plan(c, shapes(c, PackedFormat.Q8_CHANNEL), Platform.U55C, PlanOptions.defaults(c.maxContextTokens()));
        BankMap map = BankMap.fromPlan(plan);
        Set<Integer> weightBanks = new TreeSet<>();
        plan.placements().stream().filter(t -> t.format() == PackedFormat.Q8_CHANNEL).forEach(t -> t.shards().forEach(s -> weightBanks.add(s.bank())));
        List<BankMap.Instance> gemv = map.instances().stream().filter(i -> i.kernel() == Kernel.GEMV_Q8).toList();
        assertEquals(weightBanks.size(), gemv.size(), "one GEMV unit per weight bank");
        assertTrue(gemv.size() > 1, "the planner spreads weights over several banks: " + weightBanks);
        Set<Integer> pinned = new TreeSet<>();
        for (BankMap.Instance i : gemv) {
            List<Integer> w = map.banksOf(i, "w");
            assertEquals(1, w.size(), i.name() + " w reaches one bank");
            assertEquals(w, map.banksOf(i, "scales"));
            assertEquals(List.of(plan.memory().activationBank()), map.banksOf(i, "x"));
            pinned.addAll(w);
        }
        assertEquals(weightBanks, pinned);
        // only the kernels the plan uses
        Set<String> used = new TreeSet<>();
        plan.kernels().forEach(k -> used.add(k.symbol()));
        map.instances().forEach(i -> assertTrue(used.contains(i.kernel().symbol()), i.name() + " not in the plan's kernels " + used));
        // the same map renders the cfg and the xclbin, which reads back with that connectivity
        String cfg = ConnectivityConfig.render(map);
        assertTrue(cfg.contains("nk=tf_gemv_q8:" + gemv.size() + ":"), cfg);
        Xclbin x = XclbinReader.read(XclbinWriter.toBytes(map, XclbinMode.FLAT), "plan");
        int cu = x.computeUnits().stream().filter(u -> u.name().equals("tf_gemv_q8:" + gemv.getFirst().name())).findFirst().orElseThrow().index();
        assertEquals(map.banksOf(gemv.getFirst(), "w"), x.connections().stream().filter(k -> k.computeUnit() == cu && k.argIndex() == 0)
                .map(Xclbin.Connection::memIndex).toList());
    }
}
