// The GEMV engine shared by tf_gemv_q8, tf_gemv_q4 and tf_gemv_f16, shaped after the Alveo
// kernels that reach HBM bandwidth (Vitis_Accel_Examples performance/hbm_bandwidth: 512-bit
// ports read in long bursts; Vitis_Libraries BLAS gemv: x on chip, the matrix streamed once):
//
//   load x (once per call, into the x planes) ; then per row tile, a DATAFLOW region
//   load weights (m_axi, 512-bit words in row bursts -> wTile) -> dequant + MAC (one II=1
//   pipeline over the tile's words: each word is unpacked once per batch tile and feeds every
//   batch vector of that tile) -> store y (scale, bias, m_axi write)
//
// Each weight word is read from memory once per call whatever the batch (up to kMaxBatch): the
// row stays in the on-chip tile buffer while the batch tiles of kGemvBatchTile vectors reuse it.
// The MAC accumulates kMacPartialSums interleaved partial sums per lane (word k adds into
// partial k % kMacPartialSums), so no fp32 add depends on the previous iteration's add and the
// word loop pipelines at II=1; the partials are reduced by a fixed tree at the end of the row.
// The summation order of a dot product is therefore the same for every batch size.
//
// The format (int8, int4 groups, fp16) is a policy type with kWeightsPerWord, xLane(i) (which
// element of a word's column range lane i holds) and dequant(word, k, out) (lane values of word k
// of the current row as fp32); see the kernel files.
#ifndef TF_GEMV_H
#define TF_GEMV_H
#include "tf_hls.h"
#ifdef __SYNTHESIS__
#include <hls_vector.h>  // LaneVec; C-simulation uses a GCC vector instead (no stand-in needed)
#endif

