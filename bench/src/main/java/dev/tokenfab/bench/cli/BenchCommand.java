package dev.tokenfab.bench.cli;

import dev.tokenfab.bench.BenchException;
import dev.tokenfab.bench.harness.BenchHarness;
import dev.tokenfab.bench.report.ReportWriter;
import dev.tokenfab.bench.result.BenchRun;
import dev.tokenfab.bench.result.Figure;
import dev.tokenfab.bench.result.ResultRow;
import dev.tokenfab.bench.result.SystemInfo;
import dev.tokenfab.bench.sut.OrtBaseline;
import dev.tokenfab.bench.sut.SystemUnderTest;
import dev.tokenfab.bench.sut.TokenfabSystem;
import dev.tokenfab.bench.workload.Workload;
import dev.tokenfab.host.power.SensorDiscovery;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import dev.tokenfab.bench.result.ResultPaths;
import dev.tokenfab.host.cli.SensorOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tokenfab bench [m.tfpkg] --baseline model.onnx --device emu --workload pp16+tg32 --batch 1,4 --report out/}:
 * tokens/s, W, tokens/J and cost per million tokens for tokenfab and the ONNX Runtime baseline,
 * every figure labeled measured or modeled; writes out/bench.json and out/bench.html.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark tokenfab against an ONNX Runtime baseline: tokens/s, time to first token, time per "
                + "output token, W, tokens/J, J/token and cost per million tokens. Writes bench.json and bench.html."})
public final class BenchCommand implements Callable<Integer> {

    static final int EXIT_BAD_OPTION = 2;
    static final int EXIT_NOTHING_RAN = 3;

    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PACKAGE", description = "tokenfab model package (*.tfpkg directory)")
    Path modelPackage;

    @Option(names = "--baseline", paramLabel = "MODEL.onnx", description = "ONNX decoder with KV cache for the ONNX Runtime baseline")
    Path baseline;

    @Option(names = "--baseline-ep", defaultValue = "AUTO", description = "baseline execution provider: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    OrtBaseline.ExecutionProvider baselineEp;

    @Option(names = "--baseline-threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = its default")
    int baselineThreads;

    @Option(names = "--device", defaultValue = "emu", description = "tokenfab device: emu, xrt, opencl (default ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--workload", defaultValue = "pp16+tg32",
            description = "workloads, comma-separated: pp<N>, tg<N>, pp<N>+tg<M>, optional @offline:<requests> or "
                    + "@server:<requests>:<requestsPerSecond>[:<seed>] (default ${DEFAULT-VALUE})")
    String workloads;

    @Option(names = "--batch", defaultValue = "1", split = ",", description = "batch sizes (default ${DEFAULT-VALUE})")
    List<Integer> batches;

    @Option(names = "--report", required = true, paramLabel = "DIR", description = "folder for bench.json and bench.html")
    Path report;

    @Option(names = "--price-per-kwh", description = "electricity price per kWh, for cost per million tokens")
    Double pricePerKwh;

    @Option(names = "--pue", defaultValue = "1.0", description = "data-center PUE applied to cost (default ${DEFAULT-VALUE})")
    double pue;

    @Option(names = "--idle-seconds", defaultValue = "2", description = "idle power measurement per system (default ${DEFAULT-VALUE})")
    double idleSeconds;

    @Option(names = "--sample-ms", defaultValue = "50", description = "power sampling period (default ${DEFAULT-VALUE})")
    long sampleMs;

    @Option(names = "--seed", defaultValue = "1", description = "prompt token seed (default ${DEFAULT-VALUE})")
    long seed;

    @Mixin SensorOptions sensors;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchHarness.Settings settings;
        try {
            settings = settings();
        } catch (BenchException | IllegalArgumentException e) {
            err.println("bench: " + e.getMessage());
            return EXIT_BAD_OPTION;
        }
        List<SystemUnderTest> systems = new ArrayList<>();
        List<SystemInfo> unavailable = new ArrayList<>();
        try {
            if (modelPackage != null) {
                try {
                    systems.add(TokenfabSystem.open(modelPackage, device, settings.batches().stream().mapToInt(Integer::intValue).max().orElse(1)));
                } catch (BenchException e) {
                    unavailable.add(new SystemInfo("tokenfab-" + device, "tokenfab on " + device + ", package " + modelPackage,
                            false, e.getMessage(), List.of(), ""));
                    err.println("bench: tokenfab-" + device + " unavailable: " + e.getMessage());
                }
            }
            if (baseline != null) {
                try {
                    systems.add(OrtBaseline.open(baseline, baselineEp, baselineThreads));
                } catch (BenchException e) {
                    unavailable.add(new SystemInfo("ort", "ONNX Runtime baseline " + baseline, false, e.getMessage(), List.of(), ""));
                    err.println("bench: baseline unavailable: " + e.getMessage());
                }
            }
            BenchRun run = new BenchHarness(settings).run(systems, unavailable);
            ReportWriter.Written w = ReportWriter.write(run, report);
            print(run, out);
            out.println("wrote " + w.json() + " and " + w.html());
            out.flush();
            return systems.isEmpty() ? EXIT_NOTHING_RAN : 0;
        } catch (BenchException e) {
            err.println("bench: " + e.getMessage());
            return e.code() == BenchException.ErrorCode.BAD_OPTION ? EXIT_BAD_OPTION : EXIT_NOTHING_RAN;
        } finally {
            for (SystemUnderTest s : systems.reversed()) s.close();
        }
    }

