// tf_rope: rotary position embedding in place on one token's heads x[numHeads][headDimElems].
// The first rotaryDimElems of each head are rotated by angle position * inv_freq_i with
// inv_freq_i = theta^(-2i / rotaryDim), computed in fp32 exactly as HF transformers builds its
// cos/sin caches. interleaved = 0 pairs (i, i + rotaryDim/2) (rotate_half, Llama/NeoX);
// interleaved = 1 pairs (2i, 2i + 1) (GPT-J, ONNX RotaryEmbedding interleaved=1).
#include "tokenfab_kernels.h"
#include "tf_hls.h"

extern "C" void tf_rope(float* x, int32_t numHeads, int32_t headDimElems, int32_t rotaryDimElems, int32_t position,
                        float theta, int32_t interleaved) {
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem0
#pragma HLS INTERFACE s_axilite port = numHeads
#pragma HLS INTERFACE s_axilite port = headDimElems
#pragma HLS INTERFACE s_axilite port = rotaryDimElems
#pragma HLS INTERFACE s_axilite port = position
#pragma HLS INTERFACE s_axilite port = theta
#pragma HLS INTERFACE s_axilite port = interleaved
#pragma HLS INTERFACE s_axilite port = return
    if (numHeads <= 0 || headDimElems <= 0 || rotaryDimElems < 2 || rotaryDimElems > headDimElems ||
        rotaryDimElems % 2 != 0) {
        return;
    }
    const int32_t half = rotaryDimElems / 2;
    // cos/sin table shared by every head of the token.
    TF_ONCHIP_BUFFER(float, cosTab, half, tf::kMaxHeadDimElems / 2);
    TF_ONCHIP_BUFFER(float, sinTab, half, tf::kMaxHeadDimElems / 2);
Rope_Table:
    for (int32_t i = 0; i < half; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 16 max = tf::kMaxHeadDimElems / 2
        const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotaryDimElems);
        const float invFreq = 1.0f / hls::pow(theta, exponent);
        const float angle = static_cast<float>(position) * invFreq;
        cosTab[i] = hls::cos(angle);
        sinTab[i] = hls::sin(angle);
    }
Rope_Heads:
    for (int32_t h = 0; h < numHeads; ++h) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxHeads
        float* xh = x + static_cast<int64_t>(h) * headDimElems;
    Rope_Pairs:
        for (int32_t i = 0; i < half; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 16 max = tf::kMaxHeadDimElems / 2
#pragma HLS PIPELINE II = 1
            const int32_t i0 = interleaved != 0 ? 2 * i : i;
            const int32_t i1 = interleaved != 0 ? 2 * i + 1 : i + half;
            const float a = xh[i0];
            const float b = xh[i1];
            xh[i0] = a * cosTab[i] - b * sinTab[i];
            xh[i1] = b * cosTab[i] + a * sinTab[i];
        }
    }
}