namespace tf {

// ---- 512-bit AXI word ------------------------------------------------------------------------
// The weight ports move kAxiBeatBytes per beat. Under Vitis this typedef becomes
// `using AxiWord = ap_uint<512>;` (the accessors below have an ap_uint overload already); the
// byte struct keeps the C-simulation fast until the ap_uint stand-in grows past 64 bits.
struct alignas(kAxiBeatBytes) AxiWordBytes {
    uint8_t bytes[kAxiBeatBytes];
};
using AxiWord = AxiWordBytes;

TF_INLINE uint8_t wordByte(const AxiWordBytes& w, int i) { return w.bytes[i]; }
TF_INLINE void setWordByte(AxiWordBytes& w, int i, uint8_t v) { w.bytes[i] = v; }
// 16-bit little-endian element i of a word (fp16 weights).
TF_INLINE uint16_t wordHalf(const AxiWordBytes& w, int i) {
    uint16_t h;
    __builtin_memcpy(&h, w.bytes + 2 * i, sizeof(h));
    return h;
}
template <int W>
TF_INLINE uint16_t wordHalf(const ap_uint<W>& w, int i) { return static_cast<uint16_t>(w.range(16 * i + 15, 16 * i)); }
template <int W>
TF_INLINE uint8_t wordByte(const ap_uint<W>& w, int i) { return static_cast<uint8_t>(w.range(8 * i + 7, 8 * i)); }
template <int W>
TF_INLINE void setWordByte(ap_uint<W>& w, int i, uint8_t v) { w.range(8 * i + 7, 8 * i) = v; }

// ---- Geometry --------------------------------------------------------------------------------
// fp32 lanes of one MAC beat: a 512-bit word of fp32 (one AVX-512 register in C-simulation).
constexpr int kGemvLanes = kAxiBeatBytes / static_cast<int>(sizeof(float));
// Interleaved partial sums per lane: at least the fp32 adder latency (kFaddLatencyCycles), so the
// accumulator written by word k is next read by word k + kMacPartialSums, after its add retired.
constexpr int kMacPartialSums = kFaddLatencyCycles;
static_assert((kMacPartialSums & (kMacPartialSums - 1)) == 0, "partial sums are reduced by a pairwise tree");
// Batch vectors whose accumulators are live together (kGemvBatchTile x kMacPartialSums x
// kGemvLanes fp32 = 16 AVX-512 registers in C-simulation; 256 fp32 accumulators in HLS). Larger
// batches take another pass over the row from the on-chip tile buffer, never from memory.
constexpr int kGemvBatchTile = 4;
// On-chip weight tile: 1024 words = 64 KiB (15 BRAM36 per buffer; DATAFLOW double-buffers it).
// The longest row fits one tile: kMaxColsElems fp16 weights = 64 KiB.
constexpr int kTileWords = 1024;
// Rows per tile at most (rows shorter than a word still fill at most this many row-sum slots).
constexpr int kMaxTileRows = 64;
static_assert(kMaxColsElems * 2 <= kTileWords * kAxiBeatBytes, "the widest fp16 row must fit one tile");

// GCC-only unroll hint for C-simulation (HLS has its own UNROLL/PIPELINE pragmas).
#if defined(__GNUC__) && !defined(__clang__) && !defined(__SYNTHESIS__)
#define TF_CPU_UNROLL_STR(x) #x
#define TF_CPU_UNROLL(n) _Pragma(TF_CPU_UNROLL_STR(GCC unroll n))
#else
#define TF_CPU_UNROLL(n)
#endif

// Columns per MAC block: a block of x for one batch tile (kGemvBatchTile x 1024 fp32 = 16 KiB)
// is what the MAC reads while it walks the tile's rows (L1-resident in C-simulation).
constexpr int kColBlockElems = 1024;
// Partial-sum state of a tile: every (row, batch vector) keeps kMacPartialSums beats.
constexpr int kMacStateBeats = kMaxTileRows * kMaxBatch * kMacPartialSums;

TF_INLINE int32_t ceilDiv(int32_t n, int32_t d) { return (n + d - 1) / d; }

// Rows of one tile for rows of `wordsPerRow` words.
TF_INLINE int32_t tileRows(int32_t wordsPerRow) {
    const int32_t r = kTileWords / wordsPerRow;
    return r < kMaxTileRows ? r : kMaxTileRows;
}

// ---- Stage: load x ---------------------------------------------------------------------------
// xq[b][k * WPW + i] = x[b][k * WPW + Fmt::xLane(i)] for word k of a row (zero past colsElems),
// so that lane i of a dequantized word meets its x element at the same offset. One plane of
// wordsPerRow * WPW fp32 per batch vector.
template <typename Fmt>
void gemvLoadX(const float* x, float* xq, int32_t colsElems, int32_t batch) {
    constexpr int kWpw = Fmt::kWeightsPerWord;
    const int32_t words = ceilDiv(colsElems, kWpw);
LoadX_Batch:
    for (int32_t b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxBatch
        const float* xb = x + static_cast<int64_t>(b) * colsElems;
        float* qb = xq + static_cast<int64_t>(b) * words * kWpw;
    LoadX_Words:
        for (int32_t k = 0; k < words; ++k) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxColsElems / kWpw
        LoadX_Lanes:
            for (int i = 0; i < kWpw; ++i) {
#pragma HLS PIPELINE II = 1
                const int32_t c = k * kWpw + Fmt::xLane(i);
                qb[k * kWpw + i] = c < colsElems ? xb[c] : 0.0f;
            }
        }
    }
}

