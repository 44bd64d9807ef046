package dev.tokenfab.host.cli;

import dev.tokenfab.format.plan.DataflowPlan;

/**
 * The MODELED figures of a package's plan ({@link DataflowPlan#estimateModeled()}): decode rate,
 * board power, tokens/J and the roofline. NaN with the reason in {@code from} when absent.
 */
record PlanFigures(double tokensPerSecond, double boardWatts, double tokensPerJoule, double rooflineTokensPerSecond,
                   double bytesPerToken, int contextTokens, String bound, String from) {

    static PlanFigures of(DataflowPlan plan) {
        if (plan == null || plan.estimateModeled() == null) {
            return new PlanFigures(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, "?", "package has no dataflow plan estimate");
        }
        DataflowPlan.EstimateModeled e = plan.estimateModeled();
        return new PlanFigures(e.tokensPerSecond(), e.boardWatts(), e.tokensPerJoule(), e.rooflineTokensPerSecond(),
                e.bytesPerToken(), e.contextTokens(), e.bound(), "dataflow plan (estimateModeled, batch " + e.batch()
                        + ", context " + e.contextTokens() + ", " + e.bound() + "-bound)");
    }
}
