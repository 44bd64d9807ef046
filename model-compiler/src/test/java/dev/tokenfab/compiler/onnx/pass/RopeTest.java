package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Op;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RopeTest {

    /** A Rope node over [positions][rotaryDim/2] caches (ORT contrib layout) built with {@code theta}. */
    private static Graph caches(double theta, int rotaryDim, int positions, DataType type, double scaleLastHalf) {
        int half = rotaryDim / 2;
        double[] cos = new double[positions * half], sin = new double[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double inv = Math.pow(theta, -2.0 * i / rotaryDim) * (i >= half / 2 ? scaleLastHalf : 1);
                cos[p * half + i] = Math.cos(p * inv);
                sin[p * half + i] = Math.sin(p * inv);
            }
        }
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", "s", 64L).input("pos", DataType.INT64, "b", "s");
        t.opTo("Rope", Op.TOKENFAB_DOMAIN, List.of("x", "cos", "sin", "pos"), List.of("y"));
        Graph g = t.output("y").build();
        var inits = new java.util.LinkedHashMap<>(g.initializers());
        inits.put("cos", dev.tokenfab.compiler.onnx.graph.Tensor.ofDoubles("cos", type, List.of((long) positions, (long) half), cos));
        inits.put("sin", dev.tokenfab.compiler.onnx.graph.Tensor.ofDoubles("sin", type, List.of((long) positions, (long) half), sin));
        return g.withNodes(g.nodes(), inits);
    }

    @ParameterizedTest
    @CsvSource({"10000, 64, FLOAT", "500000, 128, FLOAT", "1000000, 64, FLOAT16", "10000, 16, FLOAT16"})
    void fitsThetaFromCaches(double theta, int rotaryDim, DataType type) throws Exception {
        Graph g = caches(theta, rotaryDim, 4096, type, 1);
        Rope r = Rope.of(g.nodes().get(0), g.index());
        assertEquals(rotaryDim, r.rotaryDim(256));
        assertEquals((float) theta, r.theta(rotaryDim, g));
    }

    @Test
    void rejectsScaledFrequencies() {
        Graph g = caches(500000, 64, 2048, DataType.FLOAT, 0.125);
        Rope r = Rope.of(g.nodes().get(0), g.index());
        CompileException e = assertThrows(CompileException.class, () -> r.theta(64, g));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_MODEL, e.code());
    }
}
