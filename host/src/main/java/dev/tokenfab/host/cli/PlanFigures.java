package dev.tokenfab.host.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The MODELED figures of a package's dataflow.json ({@code estimateModeled} of
 * dev.tokenfab.compiler.plan.DataflowPlan): decode rate, board power, tokens/J and the roofline.
 * NaN with a reason in {@code from} when the package has no plan.
 */
record PlanFigures(double tokensPerSecond, double boardWatts, double tokensPerJoule, double rooflineTokensPerSecond,
                   double bytesPerToken, int contextTokens, String bound, String from) {

    static PlanFigures read(Path packageDir) {
        Path plan = packageDir.resolve("dataflow.json");
        if (!Files.isRegularFile(plan)) return none("no dataflow.json in the package");
        try {
            JsonNode e = new ObjectMapper().readTree(plan.toFile()).path("estimateModeled");
            if (!e.path("tokensPerSecond").isNumber() || !e.path("boardWatts").isNumber()) {
                return none(plan.getFileName() + " has no estimateModeled.tokensPerSecond/boardWatts");
            }
            return new PlanFigures(e.path("tokensPerSecond").asDouble(), e.path("boardWatts").asDouble(),
                    e.path("tokensPerJoule").asDouble(Double.NaN), e.path("rooflineTokensPerSecond").asDouble(Double.NaN),
                    e.path("bytesPerToken").asDouble(Double.NaN), e.path("contextTokens").asInt(0),
                    e.path("bound").asText("?"), "dataflow plan (dataflow.json estimateModeled, batch " + e.path("batch").asInt(1)
                            + ", context " + e.path("contextTokens").asInt(0) + ")");
        } catch (IOException ex) {
            return none(plan + " unreadable: " + ex.getMessage());
        }
    }

    private static PlanFigures none(String why) {
        return new PlanFigures(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, "?", why);
    }
}
