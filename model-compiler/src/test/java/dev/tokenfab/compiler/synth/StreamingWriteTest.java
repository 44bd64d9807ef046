package dev.tokenfab.compiler.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * External data is streamed per tensor: a model several times larger than the writer's heap is written
 * by a child JVM with a small -Xmx, and its data file holds every tensor where the model says.
 */
class StreamingWriteTest {
    @TempDir Path tmp;

    @Test
    void modelLargerThanTheHeapIsStreamed() throws Exception {
        // ~21 M parameters in f32 = 85 MB of weights, written with a 48 MB heap
        Path out = tmp.resolve("mid.onnx");
        String log = runChild("-Xmx48m", out, 4, 512, 8, 2, 1536, 8192, "F32");
        assertTrue(log.contains("params="), log);
        verify(out, SynthSpec.llamaDemo().layers(4).hidden(512).heads(8).kvHeads(2).intermediate(1536).vocab(8192)
                .maxContext(2048).tiedEmbeddings(true).externalData(true).build());
    }

    /** Llama-3.2-1B shapes (1.24 B parameters, 2.5 GB in f16: offsets beyond 2^31) with -Xmx2g. */
    @Test
    @Tag("slow")
    void billionParameterModelWithTwoGigabyteHeap() throws Exception {
        Path out = tmp.resolve("big.onnx");
        String log = runChild("-Xmx2g", out, 16, 2048, 32, 8, 8192, 128256, "F16");
        System.out.println("1B write (measured on this host): " + log.strip());
        SynthSpec spec = SynthSpec.llamaDemo().layers(16).hidden(2048).heads(32).kvHeads(8).intermediate(8192).vocab(128256)
                .maxContext(2048).tiedEmbeddings(true).externalData(true).weightType(dev.tokenfab.compiler.ir.ElementType.F16).build();
        long last = verify(out, spec);
        assertTrue(last > (1L << 31), "the last tensor must sit beyond 2 GiB, was at " + last);
    }

    private String runChild(String xmx, Path out, int layers, int hidden, int heads, int kv, int inter, int vocab, String type)
            throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path logFile = tmp.resolve("child.log");
        Process p = new ProcessBuilder(java.toString(), xmx, "-cp", System.getProperty("java.class.path"),
                StreamingWriteMain.class.getName(), out.toString(), "" + layers, "" + hidden, "" + heads, "" + kv, "" + inter,
                "" + vocab, type).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        assertTrue(p.waitFor(20, TimeUnit.MINUTES), "child JVM timed out");
        String log = Files.readString(logFile);
        assertEquals(0, p.exitValue(), log);
        return log;
    }

    /** Checks every external entry lies in the data file and spot-checks values; returns the largest offset. */
    private static long verify(Path model, SynthSpec spec) throws IOException {
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model));
        Path data = model.resolveSibling(model.getFileName() + ".data");
        long size = Files.size(data), maxOffset = 0;
        WeightFactory w = new WeightFactory(spec);
        int checked = 0;
        try (FileChannel ch = FileChannel.open(data)) {
            for (OnnxMl.TensorProto t : proto.getGraph().getInitializerList()) {
                if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL) continue;
                long offset = Long.parseLong(entry(t, "offset")), length = Long.parseLong(entry(t, "length"));
                assertTrue(offset + length <= size, t.getName());
                if (length > SynthConstants.EXTERNAL_ALIGN_THRESHOLD_BYTES) assertEquals(0, offset % SynthConstants.EXTERNAL_PAGE_ALIGN_BYTES);
                maxOffset = Math.max(maxOffset, offset);
                if (t.getName().equals("model.layers." + (spec.layers() - 1) + ".mlp.down_proj.weight")) {
                    // last down projection: first 4 elements equal the generator's values
                    SynthWeight expect = w.projection(t.getName(), dev.tokenfab.format.model.TensorNames.layer(spec.layers() - 1).wDown(),
                            spec.intermediate(), spec.hidden(), false, false);
                    float[] f = new float[4];
                    expect.values().fill(f, 0);
                    ByteBuffer b = ByteBuffer.allocate(4 * spec.weightType().bytes()).order(ByteOrder.LITTLE_ENDIAN);
                    ch.read(b, offset);
                    b.flip();
                    for (float v : f) {
                        float got = spec.weightType() == dev.tokenfab.compiler.ir.ElementType.F32 ? b.getFloat() : Float.float16ToFloat(b.getShort());
                        float want = spec.weightType() == dev.tokenfab.compiler.ir.ElementType.F32 ? v : Float.float16ToFloat(Float.floatToFloat16(v));
                        assertEquals(want, got, t.getName());
                    }
                    checked++;
                }
            }
        }
        assertEquals(1, checked, "down projection of the last layer found");
        return maxOffset;
    }

    private static String entry(OnnxMl.TensorProto t, String key) {
        return t.getExternalDataList().stream().filter(e -> e.getKey().equals(key)).findFirst().orElseThrow().getValue();
    }

}
