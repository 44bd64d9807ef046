// tf_gemv_q8: y[b][r] = scale[r] * sum_c q[r][c] * x[b][c] + bias[r] over int8 weights with one
// symmetric scale per output row (PackedFormat.Q8_CHANNEL). The engine is in tf_gemv.h: x loaded
// once; per row tile a DATAFLOW of load weights (512-bit words) -> dequant + MAC -> store y.
#include "tokenfab_kernels.h"
#include "tf_gemv.h"

namespace {

// One 512-bit word = 64 int8 weights, lane i = element i of the word's column range. The row
// scale is applied once per dot in the store stage, so dequant is the int8 -> fp32 conversion.
struct Q8Format {
    static constexpr int kWeightsPerWord = tf::kAxiBeatBytes;
    static constexpr int32_t xLane(int i) { return i; }
    TF_INLINE void dequant(const tf::AxiWord& w, int32_t /*k*/, float (&out)[kWeightsPerWord]) const {
    Q8_Dequant_Lanes:
        for (int i = 0; i < kWeightsPerWord; ++i) {
#pragma HLS UNROLL
            out[i] = static_cast<float>(static_cast<int8_t>(tf::wordByte(w, i)));
        }
    }
};

// Stage 2 of a tile: dequant + MAC (AVX-512 / AVX2 clones in C-simulation).
TF_CPU_DISPATCH
void gemvQ8Mac(const tf::AxiWord* wTile, int32_t nRows, int32_t wordsPerRow, const float* xq, int32_t batch,
               float* sums, tf::LaneVec* state, const uint8_t* next, int64_t nextBytes) {
    tf::gemvMacTile<Q8Format>(wTile, nRows, wordsPerRow, xq, batch, [](int32_t) { return Q8Format{}; }, sums, state, next,
                              nextBytes);
}

void gemvQ8Engine(const int8_t* w, const float* scales, const float* bias, const float* x, float* y,
                  int32_t rowsElems, int32_t colsElems, int32_t batch) {
    const int32_t wordsPerRow = tf::ceilDiv(colsElems, Q8Format::kWeightsPerWord);
    const int32_t tileRows = tf::tileRows(wordsPerRow);
    // On-chip buffers (the DATAFLOW channels are wTile and sums, ping-pong buffers in HLS).
    TF_ONCHIP_BUFFER(float, xq, static_cast<int64_t>(batch) * wordsPerRow * Q8Format::kWeightsPerWord,
                     tf::kMaxBatch * tf::kMaxColsElems);
    TF_ONCHIP_BUFFER(tf::AxiWord, wTile, static_cast<int64_t>(tileRows) * wordsPerRow, tf::kTileWords);
    TF_ONCHIP_BUFFER(float, sums, tf::kMaxTileRows * tf::kMaxBatch, tf::kMaxTileRows * tf::kMaxBatch);
    TF_ONCHIP_BUFFER(tf::LaneVec, state, tf::kMacStateBeats, tf::kMacStateBeats);
    tf::gemvLoadX<Q8Format>(x, xq, colsElems, batch);
Q8_Tiles:
    for (int32_t r0 = 0; r0 < rowsElems; r0 += tileRows) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxRowsElems
#pragma HLS DATAFLOW
        const int32_t nRows = rowsElems - r0 < tileRows ? rowsElems - r0 : tileRows;
        const uint8_t* wBytes = reinterpret_cast<const uint8_t*>(w);
        tf::gemvLoadWeights(wBytes, colsElems, r0, nRows, wTile);
        const int32_t nextRows = rowsElems - r0 - nRows < tileRows ? rowsElems - r0 - nRows : tileRows;
        gemvQ8Mac(wTile, nRows, wordsPerRow, xq, batch, sums, state, wBytes + static_cast<int64_t>(r0 + nRows) * colsElems,
                  static_cast<int64_t>(nextRows) * colsElems);
        tf::gemvStoreTile(sums, scales, bias, y, r0, nRows, rowsElems, batch);
    }
}

}  // namespace

extern "C" void tf_gemv_q8(const int8_t* w, const float* scales, const float* bias, const float* x, float* y,
                           int32_t rowsElems, int32_t colsElems, int32_t batch) {
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem0 max_widen_bitwidth = 512 max_read_burst_length = 64
#pragma HLS INTERFACE m_axi port = scales offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = bias offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = y offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = rowsElems
#pragma HLS INTERFACE s_axilite port = colsElems
#pragma HLS INTERFACE s_axilite port = batch
#pragma HLS INTERFACE s_axilite port = return
    if (rowsElems <= 0 || colsElems <= 0 || batch <= 0) return;
    gemvQ8Engine(w, scales, bias, x, y, rowsElems, colsElems, batch);
}
