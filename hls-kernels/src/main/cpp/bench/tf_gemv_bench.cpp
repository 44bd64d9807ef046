// GEMV microbenchmark of the C-simulation build on the CPU, one thread: int8 (Q8_CHANNEL), int4
// (Q4_GROUP, group 128, with zero points) and fp16 weight matrices LARGER than this machine's
// last-level cache, at batch 1 and batch 4. Measured in the same run for each matrix:
//   - GEMV time (best of N) and weight bytes per second, batch 1 and batch 4;
//   - batch-4 time / batch-1 time (each weight word is read once per call, so batch 4 should cost
//     little more than batch 1 once batch 1 is memory-bound);
//   - a plain streaming-read loop over the same weight bytes (this thread's read bandwidth) and the
//     batch-1 GEMV's share of it.
// All figures are measured on this host's CPU in C-simulation: emulation speed, not FPGA card
// performance. Wall-clock figures (the thread may be descheduled on a shared machine: take the
// best of several runs).
// Usage: make bench  (or tf_gemv_bench [matrix MiB] [iterations]; default: 2 x the LLC size)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {

constexpr int kCols = 8192;             // a 7B-class hidden size; rows follow from the matrix size
constexpr int kDefaultIterations = 5;
constexpr int kGroupSize = 128;         // the usual MatMulNBits / GPTQ group
constexpr int64_t kMiB = 1 << 20;
// Matrices default to this multiple of the reported LLC size, so no format fits in the cache.
constexpr int64_t kLlcMultiple = 2;
// Fallback LLC size when neither sysfs nor sysconf reports one (a common server L3 slice).
constexpr int64_t kFallbackLlcBytes = 32 * kMiB;

// Last-level cache size: the highest-level cache in sysfs (cpu0), else sysconf
// (_SC_LEVEL3_CACHE_SIZE, what `getconf LEVEL3_CACHE_SIZE` prints). source names where it came from.
int64_t llcBytes(std::string& source) {
    int64_t best = 0;
    int bestLevel = 0;
    for (int i = 0; i < 8; ++i) {
        const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
        std::ifstream levelIn(dir + "level"), sizeIn(dir + "size");
        int level = 0;
        std::string size;
        if (!(levelIn >> level) || !(sizeIn >> size) || size.empty()) continue;
        int64_t bytes = std::atoll(size.c_str());
        if (size.back() == 'K') bytes *= 1024;
        if (size.back() == 'M') bytes *= kMiB;
        if (level >= bestLevel && bytes > 0) {
            bestLevel = level;
            best = bytes;
        }
    }
    if (best > 0) {
        source = "sysfs cpu0 cache index L" + std::to_string(bestLevel);
        return best;
    }
    const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0) {
        source = "sysconf LEVEL3_CACHE_SIZE (sysfs has no cache info here)";
        return l3;
    }
    source = "fallback, not reported by sysfs or sysconf";
    return kFallbackLlcBytes;
}

double bestSeconds(int iterations, const std::function<void()>& run) {
    run();  // warm-up: page in
    double best = 1e30;
    for (int i = 0; i < iterations; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        run();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

// A plain streaming read of n bytes (8-byte words summed; GCC vectorizes it): this thread's read
// bandwidth over the very bytes the GEMV reads.
volatile uint64_t gSink;
void streamRead(const uint8_t* p, size_t n) {
    const uint64_t* w = reinterpret_cast<const uint64_t*>(p);
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n / 8; i += 4) {
        s0 += w[i];
        s1 += w[i + 1];
        s2 += w[i + 2];
        s3 += w[i + 3];
    }
    gSink = s0 + s1 + s2 + s3;
}

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

// One format: weights of `bytes` bytes in rows of rowBytes; gemv(batch, x, y) runs the kernel.
void benchFormat(const char* name, const std::vector<uint8_t>& weights, int rows, int iterations,
                 const std::function<void(int, const float*, float*)>& gemv) {
    tb::Rng rng(7);
    const double bytes = static_cast<double>(weights.size());
    const double streamS = bestSeconds(iterations, [&] { streamRead(weights.data(), weights.size()); });
    double t[2];
    const int batches[2] = {1, 4};
    for (int i = 0; i < 2; ++i) {
        const auto x = rng.floats(size_t(batches[i]) * kCols);
        std::vector<float> y(size_t(batches[i]) * rows);
        t[i] = bestSeconds(iterations, [&] { gemv(batches[i], x.data(), y.data()); });
    }
    std::printf("%-5s %6.0f MiB | batch 1 %8.2f ms %6.2f GB/s | batch 4 %8.2f ms %6.2f GB/s | b4/b1 %5.2fx | "
                "stream read %6.2f GB/s | b1/stream %4.0f%%\n",
                name, bytes / kMiB, t[0] * 1e3, bytes / t[0] / 1e9, t[1] * 1e3, bytes / t[1] / 1e9, t[1] / t[0],
                bytes / streamS / 1e9, 100.0 * streamS / t[0]);
}

}  // namespace