// ---- Stage: load weights ---------------------------------------------------------------------
// Rows [r0, r0 + nRows) of a row-major matrix of rowBytes-byte rows into wTile, each row starting
// on a word boundary (words per row = ceil(rowBytes / 64), the last one zero-filled). One burst
// per row; rows are not 64-byte aligned in the package layout, so the port realigns them (a byte
// shift of two consecutive beats in hardware, an unaligned load in C-simulation).
inline void gemvLoadWeights(const uint8_t* w, int64_t rowBytes, int32_t r0, int32_t nRows, AxiWord* wTile) {
    const int32_t words = ceilDiv(static_cast<int32_t>(rowBytes), kAxiBeatBytes);
    const int32_t fullWords = static_cast<int32_t>(rowBytes / kAxiBeatBytes);
LoadW_Rows:
    for (int32_t r = 0; r < nRows; ++r) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxTileRows
        const uint8_t* src = w + static_cast<int64_t>(r0 + r) * rowBytes;
        AxiWord* dst = wTile + static_cast<int64_t>(r) * words;
    LoadW_Words:
        for (int32_t k = 0; k < fullWords; ++k) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kTileWords
#pragma HLS PIPELINE II = 1
        LoadW_Bytes:
            for (int i = 0; i < kAxiBeatBytes; ++i) {
#pragma HLS UNROLL
                setWordByte(dst[k], i, src[k * kAxiBeatBytes + i]);
            }
        }
    LoadW_Tail:
        for (int32_t k = fullWords; k < words; ++k) {
            for (int i = 0; i < kAxiBeatBytes; ++i) {
#pragma HLS UNROLL
                const int64_t pos = static_cast<int64_t>(k) * kAxiBeatBytes + i;
                setWordByte(dst[k], i, pos < rowBytes ? src[pos] : uint8_t{0});
            }
        }
    }
}

// ---- Stage: dequant + MAC --------------------------------------------------------------------
// One MAC beat: kGemvLanes fp32 lanes operated on element-wise (hls::vector in synthesis, a GCC
// vector in C-simulation, so that the accumulators stay in registers: one AVX-512 register each).
#ifdef __SYNTHESIS__
using LaneVec = hls::vector<float, kGemvLanes>;
TF_INLINE LaneVec zeroLanes() { return LaneVec(0.0f); }
#else
// Only ever used inside always-inline helpers of the dispatched MAC functions, so the -Wpsabi note
// (a 64-byte vector passed by value changes the ABI without AVX-512) does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float LaneVec __attribute__((vector_size(kGemvLanes * sizeof(float))));
TF_INLINE LaneVec zeroLanes() { return LaneVec{}; }
#endif

// kGemvLanes consecutive fp32 from an on-chip buffer as one beat.
TF_INLINE LaneVec loadLanes(const float* p) {
#ifdef __SYNTHESIS__
    LaneVec v;
Lanes_Load:
    for (int l = 0; l < kGemvLanes; ++l) {
#pragma HLS UNROLL
        v[l] = p[l];
    }
    return v;
#else
    LaneVec v;
    __builtin_memcpy(&v, p, sizeof(v));  // one unaligned vector load
    return v;
#endif
}

// acc[b] += sum over the word's beats j of w[j] * x[b][j] (lane-wise; the beats of one word are
// summed in order inside the pipeline, which is depth, not a loop-carried dependency).
template <int BT, int kBeats>
TF_INLINE void macWord(const float (&wf)[kBeats * kGemvLanes], const float* xk, int64_t plane, LaneVec (&acc)[BT]) {
    LaneVec wv[kBeats];  // the dequantized word, loaded once for every batch vector
Mac_WordBeats:
    for (int j = 0; j < kBeats; ++j) {
#pragma HLS UNROLL
        wv[j] = loadLanes(wf + j * kGemvLanes);
    }
Mac_Batch:
    for (int b = 0; b < BT; ++b) {
#pragma HLS UNROLL
        const float* xb = xk + b * plane;
        LaneVec t = wv[0] * loadLanes(xb);
    Mac_Beats:
        for (int j = 1; j < kBeats; ++j) {
#pragma HLS UNROLL
            t += wv[j] * loadLanes(xb + j * kGemvLanes);
        }
        acc[b] += t;
    }
}

