// tf_gelu_tanh: out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (GPT-2 "gelu_new",
// ONNX Gelu approximate="tanh", com.microsoft FastGelu).
#include "tokenfab_kernels.h"
#include "tf_hls.h"

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float kGeluCubic = 0.044715f;              // Hendrycks & Gimpel (2016), eq. for the tanh form
}  // namespace

extern "C" void tf_gelu_tanh(const float* x, float* out, int32_t nElems) {
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem0
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem1
#pragma HLS INTERFACE s_axilite port = nElems
#pragma HLS INTERFACE s_axilite port = return
GeluTanh_Elems:
    for (int32_t i = 0; i < nElems; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxElementwiseElems
#pragma HLS PIPELINE II = 1
        const float v = x[i];
        out[i] = 0.5f * v * (1.0f + hls::tanh(kSqrt2OverPi * (v + kGeluCubic * v * v * v)));
    }
}
