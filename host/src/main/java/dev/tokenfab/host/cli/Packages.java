package dev.tokenfab.host.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.compiler.CompileException;
import dev.tokenfab.compiler.pkg.Manifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a package for the runtime. TEMPORARY until PackageReader lands on main: reads manifest.json and checks its version only. */
final class Packages {
    private Packages() {}

    static Manifest open(Path dir) throws CompileException {
        Path mf = dir.resolve("manifest.json");
        if (!Files.isRegularFile(mf)) throw new CompileException(CompileException.ErrorCode.FILE_NOT_FOUND, mf + ": no such file");
        Manifest m;
        try {
            m = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).readValue(mf.toFile(), Manifest.class);
        } catch (IOException e) {
            throw new CompileException(CompileException.ErrorCode.PACKAGE_CORRUPT, mf + ": " + e.getMessage(), e);
        }
        if (m.formatVersion() != Manifest.FORMAT_VERSION) {
            throw new CompileException(CompileException.ErrorCode.PACKAGE_VERSION, mf + ": format version " + m.formatVersion()
                    + ", this build reads version " + Manifest.FORMAT_VERSION);
        }
        return m;
    }
}
