package dev.tokenfab.bench.result;

import java.util.List;
import java.util.Map;

/**
 * Everything one {@code bench} run produced: written as {@code bench.json} and rendered into
 * {@code bench.html}.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param createdUtc    ISO-8601 instant
 * @param machine       where it ran
 * @param versions      java, onnxRuntime, tokenfab
 * @param settings      the options, as given (workloads, batches, pricePerKwh, pue, ...)
 * @param systems       every system, including unavailable ones with the reason
 * @param results       one row per system × workload × batch
 */
public record BenchRun(int formatVersion, String createdUtc, MachineInfo machine, Map<String, String> versions,
                       Map<String, Object> settings, List<SystemInfo> systems, List<ResultRow> results) {

    public static final int FORMAT_VERSION = 1;
}
