// GEMV bandwidth microbenchmark (C-simulation build on the CPU, one thread): 4096 x 4096 weights
// in int8 (Q8_CHANNEL), int4 (Q4_GROUP, group 128, with zero points) and fp16, batch 1 and 4.
// Reports the weight bytes streamed per second (what bounds decode), the best of several runs.
// Usage: make bench  (or tf_gemv_bench [rows cols iterations])
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {

constexpr int kDefaultDim = 4096;        // a 7B-class hidden size
constexpr int kDefaultIterations = 20;
constexpr int kGroupSize = 128;          // the usual MatMulNBits / GPTQ group

double bestSeconds(int iterations, const std::function<void()>& run) {
    run();  // warm-up: page in the weights
    double best = 1e30;
    for (int i = 0; i < iterations; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        run();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

void report(const char* what, int batch, double weightBytes, double seconds) {
    std::printf("%-5s batch %d: %8.3f ms  %6.2f GB/s weights  (measured, 1 CPU thread)\n", what, batch, seconds * 1e3,
                weightBytes / seconds / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
    const int rows = argc > 1 ? std::atoi(argv[1]) : kDefaultDim;
    const int cols = argc > 2 ? std::atoi(argv[2]) : kDefaultDim;
    const int iterations = argc > 3 ? std::atoi(argv[3]) : kDefaultIterations;
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
        report("int8", batch, double(w8.size()), bestSeconds(iterations, [&] {
                   tf_gemv_q8(w8.data(), scales8.data(), nullptr, x.data(), y.data(), rows, cols, batch);
               }));
        report("int4", batch, double(w4.size()), bestSeconds(iterations, [&] {
                   tf_gemv_q4(w4.data(), scales4.data(), zeros4.data(), nullptr, x.data(), y.data(), rows, cols,
                              kGroupSize, batch);
               }));
        report("fp16", batch, double(w16.size() * 2), bestSeconds(iterations, [&] {
                   tf_gemv_f16(w16.data(), nullptr, x.data(), y.data(), rows, cols, batch);
               }));
    }
    return 0;
}
