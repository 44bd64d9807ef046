// tf_embed_q8: out[c] = table[row][c] * scales[row] (PackedFormat.Q8_CHANNEL embedding table,
// rows = vocabulary). One burst read of the row, dequantized on the fly.
#include "tokenfab_kernels.h"
#include "tf_hls.h"

extern "C" void tf_embed_q8(const int8_t* w, const float* scales, int32_t row, float* out, int32_t colsElems) {
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem0 max_widen_bitwidth = 512
#pragma HLS INTERFACE m_axi port = scales offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = row
#pragma HLS INTERFACE s_axilite port = colsElems
#pragma HLS INTERFACE s_axilite port = return
    if (row < 0 || colsElems <= 0) return;
    const int8_t* wRow = w + static_cast<int64_t>(row) * colsElems;
    const float scale = scales[row];
EmbedQ8_Cols:
    for (int32_t c = 0; c < colsElems; ++c) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxNormElems
#pragma HLS PIPELINE II = 1
        out[c] = static_cast<float>(wRow[c]) * scale;
    }
}
