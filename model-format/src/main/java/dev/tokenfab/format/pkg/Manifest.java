package dev.tokenfab.format.pkg;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.format.model.DecoderConfig;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a model package (a directory, conventionally {@code *.tfpkg}).
 *
 * <pre>
 * model.tfpkg/
 *   manifest.json      this record
 *   dataflow.json      the plan (dev.tokenfab.format.plan.DataflowPlan)
 *   weights/bank-NN.bin  tensor shards placed in HBM/DDR bank NN, each part aligned to {@link #PART_ALIGNMENT_BYTES}
 *   tokenizer.json     optional, copied from the model folder
 *   reports/           optional compile reports
 * </pre>
 *
 * @param formatVersion  {@link #FORMAT_VERSION}; readers refuse any other
 * @param producer       tool and version that wrote it
 * @param model          the decoder's dimensions
 * @param quant          weight and KV-cache precision
 * @param platform       target platform name (dev.tokenfab.format.plan.Platform)
 * @param tensors        every packed tensor, by canonical name, with its row shards, banks and byte ranges
 * @param files          every file of the package with size and SHA-256 (manifest.json excluded; reports/write.json
 *                       and time_per_pass.json are written last and are not listed)
 * @param generation     EOS ids, BOS id, context length; tokenizer file name or null
 */
public record Manifest(
        int formatVersion,
        String producer,
        DecoderConfig model,
        Quantization quant,
        String platform,
        List<Tensor> tensors,
        List<FileEntry> files,
        Generation generation) {

    /** Bumped on any change of layout or meaning; readers refuse other versions. */
    public static final int FORMAT_VERSION = 1;

    /** 4 KiB: page size for host mapping and a multiple of the 64-byte AXI beat of HBM ports. */
    public static final long PART_ALIGNMENT_BYTES = 4096;

    /**
     * @param scheme         default scheme for matrices
     * @param groupSize      int4 group size (32/64/128), 0 otherwise
     * @param symmetric      int4 without zero points
     * @param method         int4 rounding method, null otherwise
     * @param kvCache        KV-cache element type
     * @param keptFp16       canonical tensor names kept in fp16 on request
     */
    public record Quantization(QuantScheme scheme, int groupSize, boolean symmetric, Int4Method method,
                               KvCacheDtype kvCache, List<String> keptFp16) {}


    /**
     * A contiguous range of a tensor's rows placed in one bank. Every format is row-major in all of
     * its parts, so a shard is itself a valid [rows][cols] tensor of the tensor's format: the kernels
     * run one GEMV per shard (y rows {@code [rowStart, rowStart + rows)}), each on its own memory port.
     *
     * @param rowStart  first logical row of the tensor held by this shard
     * @param rows      rows in this shard
     * @param bank      memory bank index (HBM pseudo-channels first, then DDR; see Platform)
     * @param file      package-relative bank file, {@code weights/bank-NN.bin}
     * @param parts     "data" always; "scales" and "zeros" as the format requires; ranges in {@code file}
     */
    public record Shard(int rowStart, int rows, int bank, String file, Map<String, Part> parts) {
        public Part part(String partName) {
            Part p = parts.get(partName);
            if (p == null) throw new IllegalArgumentException("shard at row " + rowStart + " has no part " + partName);
            return p;
        }
    }

    /**
     * @param name       canonical name (dev.tokenfab.format.model.TensorNames)
     * @param groupSize  Q4_GROUP group size, 0 for other formats
     * @param zeroPoints Q4_GROUP with a "zeros" part (asymmetric)
     * @param shards     row shards in row order, covering [0, rows) exactly; one shard for small tensors
     */
    public record Tensor(String name, PackedFormat format, int rows, int cols, int groupSize, boolean zeroPoints,
                         List<Shard> shards) {

        /** True when the rows are spread over more than one bank. */
        @JsonIgnore
        public boolean sharded() { return shards.size() > 1; }

        /** Bank of a single-shard tensor. @throws IllegalStateException when sharded (use {@link #shards()}) */
        @JsonIgnore
        public int bank() { return single().bank(); }

        /** Bank file of a single-shard tensor. @throws IllegalStateException when sharded */
        @JsonIgnore
        public String file() { return single().file(); }

        /** Parts of a single-shard tensor. @throws IllegalStateException when sharded */
        @JsonIgnore
        public Map<String, Part> parts() { return single().parts(); }

        /** One part of a single-shard tensor. @throws IllegalStateException when sharded */
        public Part part(String partName) {
            Part p = single().parts().get(partName);
            if (p == null) throw new IllegalArgumentException("tensor " + name + " has no part " + partName);
            return p;
        }

        private Shard single() {
            if (shards.size() != 1) {
                throw new IllegalStateException("tensor " + name + " is sharded over " + shards.size()
                        + " banks; address its parts through shards()");
            }
            return shards.getFirst();
        }
    }

    public record FileEntry(String path, long sizeBytes, String sha256) {}

    public record Generation(List<Integer> eosTokenIds, int bosTokenId, int maxContextTokens, String tokenizerFile) {}
}
