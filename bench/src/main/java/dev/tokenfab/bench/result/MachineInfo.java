package dev.tokenfab.bench.result;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine a run happened on.
 *
 * @param hostName     /proc/sys/kernel/hostname
 * @param cpuModel     first "model name" of /proc/cpuinfo
 * @param logicalCores what the JVM sees (cgroup limits included)
 * @param os           os.name os.version os.arch
 * @param memoryBytes  MemTotal of /proc/meminfo, 0 when unknown
 * @param accelerators GPUs/cards the sensors or systems reported, free text
 */
public record MachineInfo(String hostName, String cpuModel, int logicalCores, String os, long memoryBytes, String accelerators) {

    public static MachineInfo detect(String accelerators) {
        return new MachineInfo(firstLine(Path.of("/proc/sys/kernel/hostname"), "unknown"), detectCpuModel(),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                memTotalBytes(), accelerators);
    }

    private static String detectCpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }

    private static long memTotalBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo")))
                if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return 0;
    }

    private static String firstLine(Path p, String dflt) {
        try {
            String s = Files.readString(p).strip();
            return s.isEmpty() ? dflt : s;
        } catch (IOException e) {
            return dflt;
        }
    }
}
