package dev.tokenfab.host.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tokenfab.format.FormatException;
import dev.tokenfab.format.card.CardEstimate;
import dev.tokenfab.format.card.CardModel;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.DeviceInfo;
import dev.tokenfab.host.device.Devices;
import dev.tokenfab.host.runtime.Decoder;
import dev.tokenfab.host.runtime.Generator;
import dev.tokenfab.host.runtime.ModelConfig;
import dev.tokenfab.host.runtime.Sampler;
import dev.tokenfab.host.text.TextException;
import dev.tokenfab.host.text.StreamDecoder;
import dev.tokenfab.host.text.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code run}: generates tokens from a model package on a device. Prints the token ids and a few
 * figures, each labeled: measured host wall time (this JVM, this CPU) or modeled card figures (from
 * the package's plan and the platform's datasheet numbers).
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Generate tokens from a model package on a device (emu, xrt, opencl).")
public final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PACKAGE", description = "model package directory (*.tfpkg)")
    Path packageDir;

    @Option(names = "--device", defaultValue = "emu", description = "emu | xrt | opencl (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--prompt-ids", split = ",", paramLabel = "ID", description = "prompt token ids, e.g. 1,2,3,4")
    int[] promptIds;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "prompt text, encoded with the package's tokenizer.json; prints the generated text")
    String prompt;

    @Option(names = "--max-new-tokens", defaultValue = "16", description = "tokens to generate (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 = all")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "nucleus mass in (0, 1]; 1 = all")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed")
    long seed;

    @Option(names = "--json", description = "print one JSON object instead of text")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws FormatException, DeviceException, TextException, java.io.IOException {
        PrintWriter out = spec.commandLine().getOut();
        if ((prompt == null) == (promptIds == null)) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --prompt TEXT or --prompt-ids ID,...");
        }
        Sampler.Settings sampling = new Sampler.Settings(temperature, topK, topP, seed);
        RunOutcome r;
        String text = null;
        if (prompt == null) {
            r = execute(packageDir, Devices.parseKind(device), promptIds, maxNewTokens, sampling);
        } else {
            try (ModelPackage pkg = PackageReader.open(packageDir);
                 Tokenizer tokenizer = Tokenizer.forPackage(packageDir, pkg.manifest())) {
                int[] ids = tokenizer.encodePrompt(prompt, ModelConfig.from(pkg.manifest()).vocabSize());
                // Text streams as tokens are sampled: each token's new suffix (partial UTF-8 held back).
                StreamDecoder stream = tokenizer.streamDecoder(Arrays.stream(ids).asLongStream().toArray());
                if (!json) { out.print(prompt); out.flush(); }
                r = execute(pkg, Devices.parseKind(device), ids, maxNewTokens, sampling, token -> {
                    if (tokenizer.isEos(token)) return;
                    String piece = stream.push(token);
                    if (!json) { out.print(piece); out.flush(); }
                });
                String tail = stream.flush();
                if (!json) out.println(tail);
                text = stream.text();
            }
        }
        if (json) {
            Map<String, Object> j = r.toJson();
            if (text != null) {
                j.put("prompt", prompt);
                j.put("text", text);
            }
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
        } else {
            out.println("generated ids: " + Arrays.toString(r.result().generatedIds()) + " (" + r.result().finish() + ")");
            out.print(r.table());
        }
        out.flush();
        return 0;
    }

    /**
     * The host path of the decode steps from the second generated token on (the first carries the
     * prefill and records the launch program), <em>measured</em> on the host; NaN with fewer than two
     * generated tokens.
     *
     * @param launchesPerToken           kernel runs per decode step: direct launches plus the kernels a
     *                                   replayed launch program runs (the recorded step's command count)
     * @param hostOverheadMillisPerToken host wall time per decode step (forward and sampling, as
     *                                   {@code millisPerToken}) minus the time inside kernel bodies: the
     *                                   kernels' C-simulation downcalls, timed around each call (emu:
     *                                   {@code Decoder.timeKernels}; XRT's noop shim: the device's own timer
     *                                   around the simulation after each run; a card: the waits for runs)
     * @param kernelMillisPerToken       that time inside kernel bodies, per decode step
     */
    public record HostPath(double launchesPerToken, double hostOverheadMillisPerToken, double kernelMillisPerToken) {
        static final HostPath NONE = new HostPath(Double.NaN, Double.NaN, Double.NaN);
    }

    /** Everything one run produced, with the figures labeled. */
    public record RunOutcome(Path packageDir, DeviceInfo device, ModelConfig config, Generator.Result result,
                             String hostCpu, CardEstimate modeled, HostPath hostPath) {

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("package", packageDir.toString());
            m.put("device", device.kind().name().toLowerCase(java.util.Locale.ROOT));
            m.put("deviceName", device.name());
            m.put("promptIds", result.promptIds());
            m.put("generatedIds", result.generatedIds());
            m.put("finishReason", result.finish().name());
            Map<String, Object> measured = new LinkedHashMap<>();
            measured.put("label", "measured");
            measured.put("on", "host wall time (System.nanoTime) of each decode step, " + (device.emulatedCompute()
                    ? "kernels emulated on the host CPU" : "kernels on " + device.name()));
            measured.put("hostCpu", hostCpu);
            measured.put("prefillMillis", result.prefillNanos() / 1e6);
            measured.put("millisPerToken", Arrays.stream(result.tokenNanos()).mapToDouble(n -> n / 1e6).toArray());
            measured.put("tokensPerSecond", finiteOrNull(result.measuredTokensPerSecond()));
            measured.put("tokensPerSecondFrom", "second generated token on (the first carries the prefill)");
            measured.put("launchesPerToken", finiteOrNull(hostPath.launchesPerToken()));
            measured.put("hostOverheadMillisPerToken", finiteOrNull(hostPath.hostOverheadMillisPerToken()));
            measured.put("kernelMillisPerToken", finiteOrNull(hostPath.kernelMillisPerToken()));
            measured.put("hostOverheadFrom", "host wall time per decode step minus the time inside kernel bodies ("
                    + (device.emulatedCompute() ? "the kernels' C-simulation downcalls, timed on the host" : "the waits for the card's runs")
                    + "), second generated token on; launchesPerToken counts each kernel a replayed launch program runs");
            m.put("measured", measured);
            m.put("modeled", modeledJson());
            return m;
        }

        /** The card figures, labeled modeled, with where they come from. */
        private Map<String, Object> modeledJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", CardEstimate.LABEL);
            m.put("from", "dataflow plan");
            m.put("detail", modeled.from());
            m.put("platform", modeled.platform().name());
            m.put("tokensPerSecond", finiteOrNull(modeled.tokensPerSecond()));
            m.put("watts", finiteOrNull(modeled.boardWatts()));
            m.put("tokensPerJoule", finiteOrNull(modeled.tokensPerJoule()));
            m.put("bound", modeled.bound());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("label", CardEstimate.LABEL);
            r.put("from", modeled.rooflineFrom());
            r.put("tokensPerSecond", modeled.rooflineTokensPerSecond());
            m.put("hbmRoofline", r);
            return m;
        }

        public String table() {
            StringBuilder sb = new StringBuilder();
            row(sb, "host tokens/s", result.measuredTokensPerSecond(), "measured", "host wall time, " + hostCpu
                    + (device.emulatedCompute() ? ", emulated kernels" : ""));
            row(sb, "card tokens/s", modeled.tokensPerSecond(), CardEstimate.LABEL, modeled.from());
            row(sb, "card W", modeled.boardWatts(), CardEstimate.LABEL, modeled.from());
            row(sb, "card tokens/J", modeled.tokensPerJoule(), CardEstimate.LABEL, modeled.from());
            row(sb, "HBM roofline tokens/s", modeled.rooflineTokensPerSecond(), CardEstimate.LABEL, modeled.rooflineFrom());
            return sb.toString();
        }

        private static void row(StringBuilder sb, String name, double value, String label, String from) {
            String v = Double.isFinite(value) ? String.format(java.util.Locale.ROOT, "%12.2f", value) : String.format("%12s", "n/a");
            sb.append(String.format(java.util.Locale.ROOT, "%-22s %s  %-8s  %s%n", name, v, label, from));
        }

        private static Double finiteOrNull(double v) { return Double.isFinite(v) ? v : null; }
    }

    /**
     * Loads the package, opens the device, uploads, generates. Library entry point of {@code run}
     * (and of {@code demo}).
     *
     * @throws FormatException the package reader's typed error (checksum, version, missing file)
     * @throws DeviceException  when the device is unavailable or a kernel fails
     */
    public static RunOutcome execute(Path packageDir, DeviceInfo.Kind kind, int[] promptIds, int maxNewTokens,
                                     Sampler.Settings sampling) throws FormatException, DeviceException {
        try (ModelPackage pkg = PackageReader.open(packageDir)) {
            return execute(pkg, kind, promptIds, maxNewTokens, sampling);
        }
    }

    /** Loads the package onto the device after the device checked it (XRT: against its loaded xclbin). */
    private static Decoder openDecoder(Device dev, ModelPackage pkg) throws DeviceException {
        dev.checkPackage(pkg.manifest());
        return Decoder.load(dev, pkg, 1);
    }

    /** As {@link #execute(Path, DeviceInfo.Kind, int[], int, Sampler.Settings)} on an open package. */
    public static RunOutcome execute(ModelPackage pkg, DeviceInfo.Kind kind, int[] promptIds, int maxNewTokens,
                                     Sampler.Settings sampling) throws DeviceException {
        return execute(pkg, kind, promptIds, maxNewTokens, sampling, token -> { });
    }

    /** As above, handing each generated token to {@code onToken} as it is sampled. */
    public static RunOutcome execute(ModelPackage pkg, DeviceInfo.Kind kind, int[] promptIds, int maxNewTokens,
                                     Sampler.Settings sampling, java.util.function.IntConsumer onToken) throws DeviceException {
        Manifest manifest = pkg.manifest();
        ModelConfig config = ModelConfig.from(manifest);
        for (int id : promptIds) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("--prompt-ids: token id " + id + " outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        if (promptIds.length + maxNewTokens > config.model().maxContextTokens()) {
            throw new IllegalArgumentException("prompt (" + promptIds.length + ") + --max-new-tokens (" + maxNewTokens
                    + ") exceeds the model's context of " + config.model().maxContextTokens() + " tokens");
        }
        if (kind == DeviceInfo.Kind.OPENCL) {
            // OpenClDevice ports only the GEMV/element-wise kernels so far (see OpenClDevice); refuse before uploading.
            throw new DeviceException(DeviceException.ErrorCode.UNAVAILABLE,
                    "device opencl: only tf_gemv_q8, tf_gemv_f16, tf_add and tf_swiglu have OpenCL C ports; "
                            + "a full decode needs every kernel: use --device emu or --device xrt");
        }
        try (Device dev = Devices.open(kind, config.platform());
             Decoder decoder = openDecoder(dev, pkg)) {
            // kernel time and launches counted from the first generated token's callback (after its step) to the end
            decoder.timeKernels(true);
            long[] atFirst = new long[3];
            int[] seen = {0};
            java.util.function.IntConsumer counting = token -> {
                if (seen[0]++ == 0) {
                    atFirst[0] = decoder.kernelNanos();
                    atFirst[1] = decoder.kernelLaunches();
                    atFirst[2] = dev.kernelBodyNanos().orElse(0);
                }
                onToken.accept(token);
            };
            Generator.Result result = new Generator(decoder).generate(promptIds, maxNewTokens, new Sampler(sampling), false, counting);
            HostPath hostPath = hostPath(result, decoder.kernelNanos() - atFirst[0], decoder.kernelLaunches() - atFirst[1],
                    dev.kernelBodyNanos().isPresent() ? dev.kernelBodyNanos().getAsLong() - atFirst[2] : -1);
            // the card figures at the plan's operating point (batch 1, its modeled context), as dataflow.json states them
            CardEstimate modeled = new CardModel(manifest.model(), pkg.plan(), config.platform()).asPlanned();
            return new RunOutcome(pkg.root(), dev.info(), config, result, HostCpu.model(), modeled, hostPath);
        }
    }

    /**
     * The host path of steps 2..n: {@code launchNanos} inside launches and replays, {@code bodyNanos}
     * inside kernel bodies as the device measures them (-1 where a launch is the body: the emulated card).
     */
    static HostPath hostPath(Generator.Result result, long launchNanos, long launches, long bodyNanos) {
        long[] steps = result.tokenNanos();
        if (steps.length < 2) return HostPath.NONE;
        long wall = 0;
        for (int i = 1; i < steps.length; i++) wall += steps[i];
        int n = steps.length - 1;
        long kernel = bodyNanos >= 0 ? bodyNanos : launchNanos;
        return new HostPath((double) launches / n, (wall - kernel) / 1e6 / n, kernel / 1e6 / n);
    }
}
