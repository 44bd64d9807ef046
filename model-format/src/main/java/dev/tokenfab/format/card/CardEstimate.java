package dev.tokenfab.format.card;

import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.DataflowPlan.Bound;
import dev.tokenfab.format.plan.DataflowPlan.ResourcesModeled;
import dev.tokenfab.format.plan.DataflowPlan.Stage;
import dev.tokenfab.format.plan.Platform;
import java.util.List;
import java.util.Locale;

/**
 * One {@link CardModel} estimate: decode of {@code batch} sequences at {@code contextTokens} on an
 * Alveo card. Every figure is <b>modeled</b> ({@link #LABEL}) from the package's dataflow plan and the
 * cited {@link Platform} and {@link CardModel} constants ({@link #from()} says which); none is measured.
 *
 * @param platform                             the card
 * @param batch                                sequences decoded together (weights read once per step)
 * @param contextTokens                        KV positions read per sequence per step
 * @param stages                               the step's stages with cycles, bytes and seconds, in order
 * @param computeSeconds                       sum over stages of cycles / kernel clock
 * @param memorySeconds                        sum over stages of the busiest bank's bytes / (bandwidth x efficiency)
 * @param stepSeconds                          sum over stages of max(compute, memory): one decode step
 * @param weightBytesPerStep                   HBM/DDR weight bytes streamed per step (whole batch)
 * @param kvBytesPerStep                       KV bytes read per step (whole batch)
 * @param bytesPerToken                        (weights + KV) per step / batch
 * @param peakBytesPerSecond                   datasheet peak bandwidth of the banks the plan reads
 * @param bankEfficiency                       achievable fraction of peak ({@link CardModel#HBM_EFFICIENCY})
 * @param rooflineTokensPerSecond              peak bandwidth / bytes per token (no efficiency, no imbalance)
 * @param rooflineAtEfficiencyTokensPerSecond  the roofline at the modeled efficiency
 * @param memoryBoundTokensPerSecond           batch / memory seconds
 * @param computeBoundTokensPerSecond          batch / compute seconds
 * @param tokensPerSecond                      batch / step seconds (a per-stage roofline)
 * @param bound                                memory or compute, whichever total is larger
 * @param idleWatts                            platform idle board power (cited in {@link Platform})
 * @param memoryWatts                          DRAM access energy x traffic
 * @param fabricWatts                          active lanes x watts per lane x activity
 * @param boardWatts                           idle + memory + fabric, capped at the board limit
 * @param tokensPerJoule                       tokens/s / board watts
 * @param resources                            programmable-logic estimate of all kernels
 * @param dspFraction                          resources.dsp / the device's DSPs (likewise below)
 * @param bram36Fraction                       of BRAM36
 * @param uramFraction                         of URAM
 * @param lutFraction                          of LUTs
 */
public record CardEstimate(Platform platform, int batch, int contextTokens, List<Stage> stages,
                           double computeSeconds, double memorySeconds, double stepSeconds,
                           long weightBytesPerStep, long kvBytesPerStep, double bytesPerToken,
                           double peakBytesPerSecond, double bankEfficiency,
                           double rooflineTokensPerSecond, double rooflineAtEfficiencyTokensPerSecond,
                           double memoryBoundTokensPerSecond, double computeBoundTokensPerSecond,
                           double tokensPerSecond, Bound bound,
                           double idleWatts, double memoryWatts, double fabricWatts, double boardWatts,
                           double tokensPerJoule, ResourcesModeled resources, double dspFraction,
                           double bram36Fraction, double uramFraction, double lutFraction) {

    /** The label every figure of an estimate carries. */
    public static final String LABEL = "modeled";

    public CardEstimate {
        stages = List.copyOf(stages);
    }

    /** Where the figures come from, for printed lines and JSON: the model, its inputs and operating point. */
    public String from() {
        return String.format(Locale.ROOT, "dataflow plan (card model, %s, batch %d, context %d, %s-bound)",
                platform.name(), batch, contextTokens, bound);
    }

    /** Where the roofline comes from: bytes per token and the datasheet peak bandwidth it divides. */
    public String rooflineFrom() {
        return String.format(Locale.ROOT, "dataflow plan: %d B/token at context %d, %.1f GB/s %s datasheet peak",
                Math.round(bytesPerToken), contextTokens, peakBytesPerSecond / 1e9, platform.name());
    }

    /** The same figures as {@code dataflow.json} stores them ({@code estimateModeled}). */
    public DataflowPlan.EstimateModeled toPlanEstimate() {
        return new DataflowPlan.EstimateModeled(batch, contextTokens, weightBytesPerStep, kvBytesPerStep, bytesPerToken,
                peakBytesPerSecond, bankEfficiency, rooflineTokensPerSecond, memoryBoundTokensPerSecond,
                computeBoundTokensPerSecond, tokensPerSecond, bound, idleWatts, memoryWatts, fabricWatts, boardWatts,
                tokensPerJoule, resources, dspFraction, bram36Fraction, uramFraction, lutFraction);
    }
}
