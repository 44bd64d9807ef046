package dev.tokenfab.compiler.synth;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.ElementType;
import java.nio.file.Path;

/** Child-JVM entry of {@link StreamingWriteTest}: writes one external-data model under a small -Xmx. */
public final class StreamingWriteMain {
    private StreamingWriteMain() {}

    /** args: out layers hidden heads kvHeads intermediate vocab weightType */
    public static void main(String[] a) throws Exception {
        SynthSpec spec = SynthSpec.builder(DecoderConfig.Family.LLAMA).layers(Integer.parseInt(a[1])).hidden(Integer.parseInt(a[2]))
                .heads(Integer.parseInt(a[3])).kvHeads(Integer.parseInt(a[4])).intermediate(Integer.parseInt(a[5]))
                .vocab(Integer.parseInt(a[6])).maxContext(2048).weightType(ElementType.valueOf(a[7])).tiedEmbeddings(true)
                .externalData(true).build();
        long t0 = System.nanoTime();
        SynthesizedModel m = SyntheticDecoderWriter.write(spec, Path.of(a[0]));
        System.out.printf("params=%d bytes=%d seconds=%.1f maxHeapBytes=%d%n", m.parameterCount(), m.totalBytes(),
                (System.nanoTime() - t0) * 1e-9, Runtime.getRuntime().maxMemory());
    }
}
