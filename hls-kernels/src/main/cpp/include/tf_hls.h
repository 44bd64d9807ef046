// Common ground of every tokenfab kernel source: the Vitis HLS headers (or our stand-ins when the
// Vitis headers are absent), on-chip buffers that also work in C-simulation, CPU dispatch for the
// C-simulation build, and the design limits that size on-chip memories in synthesis.
#ifndef TF_HLS_H
#define TF_HLS_H
#include <cstddef>
#include <cstdint>

// The stand-ins are included by relative path, never put on the include path, so that
// __has_include finds the real Vitis headers whenever a Vitis include directory is given.
#if __has_include(<ap_int.h>)
#include <ap_int.h>
#else
#include "../hls_stub/ap_int.h"
#endif
#if __has_include(<hls_stream.h>)
#include <hls_stream.h>
#ifndef __SYNTHESIS__
// Vitis's own streams have no locking: its csim runs DATAFLOW stages one after another.
#define TF_CSIM_SEQUENTIAL_DATAFLOW 1
#include "../hls_stub/tf_csim.h"
#endif
#else
#include "../hls_stub/hls_stream.h"
#endif
#if __has_include(<hls_math.h>)
#include <hls_math.h>
#else
#include "../hls_stub/hls_math.h"
#endif

#ifndef __SYNTHESIS__
#include <cstdio>
#include <cstdlib>
#include <stdlib.h>  // ::aligned_alloc (C11), also under -std=c++14 for Vitis csim
#endif

namespace tf {

// ---- Synthesis limits (size on-chip memories; the C-simulation build allocates exactly) ------------
// 32768 input features covers the widest decoder projection we target (Llama-3-70B FFN 28672).
constexpr int kMaxColsElems = 32768;
// Small-batch decode: the GEMV keeps one x vector per sequence on chip.
constexpr int kMaxBatch = 8;
// Largest head dim of the supported decoder families (Gemma uses 256).
constexpr int kMaxHeadDimElems = 256;
// Query heads sharing one KV head (Llama-3-70B: 64 / 8 = 8; MQA models up to 64).
constexpr int kMaxGroupHeads = 64;
// Largest LLM hidden size normalized in one call (Llama-3.1-405B: 16384).
constexpr int kMaxNormElems = 16384;

// ---- Trip-count bounds (LOOP_TRIPCOUNT only: latency reports, no hardware is sized by them) -------
// GEMV output rows: the LM head of Llama-3 (vocabulary 128256) rounded up.
constexpr int kMaxRowsElems = 131072;
// Logits scanned by argmax: Gemma's 256000-token vocabulary rounded up.
constexpr int kMaxVocabElems = 262144;
// Element-wise widths: FFN intermediate sizes up to Llama-3.1-405B (53248) rounded up.
constexpr int kMaxElementwiseElems = 65536;
// Context length reported for attention latency (Llama-3 native context).
constexpr int kMaxSeqLen = 8192;
// Query heads (Llama-3.1-405B: 128) and KV heads (Llama-1-65B MHA: 64).
constexpr int kMaxHeads = 128;
constexpr int kMaxKvHeads = 64;

// ---- Throughput constants ------------------------------------------------------------------------
// One 512-bit AXI beat, the HBM pseudo-channel port width of the Alveo U280/U55C shells.
constexpr int kAxiBeatBytes = 64;
// Independent fp32 partial sums per MAC loop: the HLS fp32 adder has a latency of ~4-5 cycles at
// 300 MHz, so an II=1 reduction needs several interleaved accumulators; on the CPU the same
// structure gives the compiler independent SIMD lanes without -ffast-math reassociation.
// 8 lanes = one 256-bit AVX2 vector of fp32 (what g++ vectorizes best; AVX-512 clones use it too).
constexpr int kMacLanes = 8;

// Latency in cycles of the HLS fp32 adder the GEMV accumulators feed (Vitis HLS fadd, full_dsp,
// at a 300 MHz target on UltraScale+; UG1399's operator tables give 4-5 cycles at this clock and
// `syn.op=op:fadd latency:4` pins it). Not verified by a synthesis run here (no Vitis on this
// machine): it sizes tf::kMacPartialSums, the interleave that lets the MAC loop hold II=1.
constexpr int kFaddLatencyCycles = 4;

// ---- On-chip buffer -------------------------------------------------------------------------------
// In synthesis a fixed-size local array (BRAM/URAM). In C-simulation a heap block of exactly the
// needed size: the kernels run on JVM threads whose stacks must not hold a 1 MiB array, and the
// design limits above must not restrict the emulation of larger models.
#ifdef __SYNTHESIS__
#define TF_ONCHIP_BUFFER(T, name, elems, maxElems) T name[maxElems]
#else
template <typename T>
class SimBuffer {
public:
    explicit SimBuffer(std::size_t elems)
        : p_(static_cast<T*>(::aligned_alloc(kAxiBeatBytes, roundUp(elems * sizeof(T))))) {
        if (p_ == nullptr) {
            // Out of memory for a few KiB: the process is lost anyway; say why instead of faulting.
            std::fprintf(stderr, "tokenfab kernels: cannot allocate %zu bytes of on-chip buffer\n",
                         elems * sizeof(T));
            std::abort();
        }
    }
    ~SimBuffer() { std::free(p_); }
    SimBuffer(const SimBuffer&) = delete;
    SimBuffer& operator=(const SimBuffer&) = delete;
    T* get() const { return p_; }

private:
    static std::size_t roundUp(std::size_t bytes) {
        const std::size_t b = bytes == 0 ? 1 : bytes;
        return (b + kAxiBeatBytes - 1) / kAxiBeatBytes * kAxiBeatBytes;
    }
    T* p_;
};
#define TF_ONCHIP_BUFFER(T, name, elems, maxElems) \
    ::tf::SimBuffer<T> name##_sim(static_cast<std::size_t>(elems)); \
    T* const name = name##_sim.get()
#endif

}  // namespace tf

