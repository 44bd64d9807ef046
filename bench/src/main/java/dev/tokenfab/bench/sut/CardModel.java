package dev.tokenfab.bench.sut;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.bench.BenchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A card's modeled decode performance and power, read from a model package's {@code dataflow.json}.
 * These are the planner's estimates (cycles per stage, bytes per HBM channel, clock; a power model
 * calibrated on published board measurements): every figure built from them is labeled modeled.
 *
 * @param platform             the Alveo platform the plan targets
 * @param decodeTokensPerSecond modeled tokens/s of one sequence at batch 1
 * @param boardWatts           modeled board power while decoding
 * @param idleWatts            modeled board power at idle (shell loaded)
 * @param from                 where the numbers come from, for labels
 */
public record CardModel(String platform, double decodeTokensPerSecond, double boardWatts, double idleWatts, String from) {

    /**
     * Keys looked up in dataflow.json, first match wins. The plan's schema is owned by the compiler
     * (dev.tokenfab.compiler.plan); these cover the names it is expected to use for its estimates.
     */
    static final List<String> TOKENS_PER_SECOND_KEYS = List.of("/estimate/tokensPerSecond", "/estimates/tokensPerSecond",
            "/modeled/tokensPerSecond", "/tokensPerSecond");
    static final List<String> BOARD_WATTS_KEYS = List.of("/estimate/boardWatts", "/estimates/boardWatts",
            "/modeled/boardWatts", "/boardWatts", "/estimate/watts");
    static final List<String> IDLE_WATTS_KEYS = List.of("/estimate/idleWatts", "/estimates/idleWatts", "/modeled/idleWatts", "/idleWatts");
    static final List<String> PLATFORM_KEYS = List.of("/platform", "/estimate/platform");

    /** @throws BenchException SYSTEM_UNAVAILABLE naming the file and the keys it lacks */
    public static CardModel fromDataflowJson(Path dataflowJson) throws BenchException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(dataflowJson));
        } catch (IOException e) {
            throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, dataflowJson + ": cannot read the plan: " + e.getMessage(), e);
        }
        double tps = number(root, TOKENS_PER_SECOND_KEYS, dataflowJson);
        double watts = number(root, BOARD_WATTS_KEYS, dataflowJson);
        double idle;
        try {
            idle = number(root, IDLE_WATTS_KEYS, dataflowJson);
        } catch (BenchException e) {
            idle = Double.NaN;
        }
        String platform = PLATFORM_KEYS.stream().map(root::at).filter(n -> !n.isMissingNode() && n.isTextual())
                .map(JsonNode::asText).findFirst().orElse("unknown platform");
        return new CardModel(platform, tps, watts, idle, dataflowJson + " (" + platform + " plan estimate)");
    }

    private static double number(JsonNode root, List<String> keys, Path file) throws BenchException {
        for (String k : keys) {
            JsonNode n = root.at(k);
            if (n.isNumber() && n.asDouble() > 0 && Double.isFinite(n.asDouble())) return n.asDouble();
        }
        throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE,
                file + ": no positive number at any of " + keys + " (the plan carries no modeled estimate)");
    }
}
