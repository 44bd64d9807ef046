// Interpreter of recorded launch programs (see tokenfab_kernels.h): one host downcall runs a whole
// recorded decode step. Host-side only (emulation); not a synthesis top.
#include <cstring>

#include "tokenfab_kernels.h"

namespace {
template <typename T>
inline T ptr(int64_t v) { return reinterpret_cast<T>(static_cast<intptr_t>(v)); }
inline int32_t i32(int64_t v) { return static_cast<int32_t>(v); }
inline float f32(int64_t v) {
    const uint32_t bits = static_cast<uint32_t>(v);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}
}  // namespace

extern "C" int32_t tf_exec_program(const int64_t* program, int32_t commands) {
    const int64_t* p = program;
    for (int32_t c = 0; c < commands; ++c) {
        const int64_t op = *p++;
        const int64_t* a = p;
        switch (op) {
            case TF_OP_GEMV_Q8:
                tf_gemv_q8(ptr<const int8_t*>(a[0]), ptr<const float*>(a[1]), ptr<const float*>(a[2]), ptr<const float*>(a[3]),
                           ptr<float*>(a[4]), i32(a[5]), i32(a[6]), i32(a[7]));
                p += 8;
                break;
            case TF_OP_GEMV_Q4:
                tf_gemv_q4(ptr<const uint8_t*>(a[0]), ptr<const float*>(a[1]), ptr<const uint8_t*>(a[2]), ptr<const float*>(a[3]),
                           ptr<const float*>(a[4]), ptr<float*>(a[5]), i32(a[6]), i32(a[7]), i32(a[8]), i32(a[9]));
                p += 10;
                break;
            case TF_OP_GEMV_F16:
                tf_gemv_f16(ptr<const uint16_t*>(a[0]), ptr<const float*>(a[1]), ptr<const float*>(a[2]), ptr<float*>(a[3]),
                            i32(a[4]), i32(a[5]), i32(a[6]));
                p += 7;
                break;
            case TF_OP_EMBED_Q8:
                tf_embed_q8(ptr<const int8_t*>(a[0]), ptr<const float*>(a[1]), i32(a[2]), ptr<float*>(a[3]), i32(a[4]));
                p += 5;
                break;
            case TF_OP_EMBED_Q4:
                tf_embed_q4(ptr<const uint8_t*>(a[0]), ptr<const float*>(a[1]), ptr<const uint8_t*>(a[2]), i32(a[3]),
                            ptr<float*>(a[4]), i32(a[5]), i32(a[6]));
                p += 7;
                break;
            case TF_OP_EMBED_F16:
                tf_embed_f16(ptr<const uint16_t*>(a[0]), i32(a[1]), ptr<float*>(a[2]), i32(a[3]));
                p += 4;
                break;
            case TF_OP_RMSNORM:
                tf_rmsnorm(ptr<const float*>(a[0]), ptr<const float*>(a[1]), ptr<float*>(a[2]), i32(a[3]), f32(a[4]), i32(a[5]));
                p += 6;
                break;
            case TF_OP_LAYERNORM:
                tf_layernorm(ptr<const float*>(a[0]), ptr<const float*>(a[1]), ptr<const float*>(a[2]), ptr<float*>(a[3]),
                             i32(a[4]), f32(a[5]), i32(a[6]));
                p += 7;
                break;
            case TF_OP_ROPE:
                tf_rope(ptr<float*>(a[0]), i32(a[1]), i32(a[2]), i32(a[3]), i32(a[4]), f32(a[5]), i32(a[6]));
                p += 7;
                break;
            case TF_OP_KV_WRITE:
                tf_kv_write(ptr<void*>(a[0]), ptr<float*>(a[1]), ptr<void*>(a[2]), ptr<float*>(a[3]), ptr<const int32_t*>(a[4]),
                            i32(a[5]), ptr<const float*>(a[6]), ptr<const float*>(a[7]), i32(a[8]), i32(a[9]), i32(a[10]), i32(a[11]));
                p += 12;
                break;
            case TF_OP_ATTENTION:
                tf_attention(ptr<const float*>(a[0]), ptr<const void*>(a[1]), ptr<const float*>(a[2]), ptr<const void*>(a[3]),
                             ptr<const float*>(a[4]), ptr<const int32_t*>(a[5]), ptr<float*>(a[6]), i32(a[7]), i32(a[8]), i32(a[9]),
                             i32(a[10]), i32(a[11]), i32(a[12]), f32(a[13]));
                p += 14;
                break;
            case TF_OP_SWIGLU:
                tf_swiglu(ptr<const float*>(a[0]), ptr<const float*>(a[1]), ptr<float*>(a[2]), i32(a[3]));
                p += 4;
                break;
            case TF_OP_GELU_TANH:
                tf_gelu_tanh(ptr<const float*>(a[0]), ptr<float*>(a[1]), i32(a[2]));
                p += 3;
                break;
            case TF_OP_GELU_ERF:
                tf_gelu_erf(ptr<const float*>(a[0]), ptr<float*>(a[1]), i32(a[2]));
                p += 3;
                break;
            case TF_OP_ADD:
                tf_add(ptr<const float*>(a[0]), ptr<const float*>(a[1]), ptr<float*>(a[2]), i32(a[3]));
                p += 4;
                break;
            default:
                return -(c + 1);
        }
    }
    return commands;
}
