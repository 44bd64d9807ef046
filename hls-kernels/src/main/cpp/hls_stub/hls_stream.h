// Stand-in for Vitis HLS <hls_stream.h>, used only when the Vitis headers are absent. Like the real
// C-simulation model it is an unbounded FIFO (std::deque): in C-simulation the stages of a DATAFLOW
// region run one after another, so a producer must be able to write its whole output before the
// consumer starts. Reading an empty stream is a design bug; like Vitis csim we report it on stderr
// and return a value-initialized element rather than crash.
#ifndef TF_HLS_STUB_HLS_STREAM_H
#define TF_HLS_STUB_HLS_STREAM_H
#include <cstdio>
#include <deque>
#include <string>

namespace hls {
template <typename T, int Depth = 0>
class stream {
public:
    stream() = default;
    explicit stream(const char* name) : name_(name) {}
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    void write(const T& v) { q_.push_back(v); }
    T read() {
        if (q_.empty()) {
            std::fprintf(stderr, "hls::stream '%s': read while empty\n", name_.c_str());
            return T{};
        }
        T v = q_.front();
        q_.pop_front();
        return v;
    }
    void read(T& out) { out = read(); }
    bool read_nb(T& out) {
        if (q_.empty()) return false;
        out = read();
        return true;
    }
    bool empty() const { return q_.empty(); }
    bool full() const { return false; }
    std::size_t size() const { return q_.size(); }
    stream& operator<<(const T& v) { write(v); return *this; }
    stream& operator>>(T& v) { v = read(); return *this; }

private:
    std::string name_ = "unnamed";
    std::deque<T> q_;
};
}  // namespace hls

#endif
