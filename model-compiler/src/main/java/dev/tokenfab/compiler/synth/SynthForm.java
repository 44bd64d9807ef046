package dev.tokenfab.compiler.synth;

/** The three operator vocabularies real decoder exports come in (ONNX and ONNX Runtime operator docs: docs/SOURCES-runtime.md). */
public enum SynthForm {
    /** standard ONNX ops of opset 17, decomposed as torch.onnx exports a Hugging Face model */
    RAW,
    /** ONNX Runtime contrib ops (com.microsoft), as onnxruntime-genai's model builder / ORT fusions emit them */
    CONTRIB,
    /** the LLM ops of opset 23/24: Attention, RMSNormalization, RotaryEmbedding */
    OPSET24
}