// Sum of N = 2^m values by a pairwise tree: v[i] += v[i + N/2], then N/4, ... (v is overwritten).
template <int N>
TF_INLINE float treeSum(float (&v)[N]) {
    static_assert((N & (N - 1)) == 0, "a pairwise tree over a power of two");
Tree_Levels:
    TF_CPU_UNROLL(16)
    for (int half = N / 2; half >= 1; half /= 2) {
    Tree_Adds:
        for (int i = 0; i < half; ++i) {
#pragma HLS UNROLL
            v[i] = v[i] + v[i + half];
        }
    }
    return v[0];
}

// Words k0 .. k0 + P - 1 of a row (those below nWords) into the interleaved partials acc[k % P].
// In C-simulation the P words are unrolled, so every accumulator has a fixed register.
template <int BT, typename Fmt>
TF_INLINE void macWords(const Fmt& fmt, const AxiWord* wRow, int32_t k0, int32_t nWords, const float* xq,
                        int64_t plane, LaneVec (&acc)[kMacPartialSums][BT]) {
    constexpr int kWpw = Fmt::kWeightsPerWord;
    constexpr int kBeats = kWpw / kGemvLanes;
    static_assert(kWpw % kGemvLanes == 0, "a word holds whole MAC beats");
Mac_Interleave:
    TF_CPU_UNROLL(16)
    for (int p = 0; p < kMacPartialSums; ++p) {
#pragma HLS PIPELINE II = 1
        const int32_t k = k0 + p;
        if (k < nWords) {
            float wf[kWpw];
            fmt.dequant(wRow[k], k, wf);
            macWord<BT, kBeats>(wf, xq + static_cast<int64_t>(k) * kWpw, plane, acc[p]);
        }
    }
}

// Words [kBegin, kEnd) of one row (on chip at wRow; kBegin a multiple of kMacPartialSums) against
// BT batch vectors whose x planes start at xq (stride plane), continuing the partial sums in
// state[kMacPartialSums][BT].
template <int BT, typename Fmt>
TF_INLINE void rowBlockMac(const Fmt& fmt, const AxiWord* wRow, int32_t kBegin, int32_t kEnd, const float* xq,
                           int64_t plane, LaneVec* state) {
    constexpr int P = kMacPartialSums;
    LaneVec acc[P][BT];
Mac_StateIn:
    for (int p = 0; p < P; ++p) {
        for (int b = 0; b < BT; ++b) acc[p][b] = state[p * BT + b];
    }
    const int32_t fullEnd = kBegin + (kEnd - kBegin) / P * P;
    int32_t k0 = kBegin;
Mac_Words:
    for (; k0 < fullEnd; k0 += P) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kColBlockElems / kMacPartialSums
        macWords<BT>(fmt, wRow, k0, fullEnd, xq, plane, acc);
    }
    // The last (kEnd - kBegin) % P words (a separate call only so that C-simulation keeps acc in
    // registers).
    if (k0 < kEnd) macWords<BT>(fmt, wRow, k0, kEnd, xq, plane, acc);
Mac_StateOut:
    for (int p = 0; p < P; ++p) {
        for (int b = 0; b < BT; ++b) state[p * BT + b] = acc[p][b];
    }
}

// The dot of one (row, batch vector) from its partial sums, by fixed pairwise trees: over the
// kMacPartialSums interleaved sums (lane-wise), then over the lanes.
TF_INLINE float reducePartials(const LaneVec* parts, int stride) {
    static_assert(kMacPartialSums == 4, "the partial-sum tree below is written for 4 partials");
    const LaneVec v = (parts[0] + parts[2 * stride]) + (parts[stride] + parts[3 * stride]);
    float lanes[kGemvLanes];
Reduce_Lanes:
    for (int l = 0; l < kGemvLanes; ++l) lanes[l] = v[l];
    return treeSum<kGemvLanes>(lanes);
}

