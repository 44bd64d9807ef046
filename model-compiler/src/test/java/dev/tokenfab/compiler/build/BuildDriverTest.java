package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenfab.compiler.cli.CompileCommand;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.pkg.PackageLayout;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The driver through {@code compile}: step lists, start/stop, saved intermediates, verification records. */
class BuildDriverTest {

    @TempDir Path dir;
    Path onnx;

    private record Run(int exit, String out, String err) {}

    private static Run run(List<String> args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new CompileCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    private List<String> args(String... more) {
        List<String> a = new ArrayList<>(List.of(onnx.toString(), "--quant", "int8", "--platform", "u55c", "--verbose"));
        a.addAll(List.of(more));
        return a;
    }

    private static List<String> with(List<String> base, String... more) {
        List<String> a = new ArrayList<>(base);
        a.addAll(List.of(more));
        return a;
    }

    @BeforeEach
    void model() throws Exception {
        onnx = SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(17).build(), dir.resolve("m.onnx")).model();
    }

    @Test
    void stopSaveAndResumeGiveTheOneShotPackageByteForByte() throws Exception {
        Path oneShot = dir.resolve("one.tfpkg");
        Run a = run(args("-o", oneShot.toString()));
        assertEquals(0, a.exit(), a.err());
        for (String step : List.of("read_onnx", "graph_passes", "extract_decoder", "verify_import", "validate", "quantize", "plan",
                "write", "verify_package")) {
            assertTrue(a.err().matches("(?s).*step \\d+/9 " + step + " \\(\\d+ ms\\).*"), step + " logged: " + a.err());
        }

        Path saved = dir.resolve("saved");
        Run stop = run(args("--stop-step", "plan", "--save-intermediate", saved.toString()));
        assertEquals(0, stop.exit(), stop.err());
        assertTrue(stop.out().contains("no package written"), stop.out());
        assertTrue(Files.isRegularFile(saved.resolve("after-quantize/" + Intermediate.JSON)));
        assertTrue(Files.isRegularFile(saved.resolve("after-plan/" + Intermediate.TENSORS)));

        Path fromPlan = dir.resolve("from-plan.tfpkg");
        Run resume = run(with(List.of(saved.resolve("after-plan").toString(), "--quant", "int8", "--platform", "u55c", "--verbose"),
                "--start-step", "write", "-o", fromPlan.toString()));
        assertEquals(0, resume.exit(), resume.err());
        assertTrue(resume.err().contains("step 1/2 write"), resume.err());
        assertSamePackage(oneShot, fromPlan);

        Path fromQuant = dir.resolve("from-quant.tfpkg");
        Run resume2 = run(with(List.of(saved.resolve("after-quantize").toString(), "--quant", "int8", "--platform", "u55c"),
                "--start-step", "plan", "-o", fromQuant.toString()));
        assertEquals(0, resume2.exit(), resume2.err());
        assertSamePackage(oneShot, fromQuant);
    }

