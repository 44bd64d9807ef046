package dev.tokenfab.compiler.synth;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link SyntheticDecoderWriter#write} produced.
 *
 * @param model            the .onnx file
 * @param externalData     the {@code <model>.onnx.data} file, or null when every tensor is inline
 * @param spec             the spec it was written from
 * @param parameterCount   learned parameters (computed tables such as RoPE caches excluded)
 * @param modelBytes       size of the .onnx file
 * @param externalBytes    size of the external data file (0 when none)
 * @param outlierChannels  hidden channels with planted outliers (ascending; empty when none)
 */
public record SynthesizedModel(Path model, Path externalData, SynthSpec spec, long parameterCount, long modelBytes,
                               long externalBytes, List<Integer> outlierChannels) {

    /** Bytes on disk, model plus external data. */
    public long totalBytes() { return modelBytes + externalBytes; }
}
