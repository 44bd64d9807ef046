package dev.tokenfab.cli;

import java.util.List;

/** The subcommands, in the order `tokenfab --help` lists them (data flow order). */
final class Commands {
    private Commands() {}

    static List<Object> all() {
        return List.of();
    }
}
