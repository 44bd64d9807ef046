package dev.tokenfab.bitstreams.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.bitstreams.ConnectivityConfig;
import dev.tokenfab.bitstreams.PlanBankMapTest;
import dev.tokenfab.bitstreams.xclbin.Xclbin;
import dev.tokenfab.bitstreams.xclbin.XclbinReader;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.compiler.plan.DataflowPlanner;
import dev.tokenfab.compiler.plan.PlanOptions;
import dev.tokenfab.format.plan.Platform;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LinkConfigCommandTest {

    @TempDir Path dir;

    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new LinkConfigCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return new Result(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void writesCfgAndXclbinOfThePlan() throws Exception {
        DecoderConfig c = PlanBankMapTest.llama1b();
        DataflowPlan plan = DataflowPlanner.plan(c, PlanBankMapTest.shapes(c, PackedFormat.Q4_GROUP), Platform.U280, PlanOptions.defaults(c.maxContextTokens()));
        Path pkg = Files.createDirectories(dir.resolve("model.tfpkg"));
        PackageJson.mapper().writeValue(pkg.resolve("dataflow.json").toFile(), plan);
        Result r = run(pkg.toString());
        assertEquals(0, r.exit(), r.err());
        Path cfg = pkg.resolve("bitstream/connectivity.cfg");
        assertEquals(ConnectivityConfig.render(BankMap.fromPlan(plan)), Files.readString(cfg));
        assertTrue(r.out().contains("make -C bitstreams all TARGET=hw PLATFORM=u280 CFG=" + cfg.toAbsolutePath()), r.out());
        Xclbin x = XclbinReader.read(pkg.resolve("bitstream/tokenfab-u280.plan.hw_emu.xclbin"));
        assertEquals(Platform.U280.vitisPlatform(), x.platformVbnv());
        assertTrue(x.computeUnits().stream().filter(u -> u.kernel().equals("tf_gemv_q4")).count() > 1);
    }

    @Test
    void missingOrBadPlanIsOneLine() throws Exception {
        Result missing = run(dir.resolve("nope").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().startsWith("link-config: " + dir.resolve("nope")), missing.err());
        Path bad = Files.writeString(dir.resolve("dataflow.json"), "{\"planVersion\": \"x\"}");
        Result r = run(bad.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("not a dataflow plan"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
