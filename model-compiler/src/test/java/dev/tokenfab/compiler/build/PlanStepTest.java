package dev.tokenfab.compiler.build;

import dev.tokenfab.format.plan.Part;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.build.BuildModel.PlannedModel;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanStepTest {

    @TempDir Path dir;

    @Test
    void placesEveryTensorAndVerifiesIt() throws Exception {
        try (BuildContext ctx = Toy.context(dir.resolve("o"))) {
            StepResult<PlannedModel> r = new PlanStep().apply(Toy.quantized(ctx, 11), ctx);
            assertEquals(Verification.Status.SUCCESS, r.verification().status(), r.verification().toString());
            assertEquals(r.model().quantized().tensors().size(), r.model().plan().placements().size());
            assertEquals(r.model().plan().estimateModeled(), ((PlanStep.Report) r.report()).estimateModeled());
        }
    }

    @Test
    void aMissingPlacementOrAShardBeyondItsBankFails() throws Exception {
        try (BuildContext ctx = Toy.context(dir.resolve("o"))) {
            PlannedModel p = Toy.planned(ctx, 12);
            Platform platform = ctx.config().options().platform();
            DataflowPlan plan = p.plan();
            List<DataflowPlan.TensorPlacement> fewer = new ArrayList<>(plan.placements());
            DataflowPlan.TensorPlacement dropped = fewer.remove(3);
            Verification v = PlanStep.verify(p.quantized(), withPlacements(plan, fewer), platform);
            assertEquals(Verification.Status.FAIL, v.status());
            assertTrue(v.detail().contains(dropped.tensor() + " is not placed"), v.detail());

            List<DataflowPlan.TensorPlacement> moved = new ArrayList<>(plan.placements());
            DataflowPlan.TensorPlacement t = moved.get(0);
            DataflowPlan.ShardPlacement s = t.shards().get(0);
            var parts = new java.util.LinkedHashMap<>(s.parts());
            var data = parts.get("data");
            parts.put("data", new dev.tokenfab.format.plan.Part(platform.bankBytes(s.bank()), data.sizeBytes()));
            List<DataflowPlan.ShardPlacement> shards = new ArrayList<>(t.shards());
            shards.set(0, new DataflowPlan.ShardPlacement(s.rowStart(), s.rows(), s.bank(), parts));
            moved.set(0, new DataflowPlan.TensorPlacement(t.tensor(), t.format(), t.rows(), t.cols(), t.groupSize(), t.zeroPoints(), shards));
            Verification w = PlanStep.verify(p.quantized(), withPlacements(plan, moved), platform);
            assertEquals(Verification.Status.FAIL, w.status());
            assertTrue(w.detail().contains(t.tensor() + " part data ends at byte"), w.detail());
        }
    }

    private static DataflowPlan withPlacements(DataflowPlan p, List<DataflowPlan.TensorPlacement> placements) {
        return new DataflowPlan(p.planVersion(), p.platform(), p.vitisPlatform(), p.kernelClockMhz(), p.kernels(), p.stages(),
                placements, p.banks(), p.memory(), p.estimateModeled());
    }
}
