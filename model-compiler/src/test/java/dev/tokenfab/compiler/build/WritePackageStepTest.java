package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.PlannedModel;
import dev.tokenfab.compiler.build.BuildModel.WrittenPackage;
import dev.tokenfab.format.pkg.PackageLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritePackageStepTest {

    @TempDir Path dir;

    @Test
    void writesIntoATemporarySiblingNotTheOutput() throws Exception {
        Path out = dir.resolve("m.tfpkg");
        try (BuildContext ctx = Toy.context(out)) {
            StepResult<WrittenPackage> r = new WritePackageStep().apply(Toy.planned(ctx, 13), ctx);
            Path tmp = r.model().tempDir();
            assertFalse(Files.exists(out), "the driver renames, not the step");
            assertEquals(dir, tmp.getParent());
            assertTrue(tmp.getFileName().toString().startsWith("m.tfpkg.tmp-"), tmp.toString());
            assertTrue(Files.isRegularFile(tmp.resolve(PackageLayout.MANIFEST)));
            WritePackageStep.Report rep = (WritePackageStep.Report) r.report();
            assertEquals(r.model().manifest().files().size(), rep.files());
            assertTrue(rep.bankFiles() > 0);
        }
    }

    @Test
    void noOutputPathIsABadOption() throws Exception {
        try (BuildContext ctx = Toy.context(BuildConfig.of(CompileOptions.defaults(), null))) {
            PlannedModel p = Toy.planned(ctx, 14);
            CompileException e = assertThrows(CompileException.class, () -> new WritePackageStep().apply(p, ctx));
            assertEquals(CompileException.ErrorCode.BAD_OPTION, e.code());
        }
    }
}
