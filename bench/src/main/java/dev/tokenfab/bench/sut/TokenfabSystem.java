package dev.tokenfab.bench.sut;

import dev.tokenfab.bench.BenchException;
import dev.tokenfab.host.power.ModeledSensor;
import dev.tokenfab.host.power.PowerSensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * tokenfab on a device. On an emulated device the host's wall time is not card performance, so
 * the card's modeled figures (from the package's dataflow.json) are the system's headline and the
 * measured host emulation time is reported separately; the modeled card power is contributed as a
 * {@link ModeledSensor} that reads the modeled decode watts while a batch runs and idle watts otherwise.
 */
public final class TokenfabSystem implements SystemUnderTest {

    private final TokenfabEngine engine;
    private final Path modelPackage;
    private final String device;
    private final Optional<CardModel> cardModel;
    private final AtomicBoolean busy = new AtomicBoolean();

    private TokenfabSystem(TokenfabEngine engine, Path modelPackage, String device, Optional<CardModel> cardModel) {
        this.engine = engine;
        this.modelPackage = modelPackage;
        this.device = device;
        this.cardModel = cardModel;
    }

    /**
     * @throws BenchException SYSTEM_UNAVAILABLE when the package has no dataflow.json estimate (emulated
     *                        devices need it), or no runtime is on the class path (says which is missing)
     */
    public static TokenfabSystem open(Path modelPackage, String device, int maxBatch) throws BenchException {
        if (!Files.isDirectory(modelPackage)) throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE,
                "model package " + modelPackage + " is not a directory (compile one with `tokenfab compile`)");
        Optional<CardModel> card = Optional.empty();
        boolean emulatedDevice = !device.equals("xrt") && !device.equals("opencl");
        if (emulatedDevice) card = Optional.of(CardModel.fromDataflowJson(modelPackage.resolve("dataflow.json")));
        TokenfabEngine.Provider provider = ServiceLoader.load(TokenfabEngine.Provider.class).findFirst().orElseThrow(() ->
                new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, "no tokenfab runtime on the class path "
                        + "(no " + TokenfabEngine.Provider.class.getName() + " service registered)"));
        return new TokenfabSystem(provider.open(modelPackage, device, maxBatch), modelPackage, device, card);
    }

    @Override
    public String name() {
        return "tokenfab-" + device + cardModel.map(c -> "-" + c.platform().toLowerCase(java.util.Locale.ROOT)).orElse("");
    }

    @Override
    public String description() {
        return "tokenfab " + engine.deviceDescription() + ", package " + dev.tokenfab.bench.result.ResultPaths.label(modelPackage)
                + (engine.emulated() ? " (emulated: card figures modeled, host time measured separately)" : "");
    }

    @Override public int vocabularySize() { return engine.vocabularySize(); }

    @Override
    public void generate(List<long[]> prompts, int generateTokens, TokenSink sink) throws BenchException {
        busy.set(true);
        try {
            engine.generate(prompts, generateTokens, sink);
        } finally {
            busy.set(false);
        }
    }

    @Override public Optional<CardModel> cardModel() { return engine.emulated() ? cardModel : Optional.empty(); }

    /**
     * The plan's estimate re-run at {@code batch} (DataflowPlanner.estimate: weights read once per step for the
     * whole batch, KV per sequence) at the plan's own context; modeled like the batch-1 figure.
     */
    @Override
    public Optional<CardModel> cardModel(int batch) {
        Optional<CardModel> base = cardModel();
        if (base.isEmpty() || base.get().batch() == batch) return base;
        return Optional.of(modeledAt(batch, base.get()));
    }

    private final java.util.Map<Integer, CardModel> byBatch = new java.util.HashMap<>();

    private CardModel modeledAt(int batch, CardModel base) {
        return byBatch.computeIfAbsent(batch, b -> {
            try (dev.tokenfab.format.pkg.ModelPackage pkg = dev.tokenfab.format.pkg.PackageReader.open(modelPackage,
                    dev.tokenfab.format.pkg.PackageReader.Verification.SIZES_ONLY)) {
                var plan = pkg.plan();
                var e = dev.tokenfab.compiler.plan.DataflowPlanner.estimate(pkg.manifest().model(), plan, b,
                        plan.estimateModeled().contextTokens());
                return new CardModel(base.platform(), b, e.tokensPerSecond(), e.boardWatts(), e.idleWatts(),
                        dev.tokenfab.bench.result.ResultPaths.label(modelPackage.resolve("dataflow.json")) + " DataflowPlanner.estimate (" + base.platform() + ", batch " + b
                                + ", context " + plan.estimateModeled().contextTokens() + ")");
            } catch (dev.tokenfab.format.FormatException ex) {
                throw new IllegalStateException("cannot re-open " + modelPackage + " for the batch-" + b + " estimate: " + ex.getMessage(), ex);
            }
        });
    }

    @Override
    public List<PowerSensor> ownSensors() {
        return cardModel().map(c -> List.<PowerSensor>of(new ModeledSensor("card:" + c.platform(), c.from(),
                () -> busy.get() || Double.isNaN(c.idleWatts()) ? c.boardWatts() : c.idleWatts()))).orElse(List.of());
    }

    @Override
    public void close() { engine.close(); }
}
