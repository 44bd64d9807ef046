package dev.tokenfab.bitstreams.cli;

import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.bitstreams.ConnectivityConfig;
import dev.tokenfab.bitstreams.xclbin.XclbinMode;
import dev.tokenfab.bitstreams.xclbin.XclbinWriter;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.pkg.PackageLayout;
import dev.tokenfab.format.plan.DataflowPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tokenfab link-config <package|dataflow.json>}: the v++ {@code [connectivity]} cfg of a
 * compiled package's plan (one GEMV unit per weight bank, every port pinned to its buffers'
 * banks) and the matching emulation xclbin, so that the card build and the XRT emulation share
 * one bank map. Prints the make command that builds the card's xclbin with it.
 */
@Command(name = "link-config", mixinStandardHelpOptions = true,
        description = "Write the v++ [connectivity] cfg and emulation xclbin of a package's dataflow plan.")
public final class LinkConfigCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PACKAGE", description = "Model package directory, or its dataflow.json.")
    Path input;

    @Option(names = {"-o", "--out"}, description = "Output folder (default: <package>/bitstream).")
    Path out;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Path planFile = Files.isDirectory(input) ? input.resolve(PackageLayout.DATAFLOW) : input;
        if (!Files.isRegularFile(planFile)) {
            err.println("link-config: " + planFile + " not found (give a package directory or its " + PackageLayout.DATAFLOW + ")");
            return 2;
        }
        DataflowPlan plan;
        try {
            plan = PackageJson.mapper().readValue(planFile.toFile(), DataflowPlan.class);
        } catch (IOException e) {
            err.println("link-config: " + planFile + ": not a dataflow plan (" + e.getMessage().lines().findFirst().orElse("") + ")");
            return 2;
        }
        BankMap map;
        try {
            map = BankMap.fromPlan(plan);
        } catch (IllegalArgumentException e) {
            err.println("link-config: " + planFile + ": " + e.getMessage());
            return 2;
        }
        Path dir = out != null ? out : (Files.isDirectory(input) ? input : planFile.toAbsolutePath().getParent()).resolve("bitstream");
        String platform = map.platform().name().toLowerCase(Locale.ROOT);
        try {
            Files.createDirectories(dir);
            Path cfg = dir.resolve("connectivity.cfg");
            Path tmp = Files.createTempFile(dir, "connectivity", ".tmp");
            Files.writeString(tmp, ConnectivityConfig.render(map));
            Files.move(tmp, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path xclbin = XclbinWriter.write(map, XclbinMode.HW_EMU, dir.resolve("tokenfab-" + platform + ".plan.hw_emu.xclbin"));
            PrintWriter o = spec.commandLine().getOut();
            o.println("wrote " + cfg + " (" + map.instances().size() + " compute units)");
            o.println("wrote " + xclbin + " (emulation image with the same connectivity)");
            o.println("build the card's xclbin: make -C bitstreams all TARGET=hw PLATFORM=" + platform + " CFG=" + cfg.toAbsolutePath());
            o.flush();
            return 0;
        } catch (IOException e) {
            err.println("link-config: cannot write " + dir + ": " + e.getMessage());
            return 1;
        }
    }
}
