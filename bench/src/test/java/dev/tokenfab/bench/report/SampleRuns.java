package dev.tokenfab.bench.report;

import dev.tokenfab.bench.result.BenchRun;
import dev.tokenfab.bench.result.Figure;
import dev.tokenfab.bench.result.MachineInfo;
import dev.tokenfab.bench.result.ResultRow;
import dev.tokenfab.bench.result.SystemInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A small run for report tests: one measured system, one modeled system, one unavailable figure. */
final class SampleRuns {
    private SampleRuns() {}

    static BenchRun twoSystems() {
        Map<String, Figure> cpu1 = new LinkedHashMap<>();
        cpu1.put("tokensPerSecond", Figure.measured(812.5, "tokens/s", "host wall clock on testhost"));
        cpu1.put("averageWatts", Figure.measured(41.25, "W", "RAPL intel-rapl:0 on testhost"));
        cpu1.put("tokensPerJoule", Figure.measured(19.69, "tokens/J", "tokensPerSecond / averageWatts"));
        Map<String, Figure> cpu4 = new LinkedHashMap<>();
        cpu4.put("tokensPerSecond", Figure.measured(2410.0, "tokens/s", "host wall clock on testhost"));
        cpu4.put("averageWatts", Figure.unavailable("W", "no power sensor on testhost </script><b>"));
        cpu4.put("tokensPerJoule", Figure.unavailable("tokens/J", "averageWatts unavailable"));
        Map<String, Figure> card = new LinkedHashMap<>();
        card.put("tokensPerSecond", Figure.modeled(55.5, "tokens/s", "dataflow.json roofline, U280"));
        card.put("averageWatts", Figure.modeled(48.0, "W", "Platform.U280 power model"));
        card.put("tokensPerJoule", Figure.modeled(1.15625, "tokens/J", "modeled tokens/s / modeled W"));
        return new BenchRun(BenchRun.FORMAT_VERSION, "2026-11-23T12:00:00Z",
                new MachineInfo("testhost", "Test CPU", 2, "Linux 6 amd64", 1L << 33, ""),
                Map.of("java", "25", "onnxRuntime", "1.29.0", "tokenfab", "0.1.0-SNAPSHOT"),
                Map.of("workloads", List.of("pp16+tg32"), "batches", List.of(1, 4)),
                List.of(new SystemInfo("ort-cpu", "ONNX Runtime CPU EP", true, "", List.of("RAPL"), ""),
                        new SystemInfo("tokenfab-emu", "tokenfab emu, U280 plan", true, "", List.of("modeled"), "card figures are modeled")),
                List.of(new ResultRow("ort-cpu", "pp16+tg32", "single", 1, 1, 16, 32, cpu1),
                        new ResultRow("ort-cpu", "pp16+tg32", "single", 4, 4, 16, 32, cpu4),
                        new ResultRow("tokenfab-emu", "pp16+tg32", "single", 1, 1, 16, 32, card)));
    }

    /** {@link #twoSystems} plus a modeled row whose bar is the longest and whose value label the
     *  widest ("47985 tokens/s (modeled)"): the case where labels used to be clipped. */
    static BenchRun longestBarModeled() {
        BenchRun base = twoSystems();
        Map<String, Figure> card4 = new LinkedHashMap<>();
        card4.put("tokensPerSecond", Figure.modeled(47985.25, "tokens/s", "dataflow.json roofline, U280, batch 4"));
        card4.put("averageWatts", Figure.modeled(61.0, "W", "Platform.U280 power model"));
        card4.put("tokensPerJoule", Figure.modeled(786.6434, "tokens/J", "modeled tokens/s / modeled W"));
        List<ResultRow> rows = new java.util.ArrayList<>(base.results());
        rows.add(new ResultRow("tokenfab-emu-with-a-long-system-name", "pp128+tg512@server:64:2.5", "single", 4, 64, 128, 512, card4));
        return new BenchRun(base.formatVersion(), base.createdUtc(), base.machine(), base.versions(), base.settings(), base.systems(), rows);
    }
}
