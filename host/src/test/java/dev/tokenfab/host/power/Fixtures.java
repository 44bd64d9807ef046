package dev.tokenfab.host.power;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The test fixtures under src/test/resources/power, copied where a test may change them. */
public final class Fixtures {
    private Fixtures() {}

    public static Path resource(String path) {
        try {
            var url = Fixtures.class.getResource("/power/" + path);
            if (url == null) throw new IllegalStateException("missing test resource power/" + path);
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies the fake sysfs tree power/sysfs into {@code dir}; returns dir (holding powercap/ and hwmon/). */
    public static Path sysfsCopy(Path dir) throws IOException {
        Path src = resource("sysfs");
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path dst = dir.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(dst);
                else Files.copy(p, dst);
            }
        }
        return dir;
    }

    static void write(Path file, long value) {
        try {
            Files.writeString(file, value + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
