package dev.tokenfab.compiler.build;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.PlannedModel;
import dev.tokenfab.compiler.build.BuildModel.QuantizedIr;
import dev.tokenfab.compiler.plan.DataflowPlanner;
import dev.tokenfab.compiler.plan.PackedShape;
import dev.tokenfab.compiler.plan.PlanOptions;
import dev.tokenfab.compiler.quant.PackedTensor;
import dev.tokenfab.compiler.quant.QuantizedModel;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bank placement and modeled estimates ({@link DataflowPlanner}); verifies that every packed tensor is
 * placed whole, with its format and shape, and that every bank holds what the plan puts in it.
 */
public final class PlanStep implements Step<QuantizedIr, PlannedModel> {

    static final String CHECK = "every packed tensor placed (rows covered, format and shape kept) and every part and bank within the platform's bank size";

    /** {@code reports/plan.json}: the modeled estimate, bank use and kernels. */
    public record Report(DataflowPlan.EstimateModeled estimateModeled, List<DataflowPlan.BankUse> banks,
                         List<DataflowPlan.KernelUse> kernels) {}

    @Override public String name() { return "plan"; }

    @Override public Class<QuantizedIr> input() { return QuantizedIr.class; }

    @Override public Phase phase() { return Phase.PLAN; }

    /** @throws CompileException UNSUPPORTED_MODEL when the model does not fit the platform, BAD_OPTION for a context beyond the model's */
    @Override
    public StepResult<PlannedModel> apply(QuantizedIr model, BuildContext context) throws CompileException {
        CompileOptions o = context.config().options();
        QuantizedModel q = model.quantized();
        int ctx = o.contextTokens() > 0 ? o.contextTokens() : PlanOptions.defaults(q.config().maxContextTokens()).contextTokens();
        DataflowPlan plan = DataflowPlanner.plan(q.config(), shapes(q), o.platform(), new PlanOptions(o.kvCache(), ctx, o.maxBatch()));
        return StepResult.verified(new PlannedModel(q, plan), new Report(plan.estimateModeled(), plan.banks(), plan.kernels()), verify(q, plan, o.platform()));
    }

    /** Checks {@code plan} against the packed tensors and the {@code platform} it was made for; FAIL names the first culprit. */
    public static Verification verify(QuantizedModel model, DataflowPlan plan, Platform platform) {
        Set<String> placed = new HashSet<>();
        for (DataflowPlan.TensorPlacement p : plan.placements()) {
            PackedTensor t = model.tensors().get(p.tensor());
            if (t == null) return fail("placement of " + p.tensor() + ", which the quantized model does not have");
            if (t.format() != p.format() || t.rows() != p.rows() || t.cols() != p.cols() || t.groupSize() != p.groupSize()) {
                return fail("placement of " + p.tensor() + " is " + p.format() + " [" + p.rows() + "][" + p.cols() + "], the packed tensor "
                        + t.format() + " [" + t.rows() + "][" + t.cols() + "]");
            }
            int next = 0;
            for (DataflowPlan.ShardPlacement s : p.shards()) {
                if (s.rowStart() != next) return fail(p.tensor() + ": shard starts at row " + s.rowStart() + ", expected " + next);
                next += s.rows();
                if (s.bank() < 0 || s.bank() >= platform.memoryBanks()) {
                    return fail(p.tensor() + ": bank " + s.bank() + " outside " + platform + "'s " + platform.memoryBanks());
                }
                long bankBytes = platform.bankBytes(s.bank());
                for (Map.Entry<String, Part> e : s.parts().entrySet()) {
                    long end = e.getValue().offsetBytes() + e.getValue().sizeBytes();
                    if (end > bankBytes) return fail(p.tensor() + " part " + e.getKey() + " ends at byte " + end + " of bank " + s.bank()
                            + " (" + bankBytes + " bytes)");
                }
            }
            if (next != p.rows()) return fail(p.tensor() + ": shards cover " + next + " of " + p.rows() + " rows");
            placed.add(p.tensor());
        }
        for (String name : model.tensors().keySet()) {
            if (!placed.contains(name)) return fail("tensor " + name + " is not placed");
        }
        for (DataflowPlan.BankUse b : plan.banks()) {
            long used = b.weightBytes() + b.kvCacheBytes() + b.activationBytes();
            if (used > b.capacityBytes()) return fail("bank " + b.bank() + " holds " + used + " bytes, capacity " + b.capacityBytes());
        }
        return Verification.success(CHECK, plan.placements().size() + " tensors on " + plan.banks().size() + " banks of " + plan.platform());
    }

    private static Verification fail(String detail) {
        return Verification.fail(CHECK, detail, ErrorCode.UNSUPPORTED_MODEL);
    }

    /** The planner's view of every packed tensor: format and geometry, no bytes. */
    static java.util.List<PackedShape> shapes(QuantizedModel m) {
        return m.tensors().values().stream()
                .map(t -> new PackedShape(t.name(), t.format(), t.rows(), t.cols(), t.groupSize(), t.zeroPoints()))
                .toList();
    }
}
