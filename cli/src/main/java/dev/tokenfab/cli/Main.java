package dev.tokenfab.cli;

import dev.tokenfab.format.FormatException;
import dev.tokenfab.host.device.DeviceException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The tokenfab command line. Every module contributes its own picocli commands; this class only
 * mounts them and turns failures into one line and an exit code (stack traces with --verbose).
 */
@Command(name = "tokenfab", mixinStandardHelpOptions = true, version = "tokenfab 0.1.0",
        description = "Compile ONNX decoder LLMs for Alveo FPGA cards, run decode (card or emulation), "
                + "and measure tokens/s/W against a baseline.",
        subcommandsRepeatable = false)
public final class Main implements Runnable {

    /** Exit codes: 0 ok, 1 runtime/device failure, 2 usage error (picocli), 3 bad input (model, package, option). */
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_BAD_INPUT = 3;

    @Option(names = "--verbose", description = "Print stack traces of errors not handled by a subcommand.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command tree; public for tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Object sub : Commands.all()) cl.addSubcommand(sub);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // --verbose anywhere on the line: Main's own or a subcommand's
            return report(ex, commandLine.getErr(), parseResult.originalArgs().contains("--verbose"));
        });
        return cl;
    }

    static int report(Exception ex, PrintWriter err, boolean verbose) {
        int code = EXIT_FAILURE;
        if (ex instanceof FormatException) code = EXIT_BAD_INPUT;
        else if (ex instanceof IllegalArgumentException) code = EXIT_BAD_INPUT;
        else if (ex instanceof dev.tokenfab.host.text.TextException) code = EXIT_BAD_INPUT;
        String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        String kind = ex instanceof FormatException ce ? ce.code().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                : ex instanceof DeviceException ? "device"
                : ex instanceof dev.tokenfab.host.text.TextException ? "tokenizer" : "error";
        err.println("tokenfab: " + kind + ": " + msg);
        if (verbose) ex.printStackTrace(err);
        else err.println("(run with --verbose for details)");
        err.flush();
        return code;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
