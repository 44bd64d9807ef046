package dev.tokenfab.bench.harness;

import dev.tokenfab.bench.BenchException;
import dev.tokenfab.bench.result.BenchRun;
import dev.tokenfab.bench.result.Figure;
import dev.tokenfab.bench.result.MachineInfo;
import dev.tokenfab.bench.result.ResultRow;
import dev.tokenfab.bench.result.SystemInfo;
import dev.tokenfab.bench.sut.CardFigures;
import dev.tokenfab.bench.sut.OrtBaseline;
import dev.tokenfab.bench.sut.SystemUnderTest;
import dev.tokenfab.bench.workload.Scenario;
import dev.tokenfab.bench.workload.Workload;
import dev.tokenfab.host.power.EnergyWindow;
import dev.tokenfab.host.power.PowerException;
import dev.tokenfab.host.power.PowerMonitor;
import dev.tokenfab.host.power.PowerSensor;
import dev.tokenfab.host.power.SensorDiscovery;
import dev.tokenfab.host.power.SensorEnergy;
import dev.tokenfab.host.power.TimeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The tokens/s/W harness: runs every system on every workload × batch under a {@link PowerMonitor}
 * and turns clocks and energy windows into labeled figures.
 *
 * <p>Per system: this machine's sensors are discovered afresh (measured), the system's own sensors
 * are added (modeled card power for an emulated card), one warm-up batch runs, idle power is
 * measured, then each workload × batch runs inside its own energy window. Power figures are the
 * sum over available sensors of one basis: measured (which sensors, which machine) or modeled —
 * never a mix. For an emulated card the headline tokens/s and W are modeled (from the package's
 * dataflow.json) and the measured host emulation time is reported separately as
 * {@code hostEmulationTokensPerSecond} and {@code hostWallSeconds}.
 */
public final class BenchHarness {

    /** Joules in one kilowatt-hour (SI definition). */
    static final double JOULES_PER_KWH = 3.6e6;
    static final double TOKENS_PER_MILLION = 1e6;

    /**
     * @param workloads    what to run
     * @param batches      batch sizes (concurrency caps for offline/server)
     * @param idle         idle measurement per system before its runs (zero to skip)
     * @param samplePeriod power sampler period
     * @param pricePerKwh  electricity price per kWh, NaN when not given
     * @param pue          data-center power usage effectiveness (1.0 = power at the wall of the machine)
     * @param sensors      where to look for this machine's power sensors
     * @param promptSeed   seeds the prompt token ids
     * @param options      the command line as given, stored in the report
     */
    public record Settings(List<Workload> workloads, List<Integer> batches, Duration idle, Duration samplePeriod,
                           double pricePerKwh, double pue, SensorDiscovery.Config sensors, long promptSeed,
                           Map<String, Object> options) {
        public Settings {
            if (workloads.isEmpty() || batches.isEmpty()) throw new IllegalArgumentException("need at least one workload and one batch size");
            for (int b : batches) if (b < 1) throw new IllegalArgumentException("batch sizes must be >= 1, got " + b);
            if (!(pue >= 1.0)) throw new IllegalArgumentException("pue must be >= 1.0, got " + pue);
            if (!Double.isNaN(pricePerKwh) && !(pricePerKwh >= 0)) throw new IllegalArgumentException("price per kWh must be >= 0");
        }
    }

    private final Settings settings;
    private final String host;
    private final String clock;

    public BenchHarness(Settings settings) {
        this.settings = settings;
        this.host = settings.sensors().machine();
        this.clock = "host wall clock (System.nanoTime) on " + host;
    }

