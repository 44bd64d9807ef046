package dev.tokenfab.compiler.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.ir.ElementType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SyntheticDecoderWriterTest {
    private static final long[] PROMPT = {1, 2, 3, 4};
    /** fp16/bf16 weights are rounded copies of the fp32 ones: logits move by a few 1e-3 relative (bf16 has 8 mantissa bits).
     *  Measured on llamaDemo (max |logit| 13): max |dlogit| 0.008 (fp16), 0.069 (bf16); the bounds leave about 2.5x, so
     *  fp16 weights stored at bf16 precision would fail the fp16 bound. */
    private static final float F16_LOGIT_ABS_TOLERANCE = 0.02f;
    private static final float BF16_LOGIT_ABS_TOLERANCE = 0.2f;

    @TempDir Path tmp;

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of(ElementType.F32, false, false, false, 0),
                Arguments.of(ElementType.F16, false, true, false, 0),
                Arguments.of(ElementType.BF16, true, false, false, 0),
                Arguments.of(ElementType.F32, true, true, true, 4));
    }

    @ParameterizedTest(name = "llama raw {0} external={1} tied={2} interleaved={3} outliers={4}")
    @MethodSource("variants")
    void llamaRawRunsInOrtWithExpectedShapes(ElementType type, boolean external, boolean tied, boolean interleaved,
                                             int outliers) throws Exception {
        SynthSpec spec = SynthSpec.llamaDemo().weightType(type).externalData(external).tiedEmbeddings(tied)
                .ropeInterleaved(interleaved).outlierChannels(outliers).build();
        SynthesizedModel m = SyntheticDecoderWriter.write(spec, tmp.resolve("m.onnx"));
        assertEquals(external, m.externalData() != null);
        if (external) assertEquals(Files.size(m.externalData()), m.externalBytes());
        assertEquals(outliers, m.outlierChannels().size());
        OrtHarness.Prefill p = OrtHarness.prefill(m.model(), spec, PROMPT);
        assertArrayEquals(new long[] {1, 4, 256}, p.logitsShape());
        assertArrayEquals(new long[] {1, 2, 4, 16}, p.presentShape());
        for (float f : p.logits()) assertTrue(Float.isFinite(f), "logits must be finite");
    }

    @Test
    void decoderConfigDescribesTheWrittenModel() {
        var llama = SynthSpec.llamaDemo().rotaryDim(8).ropeInterleaved(true).build().toDecoderConfig();
        assertEquals(dev.tokenfab.format.model.DecoderConfig.NormKind.RMS_NORM, llama.norm());
        assertEquals(2, llama.numKvHeads());
        assertEquals(16, llama.headDim());
        assertEquals(8, llama.rotaryDim());
        assertEquals(dev.tokenfab.format.model.DecoderConfig.RopeLayout.INTERLEAVED, llama.ropeLayout());
        assertFalse(llama.attentionBias());
        var gpt2 = SynthSpec.gpt2Demo().build().toDecoderConfig();
        assertEquals(dev.tokenfab.format.model.DecoderConfig.PositionEncoding.LEARNED, gpt2.positions());
        assertEquals(dev.tokenfab.format.model.DecoderConfig.Activation.GELU_TANH, gpt2.activation());
        assertTrue(gpt2.tiedEmbeddings() && gpt2.attentionBias() && gpt2.mlpBias());
    }

    @Test
    void gpt2ParameterCountMatchesTheArchitecture() throws Exception {
        SynthSpec s = SynthSpec.gpt2Demo().build();
        long perLayer = 4L * 64 + 64L * 192 + 192 + 64L * 64 + 64 + 64L * 256 + 256 + 256L * 64 + 64;
        long expected = 256L * 64 + 128L * 64 + 2 * perLayer + 2 * 64;
        assertEquals(expected, SyntheticDecoderWriter.write(s, tmp.resolve("g.onnx")).parameterCount());
    }

    @Test
    void parameterCountMatchesTheArchitecture() throws Exception {
        SynthSpec s = SynthSpec.llamaDemo().build();
        long perLayer = 2L * 64 + 64L * 64 + 2L * 64 * 32 + 64L * 64 + 3L * 64 * 172;
        long expected = 256L * 64 + 2 * perLayer + 64 + 64L * 256;
        assertEquals(expected, SyntheticDecoderWriter.write(s, tmp.resolve("p.onnx")).parameterCount());
    }

    @Test
    void sameSeedGivesIdenticalBytesAndOtherSeedDiffers() throws Exception {
        SynthSpec s = SynthSpec.llamaDemo().seed(7).build();
        byte[] a = Files.readAllBytes(SyntheticDecoderWriter.write(s, tmp.resolve("a.onnx")).model());
        byte[] b = Files.readAllBytes(SyntheticDecoderWriter.write(s, tmp.resolve("b.onnx")).model());
        byte[] c = Files.readAllBytes(SyntheticDecoderWriter.write(s.toBuilder().seed(8).build(), tmp.resolve("c.onnx")).model());
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void externalDataGivesTheSameLogitsAsInline() throws Exception {
        SynthSpec inline = SynthSpec.llamaDemo().build();
        SynthSpec ext = inline.toBuilder().externalData(true).build();
        float[] a = OrtHarness.prefill(SyntheticDecoderWriter.write(inline, tmp.resolve("i.onnx")).model(), inline, PROMPT).logits();
        float[] b = OrtHarness.prefill(SyntheticDecoderWriter.write(ext, tmp.resolve("e.onnx")).model(), ext, PROMPT).logits();
        assertArrayEquals(a, b);
    }

    @Test
    void externalDataEntriesAreAlignedAndInsideTheFile() throws Exception {
        SynthSpec s = SynthSpec.llamaDemo().externalData(true).build();
        SynthesizedModel m = SyntheticDecoderWriter.write(s, tmp.resolve("x.onnx"));
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(m.model()));
        int external = 0;
        for (OnnxMl.TensorProto t : proto.getGraph().getInitializerList()) {
            if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL) {
                assertTrue(t.getRawData().size() < SynthConstants.EXTERNAL_SIZE_THRESHOLD_BYTES, t.getName());
                continue;
            }
            external++;
            long offset = -1, length = -1;
            String location = null;
            for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
                switch (e.getKey()) {
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    case "location" -> location = e.getValue();
                    default -> { }
                }
            }
            assertEquals("x.onnx.data", location);
            assertEquals(0, offset % SynthConstants.EXTERNAL_MIN_ALIGN_BYTES, t.getName());
            assertTrue(offset + length <= m.externalBytes(), t.getName());
        }
        assertTrue(external > 10, "projections must be external");
    }

    @Test
    void halfPrecisionWeightsAreRoundedCopiesOfTheFloatOnes() throws Exception {
        SynthSpec f32 = SynthSpec.llamaDemo().build();
        float[] ref = OrtHarness.prefill(SyntheticDecoderWriter.write(f32, tmp.resolve("f.onnx")).model(), f32, PROMPT).logits();
        for (ElementType t : new ElementType[] {ElementType.F16, ElementType.BF16}) {
            SynthSpec s = f32.toBuilder().weightType(t).build();
            float[] got = OrtHarness.prefill(SyntheticDecoderWriter.write(s, tmp.resolve(t + ".onnx")).model(), s, PROMPT).logits();
            float tol = t == ElementType.F16 ? F16_LOGIT_ABS_TOLERANCE : BF16_LOGIT_ABS_TOLERANCE;
            float max = 0;
            for (int i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i] - got[i]));
            assertTrue(max < tol, t + ": max |dlogit| " + max + " >= " + tol);
            assertTrue(max > 0, t + ": rounding must change something");
        }
    }

    @Test
    void writingReplacesAStaleFileAndLeavesNoTemporaries() throws Exception {
        Path out = tmp.resolve("r.onnx");
        Files.writeString(out, "stale");
        SyntheticDecoderWriter.write(SynthSpec.llamaDemo().build(), out);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(1, files.count());
        }
        assertTrue(Files.size(out) > 100_000);
    }

    @Test
    void badSpecsNameTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SynthSpec.llamaDemo().heads(4).kvHeads(3).build());
        assertTrue(e.getMessage().contains("kvHeads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SynthSpec.llamaDemo().rotaryDim(7).build());
        assertTrue(e.getMessage().contains("rotaryDim"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SynthSpec.llamaDemo().outlierChannels(65).build());
        assertTrue(e.getMessage().contains("outlierChannels"), e.getMessage());
    }

    @Test
    void inlineModelBeyondTheProtobufLimitIsRefusedBeforeWriting() {
        SynthSpec big = SynthSpec.llamaDemo().layers(8).hidden(4096).heads(32).kvHeads(8).intermediate(14336).vocab(128256).build();
        Path out = tmp.resolve("big.onnx");
        CompileException e = assertThrows(CompileException.class, () -> SyntheticDecoderWriter.write(big, out));
        assertEquals(CompileException.ErrorCode.BAD_OPTION, e.code());
        assertTrue(e.getMessage().contains("--external-data") && e.getMessage().contains("big.onnx"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void unwritableTargetIsATypedIoError() throws Exception {
        Path file = tmp.resolve("afile");
        Files.writeString(file, "x");
        CompileException e = assertThrows(CompileException.class,
                () -> SyntheticDecoderWriter.write(SynthSpec.llamaDemo().build(), file.resolve("sub/m.onnx")));
        assertEquals(CompileException.ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage()); // names the culprit path
        assertNull(SharedModels.resolve("does-not-exist-" + System.nanoTime()));
    }
}
