package dev.tokenfab.cli;

import dev.tokenfab.bench.cli.BenchCommand;
import dev.tokenfab.bitstreams.cli.LinkConfigCommand;
import dev.tokenfab.compiler.cli.CompileCommand;
import dev.tokenfab.compiler.cli.SynthCommand;
import dev.tokenfab.host.cli.DevicesCommand;
import dev.tokenfab.host.cli.PowerCommand;
import dev.tokenfab.host.cli.RunCommand;
import java.util.List;

/** The subcommands, in the order `tokenfab --help` lists them (data flow order). */
final class Commands {
    private Commands() {}

    static List<Object> all() {
        return List.of(new SynthCommand(), new CompileCommand(), new LinkConfigCommand(), new RunCommand(), new DemoCommand(), new DevicesCommand(),
                new PowerCommand(), new BenchCommand());
    }
}
