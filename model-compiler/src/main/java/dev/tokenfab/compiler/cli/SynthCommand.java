package dev.tokenfab.compiler.cli;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.compiler.synth.SynthForm;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SynthesizedModel;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code synth}: writes a deterministic synthetic ONNX decoder (Llama or GPT-2 shaped) in one of the
 * three export forms. Unset sizes take the family's demo defaults (see {@link SynthSpec#llamaDemo()}).
 */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a deterministic synthetic ONNX decoder (seeded weights) in RAW, CONTRIB or OPSET24 form.",
        footer = {"", "Example: synth --arch llama --layers 2 --hidden 64 --heads 4 --kv-heads 2 --intermediate 172 "
                + "--vocab 256 --max-context 128 --seed 1 --form raw --weight-type f32 -o model.onnx"})
public final class SynthCommand implements Callable<Integer> {
    /** Exit code for an option value outside the allowed set (picocli's usage-error code). */
    static final int EXIT_BAD_OPTION = 2;
    /** Exit code when writing failed. */
    static final int EXIT_IO = 1;

    @Spec CommandSpec commandSpec;

    @Option(names = "--arch", paramLabel = "llama|gpt2", description = "architecture family (default: ${DEFAULT-VALUE})", defaultValue = "llama")
    String arch;
    @Option(names = "--layers", description = "decoder blocks (default: 2)") Integer layers;
    @Option(names = "--hidden", description = "model width (default: 64)") Integer hidden;
    @Option(names = "--heads", description = "query heads (default: 4)") Integer heads;
    @Option(names = "--kv-heads", description = "key/value heads (default: llama 2, gpt2 = heads)") Integer kvHeads;
    @Option(names = "--head-dim", description = "elements per head (default: hidden / heads)") Integer headDim;
    @Option(names = "--intermediate", description = "MLP width (default: llama 172, gpt2 256)") Integer intermediate;
    @Option(names = "--vocab", description = "vocabulary size (default: 256)") Integer vocab;
    @Option(names = "--max-context", description = "longest sequence in tokens (default: 128)") Integer maxContext;
    @Option(names = "--seed", description = "weight seed (default: ${DEFAULT-VALUE})", defaultValue = "1") long seed;
    @Option(names = "--form", paramLabel = "raw|contrib|opset24", description = "operator vocabulary (default: ${DEFAULT-VALUE})", defaultValue = "raw")
    String form;
    @Option(names = "--weight-type", paramLabel = "f32|f16|bf16", description = "stored weight type (default: ${DEFAULT-VALUE})", defaultValue = "f32")
    String weightType;
    @Option(names = "--external-data", description = "write tensors to <model>.data (needed above 2 GB)") boolean externalData;
    @Option(names = "--tied", negatable = true, description = "tie the LM head to the embedding (default: llama no, gpt2 yes)") Boolean tied;
    @Option(names = "--rope-theta", description = "RoPE base (default: 10000)") Float ropeTheta;
    @Option(names = "--rotary-dim", description = "rotated elements per head (default: head dim)") Integer rotaryDim;
    @Option(names = "--rope-interleaved", description = "GPT-J pair layout instead of rotate_half") boolean ropeInterleaved;
    @Option(names = "--outliers", paramLabel = "N", description = "planted outlier input channels (default: 0)") int outliers;
    @Option(names = "--weight-scale", description = "projection std multiplier (default: 1)") Float weightScale;
    @Option(names = "--nbits-block", paramLabel = "0|16|32|64|128|256",
            description = "4-bit block size: CONTRIB writes MatMulNBits, other forms the dequantized values (default: 0 = dense)")
    int nbitsBlock;
    @Option(names = "--nbits-zero-points", description = "asymmetric 4-bit blocks with zero points") boolean nbitsZeroPoints;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "model.onnx", description = "output file") Path output;
    @Option(names = "--verbose", description = "print stack traces of errors") boolean verbose;

    @Override
    public Integer call() {
        PrintWriter out = commandSpec.commandLine().getOut();
        PrintWriter err = commandSpec.commandLine().getErr();
        SynthSpec spec;
        try {
            spec = spec();
        } catch (IllegalArgumentException e) {
            err.println("synth: " + e.getMessage());
            if (verbose) e.printStackTrace(err);
            return EXIT_BAD_OPTION;
        }
        try {
            SynthesizedModel m = SyntheticDecoderWriter.write(spec, output);
            out.printf(Locale.ROOT, "synth: wrote %s (%s %s %s, %d layers, %,d parameters, %,d bytes%s)%n",
                    m.model(), spec.family().name().toLowerCase(Locale.ROOT), spec.form().name().toLowerCase(Locale.ROOT),
                    spec.weightType().name().toLowerCase(Locale.ROOT), spec.layers(), m.parameterCount(), m.totalBytes(),
                    m.externalData() == null ? "" : ", external data " + m.externalData().getFileName());
            return 0;
        } catch (CompileException e) {
            err.println("synth: " + e.getMessage());
            if (verbose) e.printStackTrace(err);
            return e.code() == CompileException.ErrorCode.BAD_OPTION ? EXIT_BAD_OPTION : EXIT_IO;
        }
    }

    /** The spec the options describe. @throws IllegalArgumentException naming the option and the allowed values */
    SynthSpec spec() {
        DecoderConfig.Family family = choose("--arch", arch, DecoderConfig.Family.values());
        SynthSpec.Builder b = SynthSpec.builder(family)
                .form(choose("--form", form, SynthForm.values()))
                .weightType(choose("--weight-type", weightType, ElementType.values()))
                .seed(seed).externalData(externalData).ropeInterleaved(ropeInterleaved).outlierChannels(outliers)
                .nbitsBlockSize(nbitsBlock).nbitsZeroPoints(nbitsZeroPoints);
        if (layers != null) b.layers(layers);
        if (hidden != null) b.hidden(hidden);
        if (heads != null) b.heads(heads);
        if (kvHeads != null) b.kvHeads(kvHeads);
        else if (family == DecoderConfig.Family.GPT2 && heads != null) b.kvHeads(heads);
        if (headDim != null) b.headDim(headDim);
        if (intermediate != null) b.intermediate(intermediate);
        if (vocab != null) b.vocab(vocab);
        if (maxContext != null) b.maxContext(maxContext);
        if (tied != null) b.tiedEmbeddings(tied);
        if (ropeTheta != null) b.ropeTheta(ropeTheta);
        if (rotaryDim != null) b.rotaryDim(rotaryDim);
        if (weightScale != null) b.weightScale(weightScale);
        return b.build();
    }

    private static <E extends Enum<E>> E choose(String option, String value, E[] allowed) {
        for (E e : allowed) if (e.name().equalsIgnoreCase(value)) return e;
        throw new IllegalArgumentException(option + " " + value + " is not one of "
                + Arrays.stream(allowed).map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
    }
}
