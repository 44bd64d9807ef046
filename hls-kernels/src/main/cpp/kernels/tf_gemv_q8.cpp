// tf_gemv_q8: y[b][r] = scale[r] * sum_c q[r][c] * x[b][c] + bias[r] over int8 weights with one
// symmetric scale per output row (PackedFormat.Q8_CHANNEL). DATAFLOW: load x -> MAC -> store y.
#include "tokenfab_kernels.h"
#include "tf_gemv.h"

namespace {

// Dequantizer of Q8_CHANNEL weights: the row scale is applied once per dot in the store stage.
struct Q8Dequant {
    TF_INLINE float operator()(int8_t q) const { return static_cast<float>(q); }
};

// Stage 2: every weight row is read once; all batch tiles use it while it is on chip.
TF_CPU_DISPATCH
void gemvQ8Mac(const int8_t* w, const float* xBuf, hls::stream<float>& rowSums, int32_t rowsElems,
               int32_t colsElems, int32_t batch) {
Q8_Rows:
    for (int32_t r = 0; r < rowsElems; ++r) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxRowsElems
        const int8_t* wRow = w + static_cast<int64_t>(r) * colsElems;
        tf::denseRowAllBatches<int8_t, Q8Dequant>(wRow, xBuf, rowSums, colsElems, batch);
    }
}

// The DATAFLOW region: channels first, then the stages from load to store (canonical form, so
// the argument checks stay outside it in the top function).
void gemvQ8Dataflow(const int8_t* w, const float* scales, const float* bias, const float* x, float* y,
                           int32_t rowsElems, int32_t colsElems, int32_t batch) {
    TF_ONCHIP_BUFFER(float, xBuf, static_cast<int64_t>(batch) * colsElems, tf::kMaxBatch * tf::kMaxColsElems);
    // The depth is part of the type (Vitis hls::stream<T, DEPTH>, as the pragma), so the testbench
    // build's bounded FIFO has the depth synthesis gives it.
    hls::stream<float, tf::kRowSumsDepth> rowSums("rowSums");
#pragma HLS STREAM variable = rowSums depth = tf::kRowSumsDepth
#pragma HLS DATAFLOW
    TF_DATAFLOW_BEGIN(gemvQ8)
    TF_DATAFLOW_STAGE(loadX, tf::gemvLoadX(x, xBuf, colsElems, batch));
    // xBuf is a ping-pong buffer: the MAC starts once the load has filled it.
    TF_DATAFLOW_STAGE_AFTER(mac, loadX, gemvQ8Mac(w, xBuf, rowSums, rowsElems, colsElems, batch));
    TF_DATAFLOW_STAGE(storeY, tf::gemvStoreY(rowSums, scales, bias, y, rowsElems, batch));
    TF_DATAFLOW_END
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
    gemvQ8Dataflow(w, scales, bias, x, y, rowsElems, colsElems, batch);
}
