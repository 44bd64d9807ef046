package dev.tokenfab.compiler.plan;

import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Every kernel symbol the planner names exists in the kernel ABI header (hls-kernels is not a dependency). */
class KernelContractTest {

    @Test
    void plannedKernelsExistInTheKernelHeader() throws Exception {
        Path header = Path.of("..", "hls-kernels", "src", "main", "cpp", "include", "tokenfab_kernels.h");
        Assumptions.assumeTrue(Files.isRegularFile(header), "kernel header not found at " + header.toAbsolutePath() + "; skipping");
        Set<String> declared = new HashSet<>();
        Matcher m = Pattern.compile("\\b(tf_[a-z0-9_]+)\\s*\\(").matcher(Files.readString(header));
        while (m.find()) declared.add(m.group(1));
        for (PackedFormat f : new PackedFormat[] {PackedFormat.Q4_GROUP, PackedFormat.Q8_CHANNEL, PackedFormat.F16}) {
            DecoderConfig llama = DataflowPlannerTest.llama1b();
            DataflowPlan plan = DataflowPlanner.plan(llama, DataflowPlannerTest.shapes(llama, f, f == PackedFormat.Q4_GROUP ? 64 : 0),
                    Platform.U55C, new PlanOptions(KvCacheDtype.INT8, 256, 1));
            for (DataflowPlan.KernelUse k : plan.kernels()) assertTrue(declared.contains(k.symbol()), k.symbol() + " not in " + header);
            for (DataflowPlan.Stage s : plan.stages()) assertTrue(declared.contains(s.kernel()), s.kernel() + " not in " + header);
        }
    }
}
