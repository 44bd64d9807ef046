package dev.tokenfab.host.e2e;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.compiler.pkg.Manifest;
import java.nio.file.Path;

/** Reads a package's manifest (through the compiler's PackageReader once it is on main). */
final class PackageAccess {
    private PackageAccess() {}

    static Manifest manifest(Path pkg) throws Exception {
        return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .readValue(pkg.resolve("manifest.json").toFile(), Manifest.class);
    }
}
