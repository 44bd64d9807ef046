// Stand-in for Vitis HLS <hls_stream.h>, used only when the Vitis headers are absent.
// hls::stream<T, Depth>: Depth is the FIFO depth of the channel (Vitis: the template argument or
// `#pragma HLS STREAM depth`; 0 means the Vitis default of 2). What a read from an empty stream, a
// full stream and a DATAFLOW region do depends on the mode of tf_csim.h:
//   sequential (library): an unbounded FIFO like the Vitis csim model; an empty read prints,
//     counts in tf::csim::emptyStreamReads() and returns T{} (never aborts the JVM);
//   concurrent (testbenches, -DTF_CSIM_TESTBENCH): a FIFO of Depth elements shared by stage
//     threads; writes block when full, reads block when empty, a deadlock or a read that nothing
//     can satisfy fails the testbench with the stream's name.
#ifndef TF_HLS_STUB_HLS_STREAM_H
#define TF_HLS_STUB_HLS_STREAM_H
#include <cstddef>
#include <cstdio>
#include <deque>
#include <string>

#include "tf_csim.h"

// Lets tf_hls.h know that streams are ours (the concurrent mode needs their locking).
#define TF_HLS_STUB_STREAM 1

namespace hls {
// The mode is part of the type's name, so objects built in the two modes never mix in one link.
#if TF_CSIM_CONCURRENT
inline namespace tf_csim_concurrent {
#else
inline namespace tf_csim_sequential {
#endif

// Depth of a channel declared without one (Vitis HLS default FIFO depth, UG1399 "STREAM").
constexpr int kTfDefaultStreamDepth = 2;

template <typename T, int Depth = 0>
class stream;

// hls::stream<T> (depth 0: the default). As in Vitis, hls::stream<T, D> derives from it, so a stage
// taking hls::stream<T>& accepts a channel declared with its depth.
template <typename T>
class stream<T, 0> {
public:
    stream() = default;
    explicit stream(const char* name) : name_(name) {}
    explicit stream(const std::string& name) : name_(name) {}
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    ~stream() {
#if TF_CSIM_CONCURRENT
        if (!q_.empty())
            tf::csim::fail("hls::stream '%s': destroyed holding %zu element(s) nobody read", name_.c_str(), q_.size());
#endif
    }

    void write(const T& v) {
#if TF_CSIM_CONCURRENT
        std::unique_lock<std::mutex> lk(tf::csim::lock());
        if (tf::csim::Stage* self = tf::csim::currentStage()) {
            tf::csim::blockUntil(lk, self, "writing '" + name_ + "' (depth " + std::to_string(depth_) + ", full)",
                                 [this] { return q_.size() < depth_; });
        }
        q_.push_back(v);
        tf::csim::changed().notify_all();
#else
        q_.push_back(v);
#endif
    }

    T read() {
#if TF_CSIM_CONCURRENT
        std::unique_lock<std::mutex> lk(tf::csim::lock());
        if (q_.empty()) {
            tf::csim::Stage* self = tf::csim::currentStage();
            if (self == nullptr)
                tf::csim::fail("hls::stream '%s': read while empty (outside a DATAFLOW stage: nothing can fill it)",
                               name_.c_str());
            tf::csim::blockUntil(lk, self, "reading '" + name_ + "' (empty)", [this] { return !q_.empty(); });
        }
        T v = q_.front();
        q_.pop_front();
        tf::csim::changed().notify_all();
        return v;
#else
        if (q_.empty()) {
            ++tf::csim::emptyStreamReads();
            std::fprintf(stderr, "hls::stream '%s': read while empty\n", name_.c_str());
            return T{};
        }
        T v = q_.front();
        q_.pop_front();
        return v;
#endif
    }
    void read(T& out) { out = read(); }

    bool read_nb(T& out) {
        if (empty()) return false;
        out = read();
        return true;
    }
    bool write_nb(const T& v) {
        if (full()) return false;
        write(v);
        return true;
    }

    bool empty() const {
#if TF_CSIM_CONCURRENT
        std::lock_guard<std::mutex> g(tf::csim::lock());
#endif
        return q_.empty();
    }
    // Full only for a stage writing in the concurrent mode (other writers are never bounded).
    bool full() const {
#if TF_CSIM_CONCURRENT
        std::lock_guard<std::mutex> g(tf::csim::lock());
        return tf::csim::currentStage() != nullptr && q_.size() >= depth_;
#else
        return false;
#endif
    }
    std::size_t size() const {
#if TF_CSIM_CONCURRENT
        std::lock_guard<std::mutex> g(tf::csim::lock());
#endif
        return q_.size();
    }
    stream& operator<<(const T& v) {
        write(v);
        return *this;
    }
    stream& operator>>(T& v) {
        v = read();
        return *this;
    }

    // FIFO depth in elements in the concurrent mode.
    std::size_t depth() const { return depth_; }

protected:
    std::size_t depth_ = kTfDefaultStreamDepth;

private:
    std::string name_ = "unnamed";
    std::deque<T> q_;
};

template <typename T, int Depth>
class stream : public stream<T, 0> {
    static_assert(Depth > 0, "hls::stream depth must be > 0");

public:
    stream() { this->depth_ = Depth; }
    explicit stream(const char* name) : stream<T, 0>(name) { this->depth_ = Depth; }
    explicit stream(const std::string& name) : stream<T, 0>(name) { this->depth_ = Depth; }
};

}  // inline namespace
}  // namespace hls

#endif
