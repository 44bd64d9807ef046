/**
 * ONNX Runtime as the numerical reference and benchmark baseline.
 * {@link dev.tokenfab.compiler.reference.OrtDecoderRunner} discovers a decoder's I/O convention
 * (genai {@code past_key_values.N.*}, ORT fused GPT-2 {@code past_N}, torch GPT-2 body) and runs greedy
 * decoding with the KV cache fed back, or teacher-forced token-at-a-time runs. Timings it returns are
 * measured wall clock on this host. {@link dev.tokenfab.compiler.reference.Margins} gives top-1/top-2
 * gaps: compare token ids between implementations only where the gap exceeds their logit error.
 */
package dev.tokenfab.compiler.reference;
