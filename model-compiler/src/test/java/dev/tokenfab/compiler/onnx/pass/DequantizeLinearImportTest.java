package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import dev.tokenfab.format.quant.PackedFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DequantizeLinear weights become Quantized tensors with the same codes, in [out][in] rows. */
class DequantizeLinearImportTest {
    static final int K = 32, N = 6;

    private static Graph withInits(Graph g, Tensor... ts) {
        var inits = new LinkedHashMap<>(g.initializers());
        for (Tensor t : ts) inits.put(t.name(), t);
        return g.withNodes(g.nodes(), inits);
    }

    private static Tensor bytes(String name, DataType type, List<Long> dims, int count, java.util.function.IntUnaryOperator f) {
        MemorySegment s = Arena.ofAuto().allocate(type.sizeBytes(count));
        if (type == DataType.INT4 || type == DataType.UINT4) {
            for (int i = 0; i < count; i += 2) s.set(ValueLayout.JAVA_BYTE, i / 2, (byte) ((f.applyAsInt(i) & 0xF) | (f.applyAsInt(i + 1) & 0xF) << 4));
        } else {
            for (int i = 0; i < count; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) f.applyAsInt(i));
        }
        return new Tensor(name, type, dims, s);
    }

    private static WeightTensor.Quantized importOne(Graph g) throws CompileException {
        Graph fused = new FuseLinear().apply(g);
        Node lin = ToyGraph.only(fused, "Linear");
        return (WeightTensor.Quantized) Weights.linear("w", new ExtractDecoder.Projection(lin, 0, N, null), fused.index());
    }

    @Test
    void int8PerChannelBecomesQ8Channel() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", (long) K);
        String dq = t.op("DequantizeLinear", List.of("q", "s", "z"), "axis", 1L);
        String y = t.op("MatMul", List.of("x", dq));
        Graph g = withInits(t.output(y).build(),
                bytes("q", DataType.INT8, List.of((long) K, (long) N), K * N, i -> (i * 7) % 256 - 128),
                Tensor.ofDoubles("s", DataType.FLOAT, List.of((long) N), new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}),
                bytes("z", DataType.INT8, List.of((long) N), N, i -> 0));
        WeightTensor.Quantized w = importOne(g);
        assertEquals(PackedFormat.Q8_CHANNEL, w.format());
        assertEquals(N, w.rows());
        assertEquals(K, w.cols());
        // logical [r][c] = stored [c][r]
        int r = 4, c = 17;
        assertEquals((byte) ((c * N + r) * 7 % 256 - 128), w.data().get(ValueLayout.JAVA_BYTE, (long) r * K + c));
        assertEquals(0.5f, w.scales().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * 4));
    }

    @Test
    void asymmetricInt8IsRejectedWithTheChannel() {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", (long) K);
        String y = t.op("MatMul", List.of("x", t.op("DequantizeLinear", List.of("q", "s", "z"), "axis", 1L)));
        Graph g = withInits(t.output(y).build(),
                bytes("q", DataType.INT8, List.of((long) K, (long) N), K * N, i -> i),
                Tensor.ofDoubles("s", DataType.FLOAT, List.of((long) N), new double[N]),
                bytes("z", DataType.INT8, List.of((long) N), N, i -> i == 3 ? 5 : 0));
        CompileException e = assertThrows(CompileException.class, () -> importOne(g));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_MODEL, e.code());
        assertEquals(true, e.getMessage().contains("channel 3"), e.getMessage());
    }

    @Test
    void int4BlockedBecomesQ4Group() throws Exception {
        int block = 16, groups = K / block;
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, "b", (long) K);
        // stored [N][K] and transposed for the MatMul (rows already output channels)
        String dq = t.op("DequantizeLinear", List.of("q", "s", "z"), "axis", 1L, "block_size", (long) block);
        String y = t.op("MatMul", List.of("x", t.op("Transpose", List.of(dq), "perm", new long[] {1, 0})));
        double[] scales = new double[N * groups];
        for (int i = 0; i < scales.length; i++) scales[i] = 0.05 * (i + 1);
        Graph g = withInits(t.output(y).build(),
                bytes("q", DataType.INT4, List.of((long) N, (long) K), N * K, i -> (i % 16) - 8),
                Tensor.ofDoubles("s", DataType.FLOAT, List.of((long) N, (long) groups), scales),
                bytes("z", DataType.INT4, List.of((long) N, (long) groups), N * groups, i -> i % 3 - 1));
        WeightTensor.Quantized w = importOne(g);
        assertEquals(PackedFormat.Q4_GROUP, w.format());
        assertEquals(block, w.groupSize());
        int r = 5, c = 21;
        int code = w.data().get(ValueLayout.JAVA_BYTE, (long) r * K / 2 + c / 2) >> (4 * (c & 1)) & 0xF;
        int zero = w.zeros().get(ValueLayout.JAVA_BYTE, (long) r * groups + c / block);
        // (code - zero) equals the original signed q - z
        int q = ((r * K + c) % 16) - 8, z = ((r * groups + c / block) % 3) - 1;
        assertEquals(q - z, code - zero);
        assertEquals((float) scales[r * groups + c / block],
                w.scales().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), (long) (r * groups + c / block) * 4));
    }
}
