// tf_embed_f16: out[c] = half(table[row][c]) (PackedFormat.F16 embedding table).
#include "tokenfab_kernels.h"
#include "tf_numeric.h"

extern "C" void tf_embed_f16(const uint16_t* w, int32_t row, float* out, int32_t colsElems) {
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem0 max_widen_bitwidth = 512
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = row
#pragma HLS INTERFACE s_axilite port = colsElems
#pragma HLS INTERFACE s_axilite port = return
    if (row < 0 || colsElems <= 0) return;
    const uint16_t* wRow = w + static_cast<int64_t>(row) * colsElems;
EmbedF16_Cols:
    for (int32_t c = 0; c < colsElems; ++c) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxNormElems
#pragma HLS PIPELINE II = 1
        out[c] = tf::halfToFloat(wRow[c]);
    }
}
