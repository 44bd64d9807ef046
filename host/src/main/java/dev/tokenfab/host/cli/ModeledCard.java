package dev.tokenfab.host.cli;

import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.runtime.Roofline;
import dev.tokenfab.format.plan.DataflowPlan;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MODELED card figures for a package: tokens/s, board watts and tokens/J from the package's
 * dataflow plan, and the memory roofline (the plan's, else computed from the manifest's tensor
 * bytes and the platform's datasheet bandwidth). Never measured; always labeled "modeled".
 */
public record ModeledCard(Platform platform, PlanFigures plan, Roofline manifestRoofline) {

    static ModeledCard of(DataflowPlan plan, Manifest manifest, Platform platform, int contextTokens) {
        return new ModeledCard(platform, PlanFigures.of(plan), Roofline.of(manifest, platform, contextTokens));
    }

    public double tokensPerSecond() { return plan.tokensPerSecond(); }

    public double watts() { return plan.boardWatts(); }

    public double tokensPerJoule() { return plan.tokensPerJoule(); }

    public String from() { return plan.from(); }

    /** The plan's roofline when it has one, else the manifest-computed one. */
    public double rooflineTokensPerSecond() {
        return Double.isFinite(plan.rooflineTokensPerSecond()) ? plan.rooflineTokensPerSecond() : manifestRoofline.tokensPerSecond();
    }

    public String rooflineFrom() {
        return Double.isFinite(plan.rooflineTokensPerSecond())
                ? "dataflow plan: " + Math.round(plan.bytesPerToken()) + " B/token at context " + plan.contextTokens()
                : "manifest: " + manifestRoofline.bytesPerToken() + " B/token at context " + manifestRoofline.contextTokens()
                        + ", " + manifestRoofline.bankBytesPerSecond() / 1e9 + " GB/s " + platform.name() + " datasheet";
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", "modeled");
        m.put("from", "dataflow plan");
        m.put("detail", plan.from());
        m.put("platform", platform.name());
        m.put("tokensPerSecond", finite(tokensPerSecond()));
        m.put("watts", finite(watts()));
        m.put("tokensPerJoule", finite(tokensPerJoule()));
        m.put("bound", plan.bound());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("label", "modeled");
        r.put("from", rooflineFrom());
        r.put("tokensPerSecond", rooflineTokensPerSecond());
        m.put("hbmRoofline", r);
        return m;
    }

    private static Double finite(double v) { return Double.isFinite(v) ? v : null; }
}
