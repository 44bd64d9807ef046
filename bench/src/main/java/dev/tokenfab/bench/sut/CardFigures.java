package dev.tokenfab.bench.sut;

import dev.tokenfab.bench.BenchException;
import dev.tokenfab.bench.result.ResultPaths;
import dev.tokenfab.format.FormatException;
import dev.tokenfab.format.card.CardEstimate;
import dev.tokenfab.format.card.CardModel;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import java.nio.file.Path;

/**
 * The figures of a card's {@link CardEstimate} that the bench reports: every one is <b>modeled</b> by
 * {@link CardModel} from the package's dataflow plan (cycles per stage, bytes per HBM channel, clock,
 * a power model on the platform's cited constants), never measured.
 *
 * @param platform              the Alveo platform the plan targets
 * @param batch                 sequences decoded together in the estimate
 * @param decodeTokensPerSecond modeled decode tokens/s of the whole batch
 * @param boardWatts            modeled board power while decoding
 * @param idleWatts             modeled board power at idle (shell loaded)
 * @param from                  where the numbers come from, for labels
 */
public record CardFigures(String platform, int batch, double decodeTokensPerSecond, double boardWatts, double idleWatts, String from) {

    /** The bench's view of {@code e}; {@code source} names the package for labels. */
    public static CardFigures of(CardEstimate e, String source) {
        return new CardFigures(e.platform().name(), e.batch(), e.tokensPerSecond(), e.boardWatts(), e.idleWatts(),
                source + " " + e.from());
    }

    /**
     * The card model of a package's plan (read once; the model keeps only the plan and the decoder config).
     *
     * @throws BenchException SYSTEM_UNAVAILABLE naming the package and what is wrong with it
     */
    public static CardModel modelOf(Path modelPackage) throws BenchException {
        try (ModelPackage pkg = PackageReader.open(modelPackage, PackageReader.Verification.SIZES_ONLY)) {
            return CardModel.of(pkg.manifest().model(), pkg.plan());
        } catch (FormatException | IllegalArgumentException e) {
            throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE,
                    ResultPaths.label(modelPackage) + ": cannot model the card from its plan: " + e.getMessage(), e);
        }
    }
}
