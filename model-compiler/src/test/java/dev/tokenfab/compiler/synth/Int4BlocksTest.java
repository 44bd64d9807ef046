package dev.tokenfab.compiler.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Int4BlocksTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void roundTripErrorIsAtMostHalfAStep(boolean zeroPoints) {
        WeightValues.Gaussian g = new WeightValues.Gaussian(WeightValues.key(3, "t"), 0, 1, 1, 64, false, new int[0], 1);
        float[] x = new float[64];
        g.fill(x, 0);
        Int4Blocks.Block b = Int4Blocks.quantize(x, zeroPoints);
        for (int i = 0; i < x.length; i++) {
            assertTrue(b.codes()[i] >= 0 && b.codes()[i] <= Int4Blocks.LEVELS_MAX);
            assertTrue(Math.abs(b.dequantize(i) - x[i]) <= b.scale() / 2 + 1e-6f, "element " + i);
        }
        if (!zeroPoints) assertEquals(Int4Blocks.SYMMETRIC_ZERO_POINT, b.zeroPoint());
    }

    @Test
    void knownBlockQuantizesToTheExpectedCodes() {
        // absmax 1 -> scale 1/7: 1 -> 8+7, -1 -> 8-7, 0.25 -> 8+round(1.75)=10, 0 -> 8
        Int4Blocks.Block b = Int4Blocks.quantize(new float[] {1f, -1f, 0.25f, 0f}, false);
        assertEquals(java.util.List.of((byte) 15, (byte) 1, (byte) 10, (byte) 8),
                java.util.List.of(b.codes()[0], b.codes()[1], b.codes()[2], b.codes()[3]));
        assertEquals(1f / 7, b.scale(), 1e-7f);
    }

    @Test
    void packingPutsEvenElementsInTheLowNibbleAndPadsWithTheZeroPoint() {
        WeightValues.Gaussian g = new WeightValues.Gaussian(WeightValues.key(5, "p"), 0, 1, 3, 1, false, new int[0], 1);
        byte[] packed = Int4Blocks.packedWeights(g, 16, false);
        assertEquals(8, packed.length, "K = 3 padded to one block of 16: 8 bytes");
        byte[] codes = Int4Blocks.block(g, 0, 0, 16, false).codes();
        assertEquals((codes[0] & 0xF) | (codes[1] & 0xF) << 4, packed[0] & 0xFF);
        assertEquals((codes[2] & 0xF) | Int4Blocks.SYMMETRIC_ZERO_POINT << 4, packed[1] & 0xFF, "padding is the zero point");
        assertEquals(Int4Blocks.SYMMETRIC_ZERO_POINT | Int4Blocks.SYMMETRIC_ZERO_POINT << 4, packed[7] & 0xFF);
    }

    @Test
    void contribFormWritesMatMulNBitsWithTheDocumentedShapes() throws Exception {
        SynthSpec spec = SynthSpec.llamaDemo().form(SynthForm.CONTRIB).nbitsBlockSize(32).nbitsZeroPoints(true).build();
        SynthesizedModel m = SyntheticDecoderWriter.write(spec, tmp.resolve("q.onnx"));
        OnnxMl.ModelProto p = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(m.model()));
        long nbits = p.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMulNBits")).count();
        assertEquals(2 * 7, nbits, "q, k, v, o, gate, up, down per layer");
        OnnxMl.TensorProto down = p.getGraph().getInitializerList().stream()
                .filter(t -> t.getName().equals("model.layers.0.mlp.down_proj.MatMul.weight_Q4")).findFirst().orElseThrow();
        // down: K = 172 -> 6 blocks of 32, N = 64, 16 bytes per block
        assertEquals(java.util.List.of(64L, 6L, 16L), down.getDimsList());
        assertTrue(m.parameterCount() > 0);
    }
}
