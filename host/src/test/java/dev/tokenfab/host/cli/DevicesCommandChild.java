package dev.tokenfab.host.cli;

import picocli.CommandLine;

/** Runs {@code devices} in a child JVM for {@link DevicesCommandTest} (XRT's shim is per process). */
public final class DevicesCommandChild {
    public static void main(String[] args) {
        System.exit(new CommandLine(new DevicesCommand()).execute(args));
    }
}
