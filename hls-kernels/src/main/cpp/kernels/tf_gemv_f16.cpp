// tf_gemv_f16: y[b][r] = sum_c half(W[r][c]) * x[b][c] + bias[r] over IEEE binary16 weights
// (PackedFormat.F16). DATAFLOW: load x -> convert/MAC -> store y.
#include "tokenfab_kernels.h"
#include "tf_gemv.h"
#include "tf_numeric.h"

namespace {

struct F16Dequant {
    TF_INLINE float operator()(uint16_t h) const { return tf::halfToFloat(h); }
};

// Stage 2: every weight row is read once; all batch tiles use it while it is on chip.
TF_CPU_DISPATCH
void gemvF16Mac(const uint16_t* w, const float* xBuf, hls::stream<float>& rowSums, int32_t rowsElems,
                int32_t colsElems, int32_t batch) {
F16_Rows:
    for (int32_t r = 0; r < rowsElems; ++r) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxRowsElems
        const uint16_t* wRow = w + static_cast<int64_t>(r) * colsElems;
        tf::denseRowAllBatches<uint16_t, F16Dequant>(wRow, xBuf, rowSums, colsElems, batch);
    }
}

// The DATAFLOW region: channels first, then the stages from load to store (canonical form, so
// the argument checks stay outside it in the top function).
void gemvF16Dataflow(const uint16_t* w, const float* bias, const float* x, float* y, int32_t rowsElems,
                            int32_t colsElems, int32_t batch) {
    TF_ONCHIP_BUFFER(float, xBuf, static_cast<int64_t>(batch) * colsElems, tf::kMaxBatch * tf::kMaxColsElems);
    // The depth is part of the type (Vitis hls::stream<T, DEPTH>, as the pragma), so the testbench
    // build's bounded FIFO has the depth synthesis gives it.
    hls::stream<float, tf::kRowSumsDepth> rowSums("rowSums");
#pragma HLS STREAM variable = rowSums depth = tf::kRowSumsDepth
#pragma HLS DATAFLOW
    TF_DATAFLOW_BEGIN(gemvF16)
    TF_DATAFLOW_STAGE(loadX, tf::gemvLoadX(x, xBuf, colsElems, batch));
    // xBuf is a ping-pong buffer: the MAC starts once the load has filled it.
    TF_DATAFLOW_STAGE_AFTER(mac, loadX, gemvF16Mac(w, xBuf, rowSums, rowsElems, colsElems, batch));
    TF_DATAFLOW_STAGE(storeY, tf::gemvStoreY(rowSums, nullptr, bias, y, rowsElems, batch));
    TF_DATAFLOW_END
}

}  // namespace

extern "C" void tf_gemv_f16(const uint16_t* w, const float* bias, const float* x, float* y, int32_t rowsElems,
                            int32_t colsElems, int32_t batch) {
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem0 max_widen_bitwidth = 512 max_read_burst_length = 64
#pragma HLS INTERFACE m_axi port = bias offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = y offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = rowsElems
#pragma HLS INTERFACE s_axilite port = colsElems
#pragma HLS INTERFACE s_axilite port = batch
#pragma HLS INTERFACE s_axilite port = return
    if (rowsElems <= 0 || colsElems <= 0 || batch <= 0) return;
    gemvF16Dataflow(w, bias, x, y, rowsElems, colsElems, batch);
}
