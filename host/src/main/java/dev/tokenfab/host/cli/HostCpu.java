package dev.tokenfab.host.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host CPU's model name, naming what measured host figures were measured on. */
final class HostCpu {
    private HostCpu() {}

    static String model() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim() + " (" + Runtime.getRuntime().availableProcessors() + " CPUs visible)";
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: /proc/cpuinfo is Linux-only
        }
        return System.getProperty("os.arch") + " (model unknown: /proc/cpuinfo unreadable)";
    }
}
