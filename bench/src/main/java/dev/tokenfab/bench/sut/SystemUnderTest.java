package dev.tokenfab.bench.sut;

import dev.tokenfab.bench.BenchException;
import dev.tokenfab.host.power.PowerSensor;
import java.util.List;
import java.util.Optional;

/**
 * One system the harness benchmarks: an engine on a device, with the same greedy-decode contract
 * for all of them so their figures compare. Implementations own their sessions/devices and free
 * them in {@link #close}.
 */
public interface SystemUnderTest extends AutoCloseable {

    /** Short name used in charts, e.g. "ort-cpu", "tokenfab-emu-u280". */
    String name();

    /** Engine, device and model in one line. */
    String description();

    /** Token ids valid as prompt input are in [0, vocabularySize). */
    int vocabularySize();

    /**
     * Runs one batch: prefill every prompt (all the same length), then generate {@code generateTokens}
     * per sequence greedily without stopping at EOS, calling {@code sink} as each token is produced.
     * With {@code generateTokens == 0} only the prefill runs.
     *
     * @throws BenchException RUN_FAILED naming the step and the engine's message
     */
    void generate(List<long[]> prompts, int generateTokens, TokenSink sink) throws BenchException;

    /**
     * For a system whose device is emulated: the card's modeled figures, which become the system's
     * headline while the measured host time is reported separately. Empty for real hardware.
     */
    default Optional<CardFigures> cardModel() { return Optional.empty(); }

    /** The card model at {@code batch} sequences decoded together; by default only the plan's own batch. */
    default Optional<CardFigures> cardModel(int batch) { return cardModel().filter(c -> c.batch() == batch); }

    /** Power sensors the system itself contributes (e.g. the modeled card); the harness adds this machine's. */
    default List<PowerSensor> ownSensors() { return List.of(); }

    @Override
    void close();
}