// The MAC stage of one tile: rows of wTile against every batch vector; sums[r * kMaxBatch + b].
// makeFmt(r) builds row r's dequantizer (scales, zeros). Loop order: column blocks of
// kColBlockElems, then rows, then batch tiles of kGemvBatchTile vectors, then the block's words
// (II=1); the partial sums of every (row, vector) live in `state` between column blocks. A word
// is unpacked once per batch tile and never read again from memory; the order of the adds into
// each partial sum is the word order, so the blocking does not change any result.
// (C-simulation: a column block of x for a batch tile stays in the L1 cache.)
//
// next/nextBytes: the weight bytes the load stage reads for the next tile. C-simulation runs the
// DATAFLOW stages one after another, so without help the load stage would wait on memory while
// nothing computes; the MAC stage prefetches them, spread over its work (the overlap that the
// DATAFLOW region gives in hardware). Ignored in synthesis.
template <typename Fmt, typename MakeFmt>
TF_INLINE void gemvMacTile(const AxiWord* wTile, int32_t nRows, int32_t wordsPerRow, const float* xq,
                           int32_t batch, MakeFmt makeFmt, float* sums, LaneVec* state, const uint8_t* next,
                           int64_t nextBytes) {
    constexpr int kWpw = Fmt::kWeightsPerWord;
    constexpr int32_t kBlockWords = kColBlockElems / kWpw;
    static_assert(kBlockWords % kMacPartialSums == 0, "column blocks start on a partial-sum boundary");
    constexpr int P = kMacPartialSums;
    const int64_t plane = static_cast<int64_t>(wordsPerRow) * kWpw;
    // state[(r * kMaxBatch + b) * P + p] for batch tile base b0: P x bt partials per tile.
Mac_StateZero:
    for (int64_t i = 0; i < static_cast<int64_t>(nRows) * kMaxBatch * P; ++i) state[i] = zeroLanes();
    const int32_t blocks = ceilDiv(wordsPerRow, kBlockWords);
#ifndef __SYNTHESIS__
    const int64_t units = static_cast<int64_t>(blocks) * nRows;
    const int64_t prefetchPerUnit = (nextBytes + units - 1) / units;
    int64_t prefetched = 0;
#else
    (void)next;
    (void)nextBytes;
#endif
Mac_ColBlocks:
    for (int32_t kb = 0; kb < wordsPerRow; kb += kBlockWords) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxColsElems / kColBlockElems
        const int32_t ke = wordsPerRow - kb < kBlockWords ? wordsPerRow : kb + kBlockWords;
    Mac_Rows:
        for (int32_t r = 0; r < nRows; ++r) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxTileRows
#ifndef __SYNTHESIS__
            for (int64_t end = prefetched + prefetchPerUnit; prefetched < end && prefetched < nextBytes;
                 prefetched += kAxiBeatBytes) {
                __builtin_prefetch(next + prefetched);
            }
#endif
            const Fmt fmt = makeFmt(r);
            const AxiWord* wRow = wTile + static_cast<int64_t>(r) * wordsPerRow;
        Mac_BatchTiles:
            for (int32_t b0 = 0; b0 < batch; b0 += kGemvBatchTile) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxBatch / kGemvBatchTile
                const float* xb = xq + b0 * plane;
                LaneVec* st = state + (static_cast<int64_t>(r) * kMaxBatch + b0) * P;
                const int32_t bt = batch - b0 < kGemvBatchTile ? batch - b0 : kGemvBatchTile;
                switch (bt) {
                    case 1: rowBlockMac<1>(fmt, wRow, kb, ke, xb, plane, st); break;
                    case 2: rowBlockMac<2>(fmt, wRow, kb, ke, xb, plane, st); break;
                    case 3: rowBlockMac<3>(fmt, wRow, kb, ke, xb, plane, st); break;
                    default: rowBlockMac<4>(fmt, wRow, kb, ke, xb, plane, st); break;
                }
            }
        }
    }
