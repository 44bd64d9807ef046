// tokenfab decode kernels: the flat C ABI that the host binds through Panama FFM (emu device) and
// that the XRT backend's C-simulation runs on mapped BOs. One top function per kernel source file
// (kernels/<name>.cpp), named like the file. Sizes are int32 element counts named ...Elems unless
// they say Bytes. Matrices are [rows = output features][cols = input features], row-major, in the
// byte layouts of dev.tokenfab.compiler.pkg.PackedFormat. Activations are float32.
// No C++ exception crosses this ABI; kernels return void (argmax returns the index).
#ifndef TOKENFAB_KERNELS_H
#define TOKENFAB_KERNELS_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// ---- GEMV over a small batch: y[b][r] = sum_c W[r][c] * x[b][c] + (bias ? bias[r] : 0) ----------
// x: [batch][colsElems], y: [batch][rowsElems]. Weights are read once for the whole batch.
void tf_gemv_q8(const int8_t* w, const float* scales, const float* bias, const float* x, float* y,
                int32_t rowsElems, int32_t colsElems, int32_t batch);
// zeros may be NULL (symmetric: zero point 8). groupSize divides colsElems.
void tf_gemv_q4(const uint8_t* w, const float* scales, const uint8_t* zeros, const float* bias,
                const float* x, float* y, int32_t rowsElems, int32_t colsElems, int32_t groupSize, int32_t batch);
void tf_gemv_f16(const uint16_t* w, const float* bias, const float* x, float* y,
                 int32_t rowsElems, int32_t colsElems, int32_t batch);

// ---- Embedding row lookup (dequantized to float): out[colsElems] = table[row] -----------------
void tf_embed_q8(const int8_t* w, const float* scales, int32_t row, float* out, int32_t colsElems);
void tf_embed_q4(const uint8_t* w, const float* scales, const uint8_t* zeros, int32_t row, float* out,
                 int32_t colsElems, int32_t groupSize);
void tf_embed_f16(const uint16_t* w, int32_t row, float* out, int32_t colsElems);

// ---- Normalization over the last dim, for batch rows of nElems -----------------------------------
void tf_rmsnorm(const float* x, const float* weight, float* y, int32_t nElems, float eps, int32_t batch);
// bias may be NULL
void tf_layernorm(const float* x, const float* weight, const float* bias, float* y, int32_t nElems,
                  float eps, int32_t batch);

// ---- Rotary position embedding, in place on one token's heads: x[numHeads][headDimElems] ---------
// Rotates the first rotaryDimElems of each head. interleaved=0: pairs (i, i+rotaryDim/2) (HF
// rotate_half); interleaved=1: pairs (2i, 2i+1). inv_freq_i = theta^(-2i/rotaryDim).
void tf_rope(float* x, int32_t numHeads, int32_t headDimElems, int32_t rotaryDimElems, int32_t position,
             float theta, int32_t interleaved);

// ---- Paged KV cache ------------------------------------------------------------------------------
// A layer's K (or V) pool is pages of [pageTokens][numKvHeads][headDimElems] elements. kvDtype:
// 0 = fp16 (uint16 elements, scales unused, may be NULL); 1 = int8 (int8 elements, one float scale
// per (token, kv head) in a parallel scale pool [pages][pageTokens][numKvHeads]).
// pageTable[i] is the pool page holding positions [i*pageTokens, (i+1)*pageTokens).
#define TF_KV_FP16 0
#define TF_KV_INT8 1
// Writes one token's k and v ([numKvHeads][headDimElems] each) at `position`.
void tf_kv_write(void* kPool, float* kScales, void* vPool, float* vScales, const int32_t* pageTable,
                 int32_t position, const float* k, const float* v, int32_t numKvHeads,
                 int32_t headDimElems, int32_t pageTokens, int32_t kvDtype);
// out[numHeads][headDimElems] = softmax(q . K^T * scale) V over positions [0, seqLen), causal by
// construction (the caller passes seqLen = position + 1). Query head h reads KV head
// h / (numHeads / numKvHeads) (GQA/MQA).
void tf_attention(const float* q, const void* kPool, const float* kScales, const void* vPool,
                  const float* vScales, const int32_t* pageTable, float* out, int32_t numHeads,
                  int32_t numKvHeads, int32_t headDimElems, int32_t seqLen, int32_t pageTokens,
                  int32_t kvDtype, float scale);

// ---- Element-wise --------------------------------------------------------------------------------
void tf_swiglu(const float* gate, const float* up, float* out, int32_t nElems);   // silu(gate) * up
void tf_gelu_tanh(const float* x, float* out, int32_t nElems);                     // GPT-2 / FastGelu
void tf_gelu_erf(const float* x, float* out, int32_t nElems);
void tf_add(const float* a, const float* b, float* out, int32_t nElems);

// ---- Sampling helper -----------------------------------------------------------------------------
int32_t tf_argmax(const float* x, int32_t nElems);   // first index of the maximum

// ---- Recorded launch programs (emulation host path) ------------------------------------------------
// program: `commands` commands back to back, each an opcode (TF_OP_*) followed by that kernel's
// arguments in signature order, one int64 each: a pointer's address (0 = NULL), an int32, or a
// float's IEEE bits in the low 32 bits. Runs them in order; returns `commands`, or -(i + 1) when
// command i has an unknown opcode (nothing from i on runs). One call replaces one FFM downcall per
// kernel: the host records a decode step once and patches its position-dependent ints per token.
#define TF_OP_GEMV_Q8 0
#define TF_OP_GEMV_Q4 1
#define TF_OP_GEMV_F16 2
#define TF_OP_EMBED_Q8 3
#define TF_OP_EMBED_Q4 4
#define TF_OP_EMBED_F16 5
#define TF_OP_RMSNORM 6
#define TF_OP_LAYERNORM 7
#define TF_OP_ROPE 8
#define TF_OP_KV_WRITE 9
#define TF_OP_ATTENTION 10
#define TF_OP_SWIGLU 11
#define TF_OP_GELU_TANH 12
#define TF_OP_GELU_ERF 13
#define TF_OP_ADD 14
int32_t tf_exec_program(const int64_t* program, int32_t commands);

#ifdef __cplusplus
}
#endif
#endif