// ---- DATAFLOW regions ----------------------------------------------------------------------------
// A DATAFLOW region is written as
//     hls::stream<float, kDepth> s("s");
//     #pragma HLS DATAFLOW
//     TF_DATAFLOW_BEGIN(regionName)
//     TF_DATAFLOW_STAGE(load, loadStage(in, buf));
//     TF_DATAFLOW_STAGE_AFTER(mac, load, macStage(buf, s));   // buf: ping-pong buffer written by load
//     TF_DATAFLOW_STAGE(store, storeStage(s, out));
//     TF_DATAFLOW_END
// In synthesis these are the plain calls (the canonical form Vitis expects). In C-simulation they
// go through tf::csim::Dataflow, which runs them one after another in the library and on one
// thread each, with bounded FIFOs and deadlock detection, in the testbench build (TF_CSIM_CONCURRENT
// in hls_stub/tf_csim.h is the one switch). Stage names are identifiers, shown in deadlock reports.
#ifdef __SYNTHESIS__
#define TF_DATAFLOW_BEGIN(region)
#define TF_DATAFLOW_STAGE(name, ...) __VA_ARGS__
#define TF_DATAFLOW_STAGE_AFTER(name, producer, ...) __VA_ARGS__
#define TF_DATAFLOW_END
#else
#define TF_DATAFLOW_BEGIN(region) ::tf::csim::Dataflow tf_dataflow_region_(#region);
#define TF_DATAFLOW_STAGE(name, ...) tf_dataflow_region_.stage(#name, [&] { __VA_ARGS__; })
#define TF_DATAFLOW_STAGE_AFTER(name, producer, ...) \
    tf_dataflow_region_.stageAfter(#name, #producer, [&] { __VA_ARGS__; })
#define TF_DATAFLOW_END tf_dataflow_region_.run();
#endif

// ---- CPU dispatch (C-simulation only) -------------------------------------------------------------
// The library ships in a jar for any x86-64-v2 machine; hot loops get AVX2/FMA and AVX-512 clones
// chosen at load time by an ifunc resolver. No effect in synthesis or on other compilers.
#if !defined(__SYNTHESIS__) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(TF_NO_CPU_DISPATCH)
#define TF_CPU_DISPATCH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TF_CPU_DISPATCH
#endif

// Helpers that must be inlined into a dispatched function to inherit its instruction set.
#if defined(__GNUC__)
#define TF_INLINE inline __attribute__((always_inline))
#else
#define TF_INLINE inline
#endif

#endif
