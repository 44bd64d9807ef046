package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.build.ModelImporter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.onnx.toy.ProtoBuilder;
import dev.tokenfab.compiler.onnx.toy.ToyLlama;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyImportTest {
    @TempDir Path dir;

    @Test
    void acceptsAnImportAndRejectsAMisShapedProjection() throws Exception {
        Path onnx = dir.resolve("model.onnx");
        ProtoBuilder.write(new ToyLlama(ToyLlama.DEFAULT).build(), onnx, null, 0);
        DecoderModel good = ModelImporter.onnx().importModel(onnx);
        assertSame(good, VerifyImport.check(good));

        var weights = new LinkedHashMap<>(good.weights());
        String wk = TensorNames.layer(1).wk();
        int h = good.config().hiddenSize();
        weights.put(wk, new WeightTensor.Dense(wk, good.config().queryDim(), h, ElementType.F32, WeightTensor.Layout.OUT_IN,
                Arena.ofAuto().allocate((long) good.config().queryDim() * h * 4)));
        weights.remove(TensorNames.FINAL_NORM_WEIGHT);
        DecoderModel bad = new DecoderModel(good.config(), weights, good.source(), good.generation());
        CompileException e = assertThrows(CompileException.class, () -> VerifyImport.check(bad));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_MODEL, e.code());
        assertTrue(e.getMessage().contains(wk + " is [16][16], config implies [8][16]"), e.getMessage());
        assertTrue(e.getMessage().contains(TensorNames.FINAL_NORM_WEIGHT + " missing"), e.getMessage());
    }
}
