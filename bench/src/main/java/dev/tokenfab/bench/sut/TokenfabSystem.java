package dev.tokenfab.bench.sut;

import dev.tokenfab.bench.BenchException;
import dev.tokenfab.bench.result.ResultPaths;
import dev.tokenfab.format.card.CardModel;
import dev.tokenfab.host.power.ModeledSensor;
import dev.tokenfab.host.power.PowerSensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * tokenfab on a device. On an emulated device the host's wall time is not card performance, so
 * the card's modeled figures ({@link CardModel} on the package's plan) are the system's headline and the
 * measured host emulation time is reported separately; the modeled card power is contributed as a
 * {@link ModeledSensor} that reads the modeled decode watts while a batch runs and idle watts otherwise.
 */
public final class TokenfabSystem implements SystemUnderTest {

    private final TokenfabEngine engine;
    private final Path modelPackage;
    private final String device;
    /** The package's card model (emulated devices only). */
    private final Optional<CardModel> card;
    /** The estimate at the plan's own operating point (batch 1, its context). */
    private final Optional<CardFigures> planned;
    private final Map<Integer, CardFigures> byBatch = new ConcurrentHashMap<>();
    private final AtomicBoolean busy = new AtomicBoolean();

    private TokenfabSystem(TokenfabEngine engine, Path modelPackage, String device, Optional<CardModel> card) {
        this.engine = engine;
        this.modelPackage = modelPackage;
        this.device = device;
        this.card = card;
        this.planned = card.map(c -> CardFigures.of(c.asPlanned(), source()));
    }

    private String source() { return ResultPaths.label(modelPackage); }

    /**
     * @throws BenchException SYSTEM_UNAVAILABLE when the package's plan cannot be read (emulated devices
     *                        need it), or no runtime is on the class path (says which is missing)
     */
    public static TokenfabSystem open(Path modelPackage, String device, int maxBatch) throws BenchException {
        if (!Files.isDirectory(modelPackage)) throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE,
                "model package " + modelPackage + " is not a directory (compile one with `tokenfab compile`)");
        Optional<CardModel> card = Optional.empty();
        boolean emulatedDevice = !device.equals("xrt") && !device.equals("opencl");
        if (emulatedDevice) card = Optional.of(CardFigures.modelOf(modelPackage));
        TokenfabEngine.Provider provider = ServiceLoader.load(TokenfabEngine.Provider.class).findFirst().orElseThrow(() ->
                new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, "no tokenfab runtime on the class path "
                        + "(no " + TokenfabEngine.Provider.class.getName() + " service registered)"));
        return new TokenfabSystem(provider.open(modelPackage, device, maxBatch), modelPackage, device, card);
    }

    @Override
    public String name() {
        return "tokenfab-" + device + card.map(c -> "-" + c.platform().name().toLowerCase(java.util.Locale.ROOT)).orElse("");
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

    @Override public Optional<CardFigures> cardModel() { return engine.emulated() ? planned : Optional.empty(); }

    /** The card model at {@code batch} (weights read once per step for the whole batch, KV per sequence) at the plan's own context. */
    @Override
    public Optional<CardFigures> cardModel(int batch) {
        Optional<CardFigures> base = cardModel();
        if (base.isEmpty() || base.get().batch() == batch) return base;
        CardModel c = card.orElseThrow();
        return Optional.of(byBatch.computeIfAbsent(batch,
                b -> CardFigures.of(c.estimate(b, c.plan().memory().contextTokens()), source())));
    }

    @Override
    public List<PowerSensor> ownSensors() {
        return cardModel().map(c -> List.<PowerSensor>of(new ModeledSensor("card:" + c.platform(), c.from(),
                () -> busy.get() || Double.isNaN(c.idleWatts()) ? c.boardWatts() : c.idleWatts()))).orElse(List.of());
    }

    @Override
    public void close() { engine.close(); }
}
