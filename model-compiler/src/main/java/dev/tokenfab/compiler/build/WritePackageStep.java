package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.PlannedModel;
import dev.tokenfab.compiler.build.BuildModel.WrittenPackage;
import dev.tokenfab.compiler.write.PackageInput;
import dev.tokenfab.compiler.write.PackageWriter;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.pkg.Manifest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the package (bank files, dataflow.json, tokenizer, the reports of the steps so far, manifest with
 * SHA-256 of each) into a temporary folder beside the output. The driver renames it to the output after
 * the last step, so a later failing step leaves nothing behind.
 */
public final class WritePackageStep implements Step<PlannedModel, WrittenPackage> {

    /**
     * {@code reports/write.json} (not listed in the manifest: it carries a timing).
     *
     * @param millisBeforeCommit measured: wall time of this step, host clock
     */
    public record Report(int files, long bytes, long bankFiles, long millisBeforeCommit, String label) {}

    @Override public String name() { return "write"; }

    @Override public Class<PlannedModel> input() { return PlannedModel.class; }

    @Override public Phase phase() { return Phase.WRITE; }

    /** @throws CompileException BAD_OPTION without an output path, IO_ERROR naming the path, FILE_NOT_FOUND (tokenizer) */
    @Override
    public StepResult<WrittenPackage> apply(PlannedModel model, BuildContext context) throws CompileException {
        long t0 = System.nanoTime();
        if (context.config().output() == null) {
            throw new CompileException(ErrorCode.BAD_OPTION, "step write needs an output package path");
        }
        Map<String, Object> reports = new LinkedHashMap<>(context.packageReports());
        PackageInput in = new PackageInput(model.quantized(), model.plan(), context.config().options().manifestQuantization(),
                BuildDriver.PRODUCER, reports);
        PackageWriter.Temporary t = PackageWriter.writeTemporary(context.config().output(), in, context.config().options().threads());
        Manifest m = t.manifest();
        Report r = new Report(m.files().size(), m.files().stream().mapToLong(Manifest.FileEntry::sizeBytes).sum(),
                m.files().stream().filter(f -> f.path().startsWith("weights/")).count(), (System.nanoTime() - t0) / 1_000_000,
                BuildDriver.TIMING_LABEL);
        return StepResult.of(new WrittenPackage(t.dir(), m, model), r);
    }
}
