// Counted cycles of the C-simulation: every pipelined loop and DATAFLOW region of the kernels says
// what its HLS schedule spends (trip count x II + pipeline depth; a region is its slowest stage plus
// the fill of the others), and every m_axi argument says how many bytes it moved. The sequencer
// (the one-launch-per-token top) turns one engine call's count into card cycles with the step
// timeline below, using the plan's memory figures; the planner (dev.tokenfab.format.card.CardModel)
// computes the same timeline from the plan alone, so the two can be compared.
//
// In synthesis every macro is empty: nothing here reaches the hardware.
//
// Step timeline (the contract shared with CardModel; both implement exactly this loop):
//   per instruction i, in program order:
//     C_i = counted compute cycles (max over the engines the instruction runs concurrently)
//     M_i = max over memory channels ch of bytes_i[ch] / channelBytesPerCycle[ch]   (0 if no bytes)
//     channelBytesPerCycle = min(port bytes per beat, channel peak bytes/s x hbmEfficiency / clock)
//     prefetchable_i = the bytes are weights (activation-independent addresses: GEMV, embedding row
//                      needs the token id so it is not), so the reader may run ahead of compute by
//                      the weight FIFO depth D (words, one word per cycle)
//     issue    = max(issueEnd, prefetchable_i ? compEnd - D : compEnd)
//     issueEnd = issue + M_i
//     compStart= max(compEnd, issue + L)              L = HBM read latency in cycles
//     compEnd  = max(compStart + C_i, issueEnd + L)   compute ends no sooner than its last word
//   instructions without bytes: compStart = compEnd; compEnd += C_i
//   cycles per step = compEnd at the end of the program.
#ifndef TF_CYCLES_H
#define TF_CYCLES_H
#include <cstdint>

namespace tf {
namespace cycles {

// m_axi arguments a kernel top can report on (index = the argument's position in the top's C signature).
constexpr int kMaxPorts = 16;

// What one engine call spent, as counted by its loops.
struct Count {
    uint64_t computeCycles = 0;          // scheduled cycles of the call (regions composed)
    uint64_t depthCycles = 0;            // pipeline depths included above (a region's fill uses them)
    uint64_t portBytes[kMaxPorts] = {};  // bytes read or written over each m_axi argument
};

#ifndef __SYNTHESIS__
// The count of the engine call running on this thread.
inline Count& current() {
    static thread_local Count c;
    return c;
}

// Returns the count so far on this thread and starts a new one.
inline Count take() {
    Count c = current();
    current() = Count{};
    return c;
}

// A pipelined loop: trip iterations at initiation interval ii, plus its pipeline depth.
inline void loop(uint64_t trip, uint32_t ii, uint32_t depth) {
    if (trip == 0) return;
    current().computeCycles += trip * ii + depth;
    current().depthCycles += depth;
}

// Bytes moved over m_axi argument `port` (its index in the top's signature).
inline void bytes(int port, uint64_t n) {
    if (port >= 0 && port < kMaxPorts) current().portBytes[port] += n;
}

// A DATAFLOW region whose stages run concurrently: construct before the first stage, call
// stage() after each stage's code, end() after the last. The region costs its slowest stage plus
// the pipeline depths (fill) of the other stages.
class Region {
public:
    Region() : mark_(current().computeCycles), markDepth_(current().depthCycles), start_(mark_), startDepth_(markDepth_) {}
    void stage() {
        const uint64_t c = current().computeCycles - mark_;
        const uint64_t d = current().depthCycles - markDepth_;
        if (c > slowest_) {
            fill_ += slowestDepth_;
            slowest_ = c;
            slowestDepth_ = d;
        } else {
            fill_ += d;
        }
        mark_ = current().computeCycles;
        markDepth_ = current().depthCycles;
    }
    void end() {
        current().computeCycles = start_ + slowest_ + fill_;
        current().depthCycles = startDepth_ + slowestDepth_ + fill_;
    }

private:
    uint64_t mark_, markDepth_, start_, startDepth_;
    uint64_t slowest_ = 0, slowestDepth_ = 0, fill_ = 0;
};
#endif

}  // namespace cycles
}  // namespace tf

#ifdef __SYNTHESIS__
#define TF_CYC_LOOP(trip, ii, depth)
#define TF_CYC_BYTES(port, n)
#else
#define TF_CYC_LOOP(trip, ii, depth) ::tf::cycles::loop(static_cast<uint64_t>(trip), (ii), (depth))
#define TF_CYC_BYTES(port, n) ::tf::cycles::bytes((port), static_cast<uint64_t>(n))
#endif

#endif
