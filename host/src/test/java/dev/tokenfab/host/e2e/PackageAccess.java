package dev.tokenfab.host.e2e;

import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import java.nio.file.Path;

/** Opens a compiled package through the compiler's verifying reader. */
final class PackageAccess {
    private PackageAccess() {}

    static ModelPackage open(Path pkg) throws Exception {
        return PackageReader.open(pkg);
    }
}
