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
 * @param batch                the batch size the estimate is for
 * @param decodeTokensPerSecond modeled tokens/s of one sequence at batch 1
 * @param boardWatts           modeled board power while decoding
 * @param idleWatts            modeled board power at idle (shell loaded)
 * @param from                 where the numbers come from, for labels
 */
public record CardModel(String platform, int batch, double decodeTokensPerSecond, double boardWatts, double idleWatts, String from) {

    /*
     * Pointers into dataflow.json as dev.tokenfab.format.plan.DataflowPlan writes it (record
     * EstimateModeled, branch quant): read as JSON so the bench does not need the compiler's plan
     * classes on its class path.
     */
    static final List<String> TOKENS_PER_SECOND_KEYS = List.of("/estimateModeled/tokensPerSecond");
    static final List<String> BOARD_WATTS_KEYS = List.of("/estimateModeled/boardWatts");
    static final List<String> IDLE_WATTS_KEYS = List.of("/estimateModeled/idleWatts");
    static final List<String> BATCH_KEYS = List.of("/estimateModeled/batch");
    static final List<String> PLATFORM_KEYS = List.of("/platform");

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
        int batch = (int) number(root, BATCH_KEYS, dataflowJson);
        String platform = PLATFORM_KEYS.stream().map(root::at).filter(n -> !n.isMissingNode() && n.isTextual())
                .map(JsonNode::asText).findFirst().orElse("unknown platform");
        return new CardModel(platform, batch, tps, watts, idle, dev.tokenfab.bench.result.ResultPaths.label(dataflowJson) + " estimateModeled (" + platform + ", batch " + batch + ")");
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