    /**
     * @param systems     systems that opened; the harness closes none of them
     * @param unavailable systems that could not open, reported with their reason
     */
    public BenchRun run(List<SystemUnderTest> systems, List<SystemInfo> unavailable) throws BenchException {
        List<SystemInfo> infos = new ArrayList<>();
        List<ResultRow> rows = new ArrayList<>();
        List<String> accelerators = new ArrayList<>();
        for (SystemUnderTest sut : systems) {
            SensorDiscovery.Found found;
            try {
                found = SensorDiscovery.discover(settings.sensors());
            } catch (PowerException e) {
                throw new BenchException(BenchException.ErrorCode.BAD_OPTION, "power sensors: " + e.getMessage(), e);
            }
            List<PowerSensor> sensors = new ArrayList<>(found.available());
            sensors.addAll(sut.ownSensors());
            found.available().stream().filter(s -> s.kind() != dev.tokenfab.host.power.SensorKind.CPU_RAPL)
                    .map(PowerSensor::name).filter(n -> !accelerators.contains(n)).forEach(accelerators::add);
            String unavailableSensors = found.unavailable().stream().map(u -> u.name() + ": " + u.reason())
                    .collect(Collectors.joining("; "));
            try (PowerMonitor monitor = PowerMonitor.start(sensors, settings.samplePeriod(), TimeSource.system())) {
                warmUp(sut);
                if (!settings.idle().isZero()) monitor.measureIdle(settings.idle());
                for (Workload w : settings.workloads()) {
                    for (int batch : settings.batches()) {
                        warmUp(sut, w, batch);
                        String window = sut.name() + "/" + w.spec() + "/b" + batch;
                        monitor.begin(window);
                        RunStats stats;
                        try {
                            stats = ScenarioRunner.run(sut, w, batch, settings.promptSeed());
                        } catch (BenchException | RuntimeException e) {
                            monitor.cancel(window);
                            throw e;
                        }
                        EnergyWindow energy = monitor.end(window);
                        rows.add(row(sut.name(), sut.cardModel(batch), w, batch, stats, energy, unavailableSensors));
                    }
                }
            } catch (PowerException e) {
                throw new BenchException(BenchException.ErrorCode.RUN_FAILED, sut.name() + ": power monitor: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BenchException(BenchException.ErrorCode.RUN_FAILED, sut.name() + ": interrupted", e);
            }
            List<String> sources = sensors.stream().map(s -> s.name() + " " + s.provenance().label()).toList();
            infos.add(new SystemInfo(sut.name(), sut.description(), true, "", sources,
                    sut.cardModel().isPresent() ? "headline tokens/s and W are the card's modeled figures (" + sut.cardModel().get().from()
                            + "); hostEmulation* figures are measured host time, not card performance" : ""));
        }
        infos.addAll(unavailable);
        Map<String, String> versions = new LinkedHashMap<>();
        versions.put("java", Runtime.version().toString());
        versions.put("onnxRuntime", OrtBaseline.onnxRuntimeVersion());
        String tf = BenchHarness.class.getPackage().getImplementationVersion();
        versions.put("tokenfab", tf == null ? "development build (classes)" : tf);
        Map<String, Object> s = new LinkedHashMap<>(settings.options());
        s.put("workloads", settings.workloads().stream().map(Workload::spec).toList());
        s.put("batches", settings.batches());
        s.put("idleSeconds", settings.idle().toMillis() / 1e3);
        s.put("samplePeriodMs", settings.samplePeriod().toMillis());
        s.put("pricePerKwh", Double.isNaN(settings.pricePerKwh()) ? null : settings.pricePerKwh());
        s.put("pue", settings.pue());
        s.put("promptSeed", settings.promptSeed());
        return new BenchRun(BenchRun.FORMAT_VERSION, Instant.now().toString(), MachineInfo.detect(String.join(", ", accelerators)),
                versions, s, infos, rows);
    }

    /** One short batch so class loading, JIT and ORT's first-run allocations stay out of the windows. */
    private static void warmUp(SystemUnderTest sut) throws BenchException {
        sut.generate(ScenarioRunner.prompts(1, 4, sut.vocabularySize(), -1), 2, (a, b, c) -> {});
    }

    /**
     * One untimed batch of the workload's shape (as llama-bench's warm-up run): engines allocate per
     * input shape on first use, which would otherwise land in the first measured window.
     */
    private static void warmUp(SystemUnderTest sut, Workload w, int batch) throws BenchException {
        int n = Math.min(batch, w.requests(batch));
        sut.generate(ScenarioRunner.prompts(n, w.promptTokens(), sut.vocabularySize(), -2), Math.min(w.generateTokens(), 2), (a, b, c) -> {});
    }

    /** Turns one run's clock and energy window into labeled figures. */
    ResultRow row(String system, Optional<CardFigures> card, Workload w, int batch, RunStats st, EnergyWindow energy,
                  String unavailableSensors) {
        Map<String, Figure> f = new LinkedHashMap<>();
        double wallS = st.wallNanos() / 1e9;
        boolean gen = w.generates();
        double hostTps = (gen ? st.outputTokens() : st.promptTokens()) / wallS;
        Figure hostTokensPerSecond = Figure.measured(hostTps, "tokens/s", clock + (gen ? ", generated tokens" : ", prompt tokens"));

        Figure tps;
        Figure watts;
        Figure idle;
        if (card.isPresent()) {
            CardFigures c = card.get();
            tps = batch == c.batch() && gen && w.scenario() instanceof Scenario.Single
                    ? Figure.modeled(c.decodeTokensPerSecond(), "tokens/s", c.from())
                    : Figure.unavailable("tokens/s", c.from() + " models single-stream decode at batch " + c.batch() + " only");
            // the plan's decode power, not an average over host emulation time (which would weight idle
            // and busy by how slowly the CPU emulates, not by how the card would run)
            watts = Figure.modeled(c.boardWatts(), "W", c.from());
            idle = Double.isNaN(c.idleWatts()) ? Figure.unavailable("W", c.from() + " has no idle estimate")
                    : Figure.modeled(c.idleWatts(), "W", c.from());
            f.put("tokensPerSecond", tps);
            f.put("prefillTokensPerSecond", Figure.unavailable("tokens/s", "card prefill not in the plan estimate"));
            f.put("decodeTokensPerSecond", tps);
            f.put("timeToFirstTokenMs", Figure.unavailable("ms", "card latency not in the plan estimate; host emulation time is not card latency"));
            f.put("timePerOutputTokenMs", tps.available()
                    ? Figure.modeled(1e3 / tps.value(), "ms", "1 / modeled tokens/s, " + c.from())
                    : Figure.unavailable("ms", "no modeled tokens/s"));
            f.put("hostEmulationTokensPerSecond", Figure.measured(hostTps, "tokens/s", clock + ", emulation on the host CPU: NOT card performance"));
        } else {
            tps = hostTokensPerSecond;
            f.put("tokensPerSecond", tps);
            f.put("prefillTokensPerSecond", st.prefillNanos() > 0
                    ? Figure.measured(st.promptTokens() / (st.prefillNanos() / 1e9), "tokens/s", clock)
                    : Figure.unavailable("tokens/s", "no prefill time"));
            f.put("decodeTokensPerSecond", st.decodeTokens() > 0 && st.decodeNanos() > 0
                    ? Figure.measured(st.decodeTokens() / (st.decodeNanos() / 1e9), "tokens/s", clock)
                    : Figure.unavailable("tokens/s", "workload generates fewer than 2 tokens"));
            f.put("timeToFirstTokenMs", Figure.measured(st.meanTimeToFirstTokenNanos() / 1e6, "ms",
                    clock + (w.scenario() instanceof Scenario.Server ? ", from arrival (queueing included)" : "")));
            f.put("timePerOutputTokenMs", Double.isNaN(st.meanTimePerOutputTokenNanos())
                    ? Figure.unavailable("ms", "workload generates fewer than 2 tokens")
                    : Figure.measured(st.meanTimePerOutputTokenNanos() / 1e6, "ms", clock));
            watts = measuredWatts(energy, unavailableSensors);
            idle = measuredIdle(energy, unavailableSensors);
        }
        f.put("averageWatts", watts);
        f.put("idleWatts", idle);
        Figure tokensPerJoule = Figure.derive(safeDiv(tps, watts), "tokens/J", tps, watts, "tokensPerSecond / averageWatts");
        Figure joulesPerToken = Figure.derive(safeDiv(watts, tps), "J/token", watts, tps, "averageWatts / tokensPerSecond");
        f.put("tokensPerJoule", tokensPerJoule);
        f.put("joulesPerToken", joulesPerToken);
        f.put("joulesPerTokenAboveIdle", watts.available() && idle.available()
                ? Figure.derive((watts.value() - idle.value()) / (tps.available() ? tps.value() : Double.NaN), "J/token",
                        watts, tps, "(averageWatts - idleWatts) / tokensPerSecond")
                : Figure.unavailable("J/token", "needs averageWatts and idleWatts"));
        f.put("costPerMillionTokens", Double.isNaN(settings.pricePerKwh())
                ? Figure.unavailable("currency/1M tokens", "pass --price-per-kwh")
                : joulesPerToken.scale(TOKENS_PER_MILLION / JOULES_PER_KWH * settings.pricePerKwh() * settings.pue(),
                        "currency/1M tokens", "joulesPerToken x 1e6 / 3.6e6 J/kWh x " + settings.pricePerKwh() + " per kWh x PUE " + settings.pue()));
        f.put("hostWallSeconds", Figure.measured(wallS, "s", clock + (card.isPresent() ? ", emulation on the host CPU" : "")));
        String scenario = switch (w.scenario()) {
            case Scenario.Single s -> "single";
            case Scenario.Offline o -> "offline";
            case Scenario.Server s -> "server@" + s.requestsPerSecond() + "/s";
        };
        return new ResultRow(system, w.spec(), scenario, batch, st.requests(), w.promptTokens(), w.generateTokens(), f);
    }

    private static double safeDiv(Figure a, Figure b) {
        return a.available() && b.available() && b.value() != 0 ? a.value() / b.value() : Double.NaN;
    }

    private Figure measuredWatts(EnergyWindow e, String unavailableSensors) {
        if (Double.isNaN(e.measuredJoules())) return Figure.unavailable("W", "no measured power sensor on " + host
                + (unavailableSensors.isEmpty() ? "" : " (" + unavailableSensors + ")"));
        List<String> names = new ArrayList<>();
        boolean tooShort = false;
        for (SensorEnergy s : e.bySensor().values()) {
            if (!s.available() || !s.provenance().isMeasured()) continue;
            names.add(s.provenance().label());
            tooShort |= s.status() == SensorEnergy.Status.TOO_SHORT;
        }
        return Figure.measured(e.measuredAverageWatts(), "W", "sum of " + String.join(" + ", names)
                + (tooShort ? "; WINDOW TOO SHORT for a sensor's update period: approximate" : ""));
    }

    private Figure measuredIdle(EnergyWindow e, String unavailableSensors) {
        double sum = 0;
        int n = 0;
        for (SensorEnergy s : e.bySensor().values()) {
            if (!s.available() || !s.provenance().isMeasured()) continue;
            if (Double.isNaN(s.idleWatts())) return Figure.unavailable("W", "idle not measured (--idle-seconds 0)");
            sum += s.idleWatts();
            n++;
        }
        return n == 0 ? Figure.unavailable("W", "no measured power sensor on " + host) : Figure.measured(sum, "W",
                "idle window on the same sensors");
    }
}
