// GEMV bandwidth microbenchmark (C-simulation build on the CPU, one thread): 4096 x 4096 weights
// in int8 (Q8_CHANNEL), int4 (Q4_GROUP, group 128, with zero points) and fp16, batch 1 and 4.
// Reports the weight bytes streamed per second (what bounds decode), the best of several runs, per
// wall second and per second of this thread's CPU time (the latter stays meaningful when the
// machine is shared and the thread gets descheduled).
// Usage: make bench  (or tf_gemv_bench [rows cols iterations])
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {

constexpr int kDefaultDim = 4096;        // a 7B-class hidden size
constexpr int kDefaultIterations = 20;
constexpr int kGroupSize = 128;          // the usual MatMulNBits / GPTQ group

struct Timing {
    double wallSeconds;
    double cpuSeconds;
};

double threadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Timing best(int iterations, const std::function<void()>& run) {
    run();  // warm-up: page in the weights
    Timing t{1e30, 1e30};
    for (int i = 0; i < iterations; ++i) {
        const auto w0 = std::chrono::steady_clock::now();
        const double c0 = threadCpuSeconds();
        run();
        t.cpuSeconds = std::min(t.cpuSeconds, threadCpuSeconds() - c0);
        t.wallSeconds = std::min(t.wallSeconds, std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count());
    }
    return t;
}

// The CPU these figures were measured on, from /proc/cpuinfo ("unknown CPU" elsewhere).
std::string cpuModel() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const size_t colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    }
    return "unknown CPU";
}

void report(const char* what, int batch, double weightBytes, Timing t) {
    std::printf("%-5s batch %d: %8.3f ms wall %6.2f GB/s | %8.3f ms cpu %6.2f GB/s\n", what,
                batch, t.wallSeconds * 1e3, weightBytes / t.wallSeconds / 1e9, t.cpuSeconds * 1e3,
                weightBytes / t.cpuSeconds / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
    const int rows = argc > 1 ? std::atoi(argv[1]) : kDefaultDim;
    const int cols = argc > 2 ? std::atoi(argv[2]) : kDefaultDim;
    const int iterations = argc > 3 ? std::atoi(argv[3]) : kDefaultIterations;
    std::printf("tf_gemv_bench %dx%d, best of %d: measured, C-simulation kernels on this host's CPU (%s), "
                "1 thread; CPU figures, not FPGA card performance\n",
                rows, cols, iterations, cpuModel().c_str());
    tb::Rng rng(42);
    std::vector<int8_t> w8(size_t(rows) * cols);
    for (auto& q : w8) q = static_cast<int8_t>(rng.intIn(-127, 127));
    std::vector<uint8_t> w4(size_t(rows) * ((cols + 1) / 2));
    for (auto& q : w4) q = static_cast<uint8_t>(rng.intIn(0, 255));
    std::vector<uint16_t> w16(size_t(rows) * cols);
    for (auto& h : w16) h = static_cast<uint16_t>(rng.intIn(0x2000, 0x3bff));
    const auto scales8 = rng.floats(rows, 0.001f, 0.01f);
    const auto scales4 = rng.floats(size_t(rows) * (cols / kGroupSize), 0.001f, 0.01f);
    std::vector<uint8_t> zeros4(size_t(rows) * (cols / kGroupSize), 8);
    for (int batch : {1, 4}) {
        const auto x = rng.floats(size_t(batch) * cols);
        std::vector<float> y(size_t(batch) * rows);
        report("int8", batch, double(w8.size()), best(iterations, [&] {
                   tf_gemv_q8(w8.data(), scales8.data(), nullptr, x.data(), y.data(), rows, cols, batch);
               }));
        report("int4", batch, double(w4.size()), best(iterations, [&] {
                   tf_gemv_q4(w4.data(), scales4.data(), zeros4.data(), nullptr, x.data(), y.data(), rows, cols,
                              kGroupSize, batch);
               }));
        report("fp16", batch, double(w16.size() * 2), best(iterations, [&] {
                   tf_gemv_f16(w16.data(), nullptr, x.data(), y.data(), rows, cols, batch);
               }));
    }
    return 0;
}
