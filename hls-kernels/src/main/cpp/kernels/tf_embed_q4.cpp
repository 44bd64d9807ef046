// tf_embed_q4: out[c] = (q[row][c] - zero[row][g]) * scale[row][g], g = c / groupSize
// (PackedFormat.Q4_GROUP embedding table; zero = 8 when zeros is NULL).
#include "tokenfab_kernels.h"
#include "tf_hls.h"

extern "C" void tf_embed_q4(const uint8_t* w, const float* scales, const uint8_t* zeros, int32_t row, float* out,
                            int32_t colsElems, int32_t groupSize) {
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem0 max_widen_bitwidth = 512
#pragma HLS INTERFACE m_axi port = scales offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = zeros offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = row
#pragma HLS INTERFACE s_axilite port = colsElems
#pragma HLS INTERFACE s_axilite port = groupSize
#pragma HLS INTERFACE s_axilite port = return
    if (row < 0 || colsElems <= 0 || groupSize <= 0 || colsElems % groupSize != 0) return;
    const int32_t groups = colsElems / groupSize;
    const uint8_t* wRow = w + static_cast<int64_t>(row) * ((colsElems + 1) / 2);
    const float* sRow = scales + static_cast<int64_t>(row) * groups;
    const uint8_t* zRow = zeros != nullptr ? zeros + static_cast<int64_t>(row) * groups : nullptr;
EmbedQ4_Cols:
    for (int32_t c = 0; c < colsElems; ++c) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxNormElems
#pragma HLS PIPELINE II = 1
        const ap_uint<8> byte = wRow[c >> 1];
        const ap_uint<4> q = (c & 1) != 0 ? byte.range(7, 4) : byte.range(3, 0);
        const int32_t g = c / groupSize;
        const int zero = zRow != nullptr ? zRow[g] : 8;
        out[c] = static_cast<float>(q.to_int() - zero) * sRow[g];
    }
}
