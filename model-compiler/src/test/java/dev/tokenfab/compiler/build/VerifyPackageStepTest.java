package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.build.BuildModel.WrittenPackage;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.pkg.PackageLayout;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyPackageStepTest {

    @TempDir Path dir;

    @Test
    void aGoodPackageReadsBackAndAFlippedByteFails() throws Exception {
        try (BuildContext ctx = Toy.context(dir.resolve("m.tfpkg"))) {
            WrittenPackage w = Toy.written(ctx, 15);
            Verification ok = new VerifyPackageStep().apply(w, ctx).verification();
            assertEquals(Verification.Status.SUCCESS, ok.status(), ok.toString());

            Path bank = w.tempDir().resolve(PackageLayout.bankFile(w.manifest().tensors().getFirst().shards().getFirst().bank()));
            try (FileChannel ch = FileChannel.open(bank, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, 0);
                b.put(0, (byte) ~b.get(0));
                b.rewind();
                ch.write(b, 0);
            }
            Verification bad = VerifyPackageStep.verify(w);
            assertEquals(Verification.Status.FAIL, bad.status());
            assertEquals(ErrorCode.PACKAGE_CORRUPT, bad.failCode());
            assertTrue(bad.detail().contains("bank-"), bad.detail());
        }
    }
}
