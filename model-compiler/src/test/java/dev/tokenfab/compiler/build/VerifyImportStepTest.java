package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.format.model.TensorNames;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyImportStepTest {

    @TempDir Path dir;

    @Test
    void succeedsOnAGoodIrAndFailsNamingAMissingProjection() throws Exception {
        DecoderIr good = Toy.ir(5);
        assertEquals(Verification.Status.SUCCESS, new VerifyImportStep().apply(good, Toy.context(dir)).verification().status());
        Map<String, WeightTensor> w = new LinkedHashMap<>(good.model().weights());
        w.remove(TensorNames.layer(0).wk());
        DecoderModel m = good.model();
        DecoderIr bad = new DecoderIr(new DecoderModel(m.config(), w, m.source(), m.generation()), CalibrationStats.none());
        CompileException e = assertThrows(CompileException.class, () -> new VerifyImportStep().apply(bad, Toy.context(dir)));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_MODEL, e.code());
        assertTrue(e.getMessage().contains(TensorNames.layer(0).wk() + " missing"), e.getMessage());
    }
}
