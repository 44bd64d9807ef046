package dev.tokenfab.bench.result;

import java.util.Map;

/**
 * Figures of one system on one workload at one batch size. Keys of {@code figures} name the
 * quantity with its unit (STYLE.md): tokensPerSecond, prefillTokensPerSecond,
 * decodeTokensPerSecond, timeToFirstTokenMs, timePerOutputTokenMs, averageWatts, idleWatts,
 * tokensPerJoule, joulesPerToken, joulesPerTokenAboveIdle, costPerMillionTokens,
 * hostWallSeconds, hostEmulationTokensPerSecond.
 */
public record ResultRow(String system, String workload, String scenario, int batch, int requests,
                        int promptTokens, int generateTokens, Map<String, Figure> figures) {

    public Figure figure(String key) {
        Figure f = figures.get(key);
        if (f == null) throw new IllegalArgumentException("no figure '" + key + "' in " + system + "/" + workload + "; have " + figures.keySet());
        return f;
    }
}
