package dev.tokenfab.cli.arch;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository is when tests run (surefire runs them in the module folder, cli/). */
final class Repository {

    /** The nearest folder at or above the working directory that holds docs/ARCHITECTURE.md. */
    static Path root() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent())
            if (Files.isRegularFile(d.resolve("docs/ARCHITECTURE.md")) && Files.isRegularFile(d.resolve("pom.xml"))) return d;
        throw new IllegalStateException("no docs/ARCHITECTURE.md at or above " + dir);
    }

    private Repository() {}
}