Mac_Emit:
    for (int32_t r = 0; r < nRows; ++r) {
        for (int32_t b0 = 0; b0 < batch; b0 += kGemvBatchTile) {
            const int32_t bt = batch - b0 < kGemvBatchTile ? batch - b0 : kGemvBatchTile;
            const LaneVec* st = state + (static_cast<int64_t>(r) * kMaxBatch + b0) * P;
            for (int32_t b = 0; b < bt; ++b) sums[r * kMaxBatch + b0 + b] = reducePartials(st + b, bt);
        }
    }
}

// ---- Stage: store y --------------------------------------------------------------------------
// y[b][r0 + r] = sums[r][b] * (scales ? scales[r0 + r] : 1) + (bias ? bias[r0 + r] : 0).
inline void gemvStoreTile(const float* sums, const float* scales, const float* bias, float* y, int32_t r0,
                          int32_t nRows, int32_t rowsElems, int32_t batch) {
StoreY_Rows:
    for (int32_t r = 0; r < nRows; ++r) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxTileRows
        const float scale = scales != nullptr ? scales[r0 + r] : 1.0f;
        const float b0 = bias != nullptr ? bias[r0 + r] : 0.0f;
    StoreY_Batch:
        for (int32_t b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxBatch
#pragma HLS PIPELINE II = 1
            y[static_cast<int64_t>(b) * rowsElems + r0 + r] = sums[r * kMaxBatch + b] * scale + b0;
        }
    }
}

// ---- The tile loop of a dense GEMV (int8 or fp16 rows, one scale per row or none) ------------
// Load x once; then per row tile a DATAFLOW of load weights -> dequant + MAC -> store. `mac` is the
// format's MAC stage (a plain function in the kernel's file, so the CPU build can clone it per ISA);
// the on-chip buffers are the region's channels (ping-pong buffers in HLS).
template <typename Format, typename Mac>
TF_INLINE void gemvDenseEngine(const uint8_t* wBytes, int64_t bytesPerElem, const float* scales, const float* bias,
                               const float* x, float* y, int32_t rowsElems, int32_t colsElems, int32_t batch, Mac mac) {
    const int32_t wordsPerRow = ceilDiv(colsElems, Format::kWeightsPerWord);
    const int32_t tileRowCount = tileRows(wordsPerRow);
    const int64_t rowBytes = bytesPerElem * colsElems;
    TF_ONCHIP_BUFFER(float, xq, static_cast<int64_t>(batch) * wordsPerRow * Format::kWeightsPerWord,
                     kMaxBatch * kMaxColsElems);
    TF_ONCHIP_BUFFER(AxiWord, wTile, static_cast<int64_t>(tileRowCount) * wordsPerRow, kTileWords);
    TF_ONCHIP_BUFFER(float, sums, kMaxTileRows * kMaxBatch, kMaxTileRows * kMaxBatch);
    TF_ONCHIP_BUFFER(LaneVec, state, kMacStateBeats, kMacStateBeats);
    gemvLoadX<Format>(x, xq, colsElems, batch);
Dense_Tiles:
    for (int32_t r0 = 0; r0 < rowsElems; r0 += tileRowCount) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxRowsElems
#pragma HLS DATAFLOW
        const int32_t nRows = rowsElems - r0 < tileRowCount ? rowsElems - r0 : tileRowCount;
        gemvLoadWeights(wBytes, rowBytes, r0, nRows, wTile);
        const int32_t nextRows = rowsElems - r0 - nRows < tileRowCount ? rowsElems - r0 - nRows : tileRowCount;
        mac(wTile, nRows, wordsPerRow, xq, batch, sums, state, wBytes + (r0 + nRows) * rowBytes, nextRows * rowBytes);
        gemvStoreTile(sums, scales, bias, y, r0, nRows, rowsElems, batch);
    }
}

}  // namespace tf

#endif
