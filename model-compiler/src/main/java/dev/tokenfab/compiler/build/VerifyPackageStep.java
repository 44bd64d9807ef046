package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.build.BuildModel.WrittenPackage;
import dev.tokenfab.compiler.quant.PackedTensor;
import dev.tokenfab.format.FormatException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import java.util.Optional;

/**
 * Verification point "after write": the temporary package opens with the runtime's {@link PackageReader}
 * (format version, SHA-256 of every listed file, shards inside their bank files), and holds every packed
 * tensor with its format and shape.
 */
public final class VerifyPackageStep implements Step<WrittenPackage, WrittenPackage> {

    static final String CHECK = "package reads back with PackageReader (version, SHA-256 of every file) and holds every packed tensor";

    @Override public String name() { return "verify_package"; }

    @Override public Class<WrittenPackage> input() { return WrittenPackage.class; }

    @Override public Phase phase() { return Phase.WRITE; }

    @Override
    public StepResult<WrittenPackage> apply(WrittenPackage model, BuildContext context) {
        return StepResult.verified(model, null, verify(model));
    }

    /** FAIL with PACKAGE_CORRUPT naming the reader's complaint or the first missing or differing tensor. */
    public static Verification verify(WrittenPackage model) {
        try (ModelPackage pkg = PackageReader.open(model.tempDir())) {
            for (PackedTensor t : model.planned().quantized().tensors().values()) {
                Optional<Manifest.Tensor> m = pkg.tensor(t.name());
                if (m.isEmpty()) return fail("tensor " + t.name() + " of the quantized model is not in the package");
                Manifest.Tensor w = m.get();
                if (w.format() != t.format() || w.rows() != t.rows() || w.cols() != t.cols()) {
                    return fail("tensor " + t.name() + " is " + w.format() + " [" + w.rows() + "][" + w.cols() + "] in the package, "
                            + t.format() + " [" + t.rows() + "][" + t.cols() + "] packed");
                }
            }
            return Verification.success(CHECK, pkg.manifest().files().size() + " files, " + pkg.manifest().tensors().size() + " tensors");
        } catch (FormatException e) {
            return fail(e.code() + ": " + e.getMessage());
        }
    }

    private static Verification fail(String detail) {
        return Verification.fail(CHECK, detail, ErrorCode.PACKAGE_CORRUPT);
    }
}
