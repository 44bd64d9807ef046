package dev.tokenfab;

import dev.tokenfab.format.card.CardEstimate;
import dev.tokenfab.format.card.CardModel;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import java.util.Locale;
import java.util.Objects;

/**
 * MODELED card figures of a package: decode rate, board power and energy per token of the target
 * Alveo card, computed by the compiler from the package's dataflow plan ({@code dataflow.json},
 * {@code estimateModeled}: bytes per token per HBM channel, kernel cycles at the platform clock) and
 * the cited platform constants. Never measured on a card; NaN when the package has no estimate.
 *
 * @param platform        card the plan targets
 * @param tokensPerSecond modeled decode tokens/s at {@code batch} and {@code contextTokens}
 * @param watts           modeled board power in watts
 * @param tokensPerJoule  modeled tokens per joule ({@code tokensPerSecond / watts})
 * @param batch           sequences decoded together in the estimate
 * @param contextTokens   KV positions read per token in the estimate
 * @param bound           "memory" or "compute": the larger of the two totals ("?" without an estimate)
 * @param from            where the figures come from, printable after them
 */
public record ModeledFigures(Platform platform, double tokensPerSecond, double watts, double tokensPerJoule,
                             int batch, int contextTokens, String bound, String from) {

    /** The label every modeled figure carries. */
    public static final String LABEL = "modeled";

    /**
     * Checks for nulls.
     *
     * @throws NullPointerException naming the component when it is null
     */
    public ModeledFigures {
        Objects.requireNonNull(platform, "ModeledFigures.platform");
        Objects.requireNonNull(bound, "ModeledFigures.bound");
        Objects.requireNonNull(from, "ModeledFigures.from");
    }

    /**
     * The card model's figures ({@link CardModel}) at the plan's own operating point (the batch and
     * context of its stored {@code estimateModeled}); NaN with the reason in {@code from} when the
     * package has no plan estimate.
     *
     * @param config   the decoder's dimensions
     * @param plan     the package's plan, or null
     * @param platform the package's platform
     * @return the figures
     */
    static ModeledFigures of(DecoderConfig config, DataflowPlan plan, Platform platform) {
        if (plan == null || plan.estimateModeled() == null) {
            return new ModeledFigures(platform, Double.NaN, Double.NaN, Double.NaN, 0, 0, "?", "package has no dataflow plan estimate");
        }
        DataflowPlan.EstimateModeled at = plan.estimateModeled();
        CardEstimate e = CardModel.of(config, plan).estimate(at.batch(), at.contextTokens());
        return new ModeledFigures(platform, e.tokensPerSecond(), e.boardWatts(), e.tokensPerJoule(), e.batch(), e.contextTokens(),
                String.valueOf(e.bound()), e.from());
    }

    /**
     * Always {@value #LABEL}.
     *
     * @return the label of these figures
     */
    public String label() { return LABEL; }

    /** One line: the figures, the label, the card and the source. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %.2f tokens/s, %.2f W, %.2f tokens/J on %s, from %s",
                LABEL, tokensPerSecond, watts, tokensPerJoule, platform, from);
    }
}
