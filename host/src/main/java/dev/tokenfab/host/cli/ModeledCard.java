package dev.tokenfab.host.cli;

import dev.tokenfab.compiler.pkg.Manifest;
import dev.tokenfab.compiler.plan.Platform;
import dev.tokenfab.host.runtime.Roofline;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MODELED card figures for a package: tokens/s, watts and tokens/J from the package's dataflow
 * plan, and the memory roofline from the manifest's tensor bytes and the platform's datasheet
 * bandwidth. Never measured; printed and stored with the label "modeled".
 *
 * @param tokensPerSecond  plan's modeled decode rate (NaN when the package has no plan figures)
 * @param watts            plan's modeled board power (NaN when absent)
 * @param tokensPerJoule   tokensPerSecond / watts
 * @param from             where the plan figures come from
 */
public record ModeledCard(Platform platform, double tokensPerSecond, double watts, double tokensPerJoule, String from,
                          Roofline roofline) {

    static ModeledCard of(Path packageDir, Manifest manifest, Platform platform, int contextTokens) {
        Roofline roofline = Roofline.of(manifest, platform, contextTokens);
        PlanFigures plan = PlanFigures.read(packageDir);
        return new ModeledCard(platform, plan.tokensPerSecond(), plan.watts(), plan.tokensPerSecond() / plan.watts(),
                plan.from(), roofline);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", "modeled");
        m.put("from", "dataflow plan");
        m.put("source", from);
        m.put("platform", platform.name());
        m.put("tokensPerSecond", finite(tokensPerSecond));
        m.put("watts", finite(watts));
        m.put("tokensPerJoule", finite(tokensPerJoule));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("label", "modeled");
        r.put("from", "manifest tensor bytes + " + platform.name() + " datasheet bandwidth");
        r.put("tokensPerSecond", roofline.tokensPerSecond());
        r.put("bytesPerToken", roofline.bytesPerToken());
        r.put("weightBytesPerToken", roofline.weightBytesPerToken());
        r.put("kvBytesPerToken", roofline.kvBytesPerToken());
        r.put("contextTokens", roofline.contextTokens());
        r.put("bankBytesPerSecond", roofline.bankBytesPerSecond());
        m.put("hbmRoofline", r);
        return m;
    }

    private static Double finite(double v) { return Double.isFinite(v) ? v : null; }
}
