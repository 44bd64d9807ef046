package dev.tokenfab;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.format.quant.QuantScheme;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A package {@link Tokenfab#compile} wrote.
 *
 * @param path     the package directory, ready for {@link Tokenfab#open}
 * @param platform the card it is planned for
 * @param quant    its weight precision
 * @param modeled  the modeled card figures of its dataflow plan
 */
public record CompiledPackage(Path path, Platform platform, QuantScheme quant, ModeledFigures modeled) {

    /**
     * Checks for nulls.
     *
     * @throws NullPointerException naming the component when it is null
     */
    public CompiledPackage {
        Objects.requireNonNull(path, "CompiledPackage.path");
        Objects.requireNonNull(platform, "CompiledPackage.platform");
        Objects.requireNonNull(quant, "CompiledPackage.quant");
        Objects.requireNonNull(modeled, "CompiledPackage.modeled");
    }
}
