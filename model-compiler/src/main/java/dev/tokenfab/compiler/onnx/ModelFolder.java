package dev.tokenfab.compiler.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.compiler.ir.DecoderModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What sits beside the .onnx file: onnxruntime-genai's {@code genai_config.json}, a Hugging Face
 * {@code config.json}, {@code tokenizer.json}. Used for generation settings (EOS/BOS ids, tokenizer) and
 * as a fallback for what the graph does not show (context length, head counts).
 *
 * @param onnxFile         the model file to read
 * @param contextLength    context_length / max_position_embeddings, or -1
 * @param numHeads         num_attention_heads, or -1
 * @param numKvHeads       num_key_value_heads, or -1
 * @param headDim          head_size / head_dim, or -1
 */
public record ModelFolder(Path onnxFile, int contextLength, int numHeads, int numKvHeads, int headDim,
                          DecoderModel.Generation generation) {

    static final String GENAI_CONFIG = "genai_config.json";
    static final String HF_CONFIG = "config.json";
    static final String TOKENIZER = "tokenizer.json";

    /**
     * Resolves a .onnx file or a model folder and reads the configs beside it.
     *
     * @throws CompileException FILE_NOT_FOUND when nothing is there or a folder holds no single .onnx;
     *                          BAD_OPTION when a config file is not valid JSON
     */
    public static ModelFolder locate(Path fileOrFolder) throws CompileException {
        if (!Files.exists(fileOrFolder)) {
            throw new CompileException(ErrorCode.FILE_NOT_FOUND, fileOrFolder + ": no such file or folder");
        }
        Path folder = Files.isDirectory(fileOrFolder) ? fileOrFolder : fileOrFolder.toAbsolutePath().getParent();
        JsonNode genai = json(folder.resolve(GENAI_CONFIG));
        JsonNode hf = json(folder.resolve(HF_CONFIG));
        Path onnx = Files.isDirectory(fileOrFolder) ? findOnnx(folder, genai) : fileOrFolder;

        JsonNode gm = genai == null ? null : genai.path("model");
        JsonNode gd = gm == null ? null : gm.path("decoder");
        int context = firstInt(gm, "context_length", hf, "max_position_embeddings");
        int heads = firstInt(gd, "num_attention_heads", hf, "num_attention_heads");
        int kvHeads = firstInt(gd, "num_key_value_heads", hf, "num_key_value_heads");
        int headDim = firstInt(gd, "head_size", hf, "head_dim");
        List<Integer> eos = ids(gm != null && gm.has("eos_token_id") ? gm.get("eos_token_id") : hf == null ? null : hf.get("eos_token_id"));
        int bos = firstInt(gm, "bos_token_id", hf, "bos_token_id");
        Path tokenizer = Files.isRegularFile(folder.resolve(TOKENIZER)) ? folder.resolve(TOKENIZER) : null;
        return new ModelFolder(onnx, context, heads, kvHeads, headDim, new DecoderModel.Generation(eos, bos, tokenizer));
    }

    private static Path findOnnx(Path folder, JsonNode genai) throws CompileException {
        if (genai != null) {
            String name = genai.path("model").path("decoder").path("filename").asText("");
            if (!name.isEmpty() && !name.contains("/") && !name.contains("\\") && !name.equals("..")) {
                Path p = folder.resolve(name);
                if (Files.isRegularFile(p)) return p;
            }
        }
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> onnx = files.filter(p -> p.getFileName().toString().endsWith(".onnx")).sorted().toList();
            if (onnx.size() == 1) return onnx.get(0);
            if (onnx.isEmpty()) throw new CompileException(ErrorCode.FILE_NOT_FOUND, folder + ": no .onnx file in the model folder");
            Path model = folder.resolve("model.onnx");
            if (Files.isRegularFile(model)) return model;
            throw new CompileException(ErrorCode.FILE_NOT_FOUND, folder + ": several .onnx files " + onnx
                    + " and no genai_config.json naming the decoder; pass the file itself");
        } catch (IOException e) {
            throw CompileException.io(folder, e);
        }
    }

    private static JsonNode json(Path p) throws CompileException {
        if (!Files.isRegularFile(p)) return null;
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            throw new CompileException(ErrorCode.BAD_OPTION, p + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    private static int firstInt(JsonNode a, String ka, JsonNode b, String kb) {
        if (a != null && a.path(ka).isIntegralNumber()) return a.get(ka).asInt();
        if (b != null && b.path(kb).isIntegralNumber()) return b.get(kb).asInt();
        return -1;
    }

    private static List<Integer> ids(JsonNode n) {
        List<Integer> out = new ArrayList<>();
        if (n == null) return out;
        if (n.isIntegralNumber()) out.add(n.asInt());
        else if (n.isArray()) n.forEach(e -> { if (e.isIntegralNumber()) out.add(e.asInt()); });
        return List.copyOf(out);
    }
}