    private BenchHarness.Settings settings() throws BenchException {
        if (modelPackage == null && baseline == null)
            throw new BenchException(BenchException.ErrorCode.BAD_OPTION, "nothing to run: give a PACKAGE and/or --baseline MODEL.onnx");
        if (sampleMs <= 0 || idleSeconds < 0 || baselineThreads < 0)
            throw new BenchException(BenchException.ErrorCode.BAD_OPTION, "--sample-ms must be > 0, --idle-seconds and --baseline-threads >= 0");
        if (!List.of("emu", "xrt", "opencl").contains(device))
            throw new BenchException(BenchException.ErrorCode.BAD_OPTION, "--device " + device + ": allowed emu, xrt, opencl");
        SensorDiscovery.Config cfg;
        try {
            cfg = sensors.toConfig();
        } catch (IllegalArgumentException e) {
            throw new BenchException(BenchException.ErrorCode.BAD_OPTION, e.getMessage());
        }
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("package", ResultPaths.label(modelPackage));
        options.put("baseline", ResultPaths.label(baseline));
        options.put("baselineExecutionProvider", baselineEp.name());
        options.put("device", device);
        return new BenchHarness.Settings(Workload.parseList(workloads), List.copyOf(batches),
                Duration.ofMillis(Math.round(idleSeconds * 1000)), Duration.ofMillis(sampleMs),
                pricePerKwh == null ? Double.NaN : pricePerKwh, pue, cfg, seed, options);
    }

    /**
     * The headline table: one line per system × workload × batch, each figure with its basis and a
     * note number; the notes below the table say on what it was measured, from what it was modeled,
     * or why it is unavailable (the figure's source, as in bench.json).
     */
    static void print(BenchRun run, PrintWriter out) {
        out.printf(Locale.ROOT, "%-22s %-26s %5s  %-24s %-24s %-24s %-22s%n", "system", "workload", "batch",
                "tokens/s", "W", "tokens/J", "TTFT ms");
        Map<String, Integer> notes = new LinkedHashMap<>();
        for (ResultRow r : run.results()) {
            out.printf(Locale.ROOT, "%-22s %-26s %5d  %-24s %-24s %-24s %-22s%n", r.system(), r.workload(), r.batch(),
                    cell(r.figure("tokensPerSecond"), notes), cell(r.figure("averageWatts"), notes),
                    cell(r.figure("tokensPerJoule"), notes), cell(r.figure("timeToFirstTokenMs"), notes));
        }
        notes.forEach((note, n) -> out.println("[" + n + "] " + note));
        for (SystemInfo s : run.systems()) if (!s.available()) out.println(s.name() + ": unavailable: " + s.unavailableReason());
    }

    private static String cell(Figure f, Map<String, Integer> notes) {
        int n = notes.computeIfAbsent(f.basis().name().toLowerCase(Locale.ROOT) + ": " + f.source(), k -> notes.size() + 1);
        if (!f.available()) return "n/a [" + n + "]";
        return String.format(Locale.ROOT, "%.4g %s [%d]", f.value(),
                f.basis() == Figure.Basis.MODELED ? "(modeled)" : "(measured)", n);
    }
}