int main(int argc, char** argv) {
    std::string llcSource;
    const int64_t llc = llcBytes(llcSource);
    const int64_t target = argc > 1 ? std::atoll(argv[1]) * kMiB : kLlcMultiple * llc;
    const int iterations = argc > 2 ? std::atoi(argv[2]) : kDefaultIterations;
    std::printf("tf_gemv_bench: measured, C-simulation kernels on this host's CPU (%s), 1 thread, best of %d; "
                "CPU figures, not FPGA card performance\n",
                cpuModel().c_str(), iterations);
    std::printf("last-level cache %.0f MiB (%s); matrices of >= %.0f MiB, %d columns\n",
                static_cast<double>(llc) / kMiB, llcSource.c_str(), static_cast<double>(target) / kMiB, kCols);
    tb::Rng rng(42);
    {
        const int rows = static_cast<int>((target + kCols - 1) / kCols);
        std::vector<uint8_t> w(size_t(rows) * kCols);
        for (size_t i = 0; i < w.size(); i += 8) {
            const uint64_t r = rng.next();
            for (size_t j = 0; j < 8 && i + j < w.size(); ++j) w[i + j] = static_cast<uint8_t>(r >> (8 * j));
        }
        const auto scales = rng.floats(rows, 0.001f, 0.01f);
        benchFormat("int8", w, rows, iterations, [&](int batch, const float* x, float* y) {
            tf_gemv_q8(reinterpret_cast<const int8_t*>(w.data()), scales.data(), nullptr, x, y, rows, kCols, batch);
        });
    }
    {
        const int rowBytes = kCols / 2;
        const int rows = static_cast<int>((target + rowBytes - 1) / rowBytes);
        std::vector<uint8_t> w(size_t(rows) * rowBytes);
        for (size_t i = 0; i < w.size(); i += 8) {
            const uint64_t r = rng.next();
            for (size_t j = 0; j < 8 && i + j < w.size(); ++j) w[i + j] = static_cast<uint8_t>(r >> (8 * j));
        }
        const auto scales = rng.floats(size_t(rows) * (kCols / kGroupSize), 0.001f, 0.01f);
        std::vector<uint8_t> zeros(size_t(rows) * (kCols / kGroupSize), 8);
        benchFormat("int4", w, rows, iterations, [&](int batch, const float* x, float* y) {
            tf_gemv_q4(w.data(), scales.data(), zeros.data(), nullptr, x, y, rows, kCols, kGroupSize, batch);
        });
    }
    {
        const int rowBytes = kCols * 2;
        const int rows = static_cast<int>((target + rowBytes - 1) / rowBytes);
        std::vector<uint8_t> w(size_t(rows) * rowBytes);
        for (size_t i = 0; i < w.size(); i += 2) {
            const uint16_t h = static_cast<uint16_t>(rng.intIn(0x2000, 0x3bff));  // normal halves in (0, 1)
            w[i] = static_cast<uint8_t>(h);
            w[i + 1] = static_cast<uint8_t>(h >> 8);
        }
        benchFormat("fp16", w, rows, iterations, [&](int batch, const float* x, float* y) {
            tf_gemv_f16(reinterpret_cast<const uint16_t*>(w.data()), nullptr, x, y, rows, kCols, batch);
        });
    }
    return 0;
}
