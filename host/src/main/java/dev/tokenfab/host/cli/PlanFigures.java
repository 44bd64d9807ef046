package dev.tokenfab.host.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The modeled decode rate and board power a package's dataflow.json carries. */
record PlanFigures(double tokensPerSecond, double watts, String from) {

    static PlanFigures read(Path packageDir) {
        Path plan = packageDir.resolve("dataflow.json");
        if (!Files.isRegularFile(plan)) return new PlanFigures(Double.NaN, Double.NaN, "no dataflow.json in the package");
        try {
            JsonNode root = new ObjectMapper().readTree(plan.toFile());
            JsonNode tps = root.findValue("tokensPerSecond");
            JsonNode watts = root.findValue("watts");
            if (tps == null || watts == null || !tps.isNumber() || !watts.isNumber()) {
                return new PlanFigures(Double.NaN, Double.NaN, plan + " has no modeled tokensPerSecond/watts");
            }
            return new PlanFigures(tps.asDouble(), watts.asDouble(), plan.getFileName().toString());
        } catch (IOException e) {
            return new PlanFigures(Double.NaN, Double.NaN, plan + " unreadable: " + e.getMessage());
        }
    }
}
