package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import java.util.ArrayList;
import java.util.List;

/**
 * Projections of the CONTRIB form: MatMul, or com.microsoft MatMulNBits (bits=4) when the spec sets
 * a block size. The quantized codes come from the same seeded values the other forms dequantize
 * ({@link Int4Blocks.FakeQuantized}), so all forms stay one function.
 */
final class NBits {
    /** MatMulNBits bit width written by the synthesizer. */
    static final int BITS = 4;

    private NBits() {}

    static String linear(GraphContext c, String scope, String x, SynthWeight weight) {
        if (!(weight.values() instanceof Int4Blocks.FakeQuantized fq)) return c.matmul(scope, x, weight);
        WeightValues.Gaussian src = fq.source();
        int bs = fq.blockSize();
        boolean zp = fq.zeroPoints();
        long k = src.genRows(), n = src.genCols();
        int kb = Int4Blocks.kBlocks(k, bs);
        String base = weight.name().endsWith(".weight") ? weight.name().substring(0, weight.name().length() - ".weight".length()) : weight.name();
        List<String> inputs = new ArrayList<>(List.of(x));
        inputs.add(c.g.weight(new SynthWeight(base + ".weight_Q4", new long[] {n, kb, bs / 2}, StoredType.UINT8,
                new WeightValues.Packed(n * kb * (bs / 2), () -> Int4Blocks.packedWeights(src, bs, zp)), true)));
        inputs.add(c.g.weight(new SynthWeight(base + ".weight_scales", new long[] {n, kb}, StoredType.F32,
                new WeightValues.Deferred(n * kb, () -> Int4Blocks.scales(src, bs, zp)), true)));
        if (zp) {
            long perRow = (kb + 1) / 2;
            inputs.add(c.g.weight(new SynthWeight(base + ".weight_zero_points", new long[] {n, perRow}, StoredType.UINT8,
                    new WeightValues.Packed(n * perRow, () -> Int4Blocks.zeroPoints(src, bs)), true)));
        }
        return c.g.msOp(scope, "MatMulNBits", inputs, Attr.i("K", k), Attr.i("N", n), Attr.i("bits", BITS),
                Attr.i("block_size", bs));
    }
}