    /** Same manifest bytes, and every listed file (banks, dataflow, reports) byte-identical. */
    private static void assertSamePackage(Path a, Path b) throws Exception {
        assertArrayEquals(Files.readAllBytes(a.resolve(PackageLayout.MANIFEST)), Files.readAllBytes(b.resolve(PackageLayout.MANIFEST)));
        Manifest m = PackageJson.mapper().readValue(a.resolve(PackageLayout.MANIFEST).toFile(), Manifest.class);
        assertTrue(m.files().stream().anyMatch(f -> f.path().startsWith("weights/")));
        for (Manifest.FileEntry f : m.files()) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f.path())), Files.readAllBytes(b.resolve(f.path())), f.path());
        }
    }

    @Test
    void thePackageRecordsEveryVerificationAndStepTime() throws Exception {
        Path out = dir.resolve("v.tfpkg");
        assertEquals(0, run(args("-o", out.toString())).exit());
        JsonNode v = PackageJson.mapper().readTree(out.resolve("reports/" + BuildDriver.VERIFICATION).toFile()).get("verifications");
        List<String> steps = new ArrayList<>();
        for (JsonNode n : v) {
            steps.add(n.get("step").asText());
            assertEquals("SUCCESS", n.get("status").asText(), n.toString());
        }
        assertEquals(List.of("verify_import", "quantize", "plan", "verify_package"), steps);
        JsonNode t = PackageJson.mapper().readTree(out.resolve(BuildDriver.TIME_PER_STEP).toFile());
        assertEquals(9, t.get("millisByStep").size());
        assertEquals(9, t.get("millisByPart").get("graph_passes").size(), "each graph pass timed");
        JsonNode p = PackageJson.mapper().readTree(out.resolve(BuildDriver.TIME_PER_PASS).toFile());
        List<String> phases = new ArrayList<>();
        p.get("millisByPass").fieldNames().forEachRemaining(phases::add);
        assertEquals(List.of("import", "validate", "quantize", "plan", "write"), phases);
        for (String f : List.of("read_onnx.json", "graph_passes.json", "extract_decoder.json", "verify_import.json", "validate.json",
                "quantize.json", "quantize.txt", "plan.json", "options.json", "write.json")) {
            assertTrue(Files.isRegularFile(out.resolve("reports").resolve(f)), f);
        }
    }

    @Test
    void aFailingVerificationStopsTheBuildAndLeavesNothing() throws Exception {
        Path saved = dir.resolve("saved");
        assertEquals(0, run(args("--stop-step", "plan", "--save-intermediate", saved.toString())).exit());
        Path json = saved.resolve("after-plan").resolve(Intermediate.JSON);
        ObjectNode root = (ObjectNode) PackageJson.mapper().readTree(json.toFile());
        ArrayNode placements = (ArrayNode) root.get("plan").get("placements");
        String dropped = placements.get(1).get("tensor").asText();
        placements.remove(1);   // a broken plan: one tensor never placed, so never written
        Files.write(json, PackageJson.mapper().writeValueAsBytes(root));

        Path out = dir.resolve("broken.tfpkg");
        Run r = run(with(List.of(saved.resolve("after-plan").toString(), "--quant", "int8", "--platform", "u55c"),
                "--start-step", "write", "-o", out.toString()));
        assertEquals(CompileCommand.EXIT_BAD_INPUT, r.exit(), r.err());
        assertTrue(r.err().contains("PACKAGE_CORRUPT"), r.err());
        assertTrue(r.err().contains("step verify_package verification FAIL"), r.err());
        assertTrue(r.err().contains(dropped), r.err());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("m.onnx", "m.onnx.data", "saved").stream().filter(n -> Files.exists(dir.resolve(n))).sorted().toList(),
                    s.map(p -> p.getFileName().toString()).sorted().toList(), "no package, temporary or scratch folder left");
        }
    }

    @Test
    void unknownStepsAreUsageErrorsListingTheValidOnes() {
        Run r = run(args("-o", dir.resolve("x.tfpkg").toString(), "--stop-step", "quantise"));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown step quantise; valid steps: read_onnx, graph_passes, extract_decoder, verify_import, "
                + "validate, calibrate, quantize, plan, write, verify_package, accuracy"), r.err());
        Run order = run(args("--start-step", "plan", "--stop-step", "validate"));
        assertEquals(2, order.exit());
        assertTrue(order.err().contains("comes before"), order.err());
        Run list = run(args("--steps", "everything"));
        assertEquals(2, list.exit());
        assertTrue(list.err().contains("valid: default, import-only, estimate-only"), list.err());
        assertFalse(Files.exists(dir.resolve("x.tfpkg")));
    }

    @Test
    void estimateOnlyPrintsTheModeledFiguresAndWritesNothing() throws Exception {
        Run r = run(args("--steps", "estimate-only"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("modeled (not measured)"), r.out());
        assertTrue(r.out().contains("no package written"), r.out());
        Run imp = run(args("--steps", "import-only"));
        assertEquals(0, imp.exit(), imp.err());
        assertTrue(imp.out().contains("through step validate (DecoderIr)"), imp.out());
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("tfpkg")));
        }
    }

    @Test
    void resumingWithOtherOptionsOrAnotherVersionIsRefused() throws Exception {
        Path saved = dir.resolve("saved");
        assertEquals(0, run(args("--stop-step", "quantize", "--save-intermediate", saved.toString())).exit());
        Path q = saved.resolve("after-quantize");
        Run other = run(List.of(q.toString(), "--quant", "int8", "--platform", "u280", "--start-step", "plan", "-o", dir.resolve("o.tfpkg").toString()));
        assertEquals(CompileCommand.EXIT_BAD_INPUT, other.exit());
        assertTrue(other.err().contains("BAD_OPTION") && other.err().contains("was built with options"), other.err());
        Run notSaved = run(List.of(dir.toString(), "--quant", "int8", "--platform", "u55c", "--start-step", "plan", "-o", dir.resolve("o.tfpkg").toString()));
        assertEquals(CompileCommand.EXIT_BAD_INPUT, notSaved.exit());
        assertTrue(notSaved.err().contains("FILE_NOT_FOUND") && notSaved.err().contains("no saved intermediate"), notSaved.err());
        Run wrongStage = run(List.of(q.toString(), "--quant", "int8", "--platform", "u55c", "--start-step", "write", "-o", dir.resolve("o.tfpkg").toString()));
        assertEquals(CompileCommand.EXIT_BAD_INPUT, wrongStage.exit());
        assertTrue(wrongStage.err().contains("step write takes a PlannedModel, the model is a QuantizedIr"), wrongStage.err());

        Path json = q.resolve(Intermediate.JSON);
        ObjectNode root = (ObjectNode) PackageJson.mapper().readTree(json.toFile());
        root.put("formatVersion", 99);
        Files.write(json, PackageJson.mapper().writeValueAsBytes(root));
        Run version = run(List.of(q.toString(), "--quant", "int8", "--platform", "u55c", "--start-step", "plan", "-o", dir.resolve("o.tfpkg").toString()));
        assertEquals(CompileCommand.EXIT_BAD_INPUT, version.exit());
        assertTrue(version.err().contains("PACKAGE_VERSION") && version.err().contains("version 99"), version.err());
        assertFalse(Files.exists(dir.resolve("o.tfpkg")));
    }
}
