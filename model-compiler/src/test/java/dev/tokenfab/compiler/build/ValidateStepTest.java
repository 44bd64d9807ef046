package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.ModelValidator;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.format.model.TensorNames;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateStepTest {

    @TempDir Path dir;

    @Test
    void reportsTensorsAndRefusesAMissingOneByName() throws Exception {
        DecoderIr ir = Toy.ir(7);
        ModelValidator.Report r = (ModelValidator.Report) new ValidateStep().apply(ir, Toy.context(dir)).report();
        assertEquals(ir.model().weights().size(), r.tensors());
        assertTrue(r.unexpected().isEmpty());
        Map<String, WeightTensor> w = new LinkedHashMap<>(ir.model().weights());
        w.remove(TensorNames.FINAL_NORM_WEIGHT);
        DecoderModel m = ir.model();
        CompileException e = assertThrows(CompileException.class, () -> new ValidateStep().apply(
                new DecoderIr(new DecoderModel(m.config(), w, m.source(), m.generation()), CalibrationStats.none()), Toy.context(dir)));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_MODEL, e.code());
        assertTrue(e.getMessage().contains(TensorNames.FINAL_NORM_WEIGHT), e.getMessage());
    }
}
