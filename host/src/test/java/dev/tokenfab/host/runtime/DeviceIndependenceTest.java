package dev.tokenfab.host.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The runtime is written against the {@link dev.tokenfab.host.device.Device} SPI only: no source
 * file of {@code dev.tokenfab.host.runtime} imports, tests for ({@code instanceof}) or casts to a
 * concrete device; a capability a backend has belongs on the interface (as launch programs do).
 */
class DeviceIndependenceTest {

    /** The runtime's sources, from the module directory surefire runs in. */
    static final Path RUNTIME_SOURCES = Path.of("src/main/java/dev/tokenfab/host/runtime");

    /** A concrete device's name used as code: imported, after instanceof, or in a cast. */
    static final Pattern CONCRETE_DEVICE_USE = Pattern.compile(
            "import\\s+dev\\.tokenfab\\.host\\.device\\.(EmuDevice|XrtDevice|OpenClDevice)\\b"
                    + "|instanceof\\s+(dev\\.tokenfab\\.host\\.device\\.)?(EmuDevice|XrtDevice|OpenClDevice)\\b"
                    + "|\\(\\s*(dev\\.tokenfab\\.host\\.device\\.)?(EmuDevice|XrtDevice|OpenClDevice)\\s*\\)");

    @Test
    void runtimeNeverNamesAConcreteDeviceInCode() throws IOException {
        assertTrue(Files.isDirectory(RUNTIME_SOURCES), "run from the host module: " + RUNTIME_SOURCES.toAbsolutePath());
        List<String> offences = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.list(RUNTIME_SOURCES)) {
            for (Path f : sources.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                files++;
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    Matcher m = CONCRETE_DEVICE_USE.matcher(lines.get(i));
                    if (m.find()) offences.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertTrue(files > 10, "found only " + files + " runtime sources");
        assertEquals(List.of(), offences, "runtime code must use the Device SPI, not a concrete device");
    }

    @Test
    void thePatternCatchesWhatItForbids() {
        for (String bad : List.of("import dev.tokenfab.host.device.EmuDevice;", "if (d instanceof XrtDevice x) x.run();",
                "EmuDevice e = (EmuDevice) device;", "d instanceof dev.tokenfab.host.device.OpenClDevice")) {
            assertTrue(CONCRETE_DEVICE_USE.matcher(bad).find(), bad);
        }
        assertFalse(CONCRETE_DEVICE_USE.matcher(" * safe on the emulated card ({@link dev.tokenfab.host.device.EmuDevice})").find());
    }
}
