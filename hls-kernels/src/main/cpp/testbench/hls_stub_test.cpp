// Testbench of the hls_stub stand-ins themselves (ap_int.h, hls_stream.h, tf_csim.h), built in the
// testbench mode (-DTF_CSIM_TESTBENCH: concurrent DATAFLOW, bounded FIFOs):
//   - ap_uint/ap_int at widths 1, 7, 64, 65, 512, 1024 against a byte-array reference written from
//     the definitions (two's complement modulo 2^W), random and edge operands;
//   - a read from an empty stream, a DATAFLOW region that deadlocks on a too-shallow FIFO, one that
//     deadlocks on a ping-pong buffer, and a stream destroyed with data left: each must make a
//     child process fail with the stream and stage names on stderr;
//   - the same regions with adequate depths pass, in order;
//   - the library mode (hls_stub_seq.cpp): empty reads do not abort, stages run in sequence.
// Prints the first mismatch of each case and returns non-zero on any failure.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "../include/tf_hls.h"
#include "tf_testbench.h"

static_assert(tf::csim::kConcurrentDataflow, "hls_stub_test.cpp must be built with -DTF_CSIM_TESTBENCH");

int hlsStubSequentialChecks();  // hls_stub_seq.cpp

namespace {

int failures = 0;
int cases = 0;

bool expect(bool ok, const char* caseName, const std::string& detail) {
    ++cases;
    if (!ok) {
        std::printf("hls_stub [%s]: %s\n", caseName, detail.c_str());
        ++failures;
    }
    return ok;
}

// ---- reference: W-bit two's complement numbers as little-endian bytes ------------------------------
struct Ref {
    int width;
    std::vector<uint8_t> b;  // ceil(width / 8) bytes; bits at and above width are zero

    explicit Ref(int w) : width(w), b(static_cast<size_t>((w + 7) / 8), 0) {}
    bool bit(int i) const { return i >= 0 && i < width && ((b[i / 8] >> (i % 8)) & 1); }
    void setBit(int i, bool v) {
        if (v) b[i / 8] |= uint8_t(1u << (i % 8)); else b[i / 8] &= uint8_t(~(1u << (i % 8)));
    }
    void mask() {
        for (int i = width; i < static_cast<int>(b.size()) * 8; ++i) setBit(i, false);
    }
    // The value at another width: truncated, or extended with zeros or (signed) copies of bit width-1.
    Ref resized(int w, bool isSigned) const {
        Ref r(w);
        for (int i = 0; i < w; ++i) r.setBit(i, i < width ? bit(i) : (isSigned && bit(width - 1)));
        return r;
    }
    uint64_t low64() const {
        uint64_t v = 0;
        for (int i = 63; i >= 0; --i) v = (v << 1) | (bit(i) ? 1u : 0u);
        return v;
    }
    std::string hex() const {
        static const char* digits = "0123456789abcdef";
        std::string s;
        for (int i = (width + 3) / 4 - 1; i >= 0; --i) {
            int d = 0;
            for (int k = 3; k >= 0; --k) d = d * 2 + (bit(4 * i + k) ? 1 : 0);
            s += digits[d];
        }
        return "0x" + s;
    }
};

Ref add(const Ref& x, const Ref& y) {
    Ref r(x.width);
    unsigned carry = 0;
    for (size_t i = 0; i < r.b.size(); ++i) {
        const unsigned s = x.b[i] + y.b[i] + carry;
        r.b[i] = uint8_t(s);
        carry = s >> 8;
    }
    r.mask();
    return r;
}
Ref neg(const Ref& x) {  // 2^W - x
    Ref r(x.width);
    for (size_t i = 0; i < r.b.size(); ++i) r.b[i] = uint8_t(~x.b[i]);
    r.mask();
    Ref one(x.width);
    one.setBit(0, true);
    return add(r, one);
}
Ref sub(const Ref& x, const Ref& y) { return add(x, neg(y)); }
Ref mul(const Ref& x, const Ref& y) {
    Ref r(x.width);
    std::vector<unsigned> acc(r.b.size() + 1, 0);
    for (size_t i = 0; i < r.b.size(); ++i) {
        for (size_t j = 0; i + j < r.b.size(); ++j) acc[i + j] += unsigned(x.b[i]) * y.b[j];
        // carry as we go so the unsigned sums cannot overflow
        for (size_t k = i; k + 1 < acc.size(); ++k) {
            acc[k + 1] += acc[k] >> 8;
            acc[k] &= 0xff;
        }
    }
    for (size_t i = 0; i < r.b.size(); ++i) r.b[i] = uint8_t(acc[i]);
    r.mask();
    return r;
}
template <typename F>
Ref bitwise(const Ref& x, const Ref& y, F f) {
    Ref r(x.width);
    for (int i = 0; i < x.width; ++i) r.setBit(i, f(x.bit(i), y.bit(i)));
    return r;
}
Ref shl(const Ref& x, int n) {
    Ref r(x.width);
    for (int i = n; i < x.width; ++i) r.setBit(i, x.bit(i - n));
    return r;
}
Ref shr(const Ref& x, int n, bool isSigned) {
    Ref r(x.width);
    for (int i = 0; i < x.width; ++i) r.setBit(i, i + n < x.width ? x.bit(i + n) : (isSigned && x.bit(x.width - 1)));
    return r;
}
// -1, 0, 1 comparing the values (signed or not).
int compare(const Ref& x, const Ref& y, bool isSigned) {
    const int top = x.width - 1;
    if (isSigned && x.bit(top) != y.bit(top)) return x.bit(top) ? -1 : 1;
    for (int i = top; i >= 0; --i)
        if (x.bit(i) != y.bit(i)) return x.bit(i) ? 1 : -1;
    return 0;
}

// ---- ap <-> reference, through bit select only (the primitive everything else is checked against)
template <int W, bool S>
tf_ap_int_base<W, S> toAp(const Ref& r) {
    tf_ap_int_base<W, S> v = 0;
    for (int i = 0; i < W; ++i) v[i] = r.bit(i);
    return v;
}
template <int W, bool S>
Ref fromAp(const tf_ap_int_base<W, S>& v) {
    Ref r(W);
    for (int i = 0; i < W; ++i) r.setBit(i, v[i]);
    return r;
}
template <int W, bool S>
bool same(const char* caseName, const std::string& what, const tf_ap_int_base<W, S>& actual, const Ref& expected) {
    const Ref a = fromAp(actual);
    return expect(a.b == expected.b, caseName, what + ": expected " + expected.hex() + ", actual " + a.hex());
}

Ref randomRef(tb::Rng& rng, int w) {
    Ref r(w);
    for (auto& byte : r.b) byte = uint8_t(rng.next());
    // Edge shapes a quarter of the time: zero, all ones, only the top bit, only bit 0.
    switch (rng.next() % 16) {
        case 0: for (auto& byte : r.b) byte = 0; break;
        case 1: for (auto& byte : r.b) byte = 0xff; break;
        case 2: for (auto& byte : r.b) byte = 0; r.setBit(w - 1, true); break;
        case 3: for (auto& byte : r.b) byte = 0; r.setBit(0, true); break;
        default: break;
    }
    r.mask();
    return r;
}

// Random and edge operands per width.
constexpr int kPairsPerWidth = 60;

template <int W>
void checkWidth() {
    const std::string tag = "W=" + std::to_string(W);
    const char* c = tag.c_str();
    tb::Rng rng(0x5eed0000u + W);
    for (int t = 0; t < kPairsPerWidth; ++t) {
        const Ref ra = randomRef(rng, W), rb = randomRef(rng, W);
        const ap_uint<W> a = toAp<W, false>(ra), b = toAp<W, false>(rb);
        const std::string ops = " a=" + ra.hex() + " b=" + rb.hex();
        // Wrap-around at W bits on assignment.
        same(c, "a + b" + ops, ap_uint<W>(a + b), add(ra, rb));
        same(c, "a - b" + ops, ap_uint<W>(a - b), sub(ra, rb));
        same(c, "a * b" + ops, ap_uint<W>(a * b), mul(ra, rb));
        // Full precision before the assignment (Vitis result widths).
        same(c, "a + b at W+1" + ops, ap_uint<W + 1>(a + b), add(ra.resized(W + 1, false), rb.resized(W + 1, false)));
        same(c, "a * b at 2W" + ops, ap_uint<2 * W>(a * b), mul(ra.resized(2 * W, false), rb.resized(2 * W, false)));
        same(c, "a & b" + ops, ap_uint<W>(a & b), bitwise(ra, rb, [](bool x, bool y) { return x && y; }));
        same(c, "a | b" + ops, ap_uint<W>(a | b), bitwise(ra, rb, [](bool x, bool y) { return x || y; }));
        same(c, "a ^ b" + ops, ap_uint<W>(a ^ b), bitwise(ra, rb, [](bool x, bool y) { return x != y; }));
        same(c, "~a" + ops, ap_uint<W>(~a), bitwise(ra, ra, [](bool x, bool) { return !x; }));
        ap_uint<W> acc = a;
        acc += b;
        acc *= b;
        acc -= a;
        same(c, "((a + b) * b) - a compound" + ops, acc, sub(mul(add(ra, rb), rb), ra));
        const int s = static_cast<int>(rng.next() % static_cast<uint64_t>(W + 1));
        same(c, "a << " + std::to_string(s) + ops, ap_uint<W>(a << s), shl(ra, s));
        same(c, "a >> " + std::to_string(s) + ops, ap_uint<W>(a >> s), shr(ra, s, false));
        expect((a < b) == (compare(ra, rb, false) < 0) && (a == b) == (compare(ra, rb, false) == 0) &&
                   (a >= b) == (compare(ra, rb, false) >= 0),
               c, "unsigned comparison" + ops);
        expect(a.to_uint64() == ra.low64(), c, "to_uint64" + ops);
        // range(hi, lo) get and set, also as x(hi, lo).
        const int lo = static_cast<int>(rng.next() % W);
        const int hi = lo + static_cast<int>(rng.next() % static_cast<uint64_t>(W - lo));
        const std::string rng_ = " [" + std::to_string(hi) + ":" + std::to_string(lo) + "]";
        same(c, "range get" + rng_ + ops, ap_uint<W>(a.range(hi, lo)),
             shr(shl(ra, W - 1 - hi), W - 1 - hi + lo, false));
        ap_uint<W> r = a;
        r(hi, lo) = b;
        Ref expectSet = ra;
        for (int i = lo; i <= hi; ++i) expectSet.setBit(i, rb.bit(i - lo));
        same(c, "range set" + rng_ + ops, r, expectSet);
        // Signed: sign extension to a wider type, arithmetic shift, signed comparison, wrap.
        const ap_int<W> sa = toAp<W, true>(ra), sb = toAp<W, true>(rb);
        same(c, "ap_int sign extension" + ops, ap_int<W + 70>(sa), ra.resized(W + 70, true));
        same(c, "ap_int >> " + std::to_string(s) + ops, ap_int<W>(sa >> s), shr(ra, s, true));
        same(c, "ap_int a - b at W+1" + ops, ap_int<W + 1>(sa - sb),
             sub(ra.resized(W + 1, true), rb.resized(W + 1, true)));
        same(c, "ap_int a * b at 2W" + ops, ap_int<2 * W>(sa * sb),
             mul(ra.resized(2 * W, true), rb.resized(2 * W, true)));
        expect((sa < sb) == (compare(ra, rb, true) < 0) && (sa > sb) == (compare(ra, rb, true) > 0), c,
               "signed comparison" + ops);
        // Mixed signedness compares values: an ap_int below zero is below any ap_uint.
        expect((sa < b) == (ra.bit(W - 1) || compare(ra, rb, false) < 0), c, "ap_int < ap_uint" + ops);
        expect(sa.to_int64() == static_cast<int64_t>(ra.resized(64, true).low64()), c, "to_int64" + ops);
        // Concatenation: a in the high W bits.
        const ap_uint<2 * W> cat = (a, b);
        Ref expectCat = rb.resized(2 * W, false);
        for (int i = 0; i < W; ++i) expectCat.setBit(W + i, ra.bit(i));
        same(c, "(a, b)" + ops, cat, expectCat);
    }
    // Construction from C integers: sign extension of negative values, wrap of wide ones.
    Ref allOnes(W);
    for (int i = 0; i < W; ++i) allOnes.setBit(i, true);
    same(c, "ap_uint<W>(-1)", ap_uint<W>(-1), allOnes);
    same(c, "ap_int<W>(-1) as ap_uint<W + 5>", ap_uint<W + 5>(ap_int<W>(-1)), allOnes.resized(W + 5, true));
    // From floating point: truncation toward zero (-0.5 is 0, not a negative value).
    same(c, "ap_int<W + 64>(-0.5)", ap_int<W + 64>(-0.5), Ref(W + 64));
    same(c, "ap_int<W + 64>(-1.75)", ap_int<W + 64>(-1.75f), allOnes.resized(W + 64, true));
    same(c, "ap_int<W + 3>(int64 min)", ap_int<W + 3>(INT64_MIN), [] {
        Ref r(64);
        r.setBit(63, true);
        return r.resized(W + 3, true);
    }());
}

// ---- child processes: a failure that must end the testbench ---------------------------------------
struct ChildResult {
    bool failed;      // exited non-zero or killed (abort)
    std::string err;  // what it wrote on stderr
};

// Each child finishes in milliseconds; a child still running after this was not stopped by the
// check under test.
constexpr unsigned kChildTimeoutSeconds = 20;

template <typename F>
ChildResult inChild(F body) {
    std::fflush(stdout);
    int fds[2];
    if (pipe(fds) != 0) return {false, "pipe failed"};
    const pid_t pid = fork();
    if (pid == 0) {
        const struct rlimit noCore = {0, 0};
        setrlimit(RLIMIT_CORE, &noCore);  // the abort is expected: no core file
        alarm(kChildTimeoutSeconds);       // a missed deadlock hangs: fail (without the message) instead
        dup2(fds[1], 2);
        close(fds[0]);
        body();
        std::fflush(stderr);
        _exit(0);
    }
    close(fds[1]);
    std::string err;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return {!(WIFEXITED(status) && WEXITSTATUS(status) == 0), err};
}

void expectChildFails(const char* caseName, const ChildResult& r, const std::vector<std::string>& mustSay) {
    if (!expect(r.failed, caseName, "the child process should have failed, it exited 0; stderr: " + r.err)) return;
    for (const std::string& s : mustSay) {
        if (!expect(r.err.find(s) != std::string::npos, caseName, "stderr lacks \"" + s + "\": " + r.err)) return;
    }
}

// Producer writes kItems data then one control word; consumer reads the control word first, then
// the data. Reconvergent paths: with 'data' shallower than kItems both wait on each other.
constexpr int kItems = 8;
template <int DataDepth>
int reconvergent() {
    hls::stream<int, DataDepth> data("data");
    hls::stream<int> ctrl("ctrl");
    int sum = 0;
    TF_DATAFLOW_BEGIN(reconvergent)
    TF_DATAFLOW_STAGE(producer, {
        for (int i = 0; i < kItems; ++i) data.write(i);
        ctrl.write(kItems);
    });
    TF_DATAFLOW_STAGE(consumer, {
        const int n = ctrl.read();
        for (int i = 0; i < n; ++i) sum = sum * 3 + data.read();  // order-sensitive
    });
    TF_DATAFLOW_END
    return sum;
}
int reconvergentExpected() {
    int sum = 0;
    for (int i = 0; i < kItems; ++i) sum = sum * 3 + i;
    return sum;
}

// A ping-pong buffer plus a stream between the same two stages: the consumer starts only when the
// producer is done, so the stream must hold everything the producer writes.
template <int Depth>
int pipoAndStream() {
    int buf[kItems];
    hls::stream<int, Depth> side("side");
    int sum = 0;
    TF_DATAFLOW_BEGIN(pipoAndStream)
    TF_DATAFLOW_STAGE(fill, {
        for (int i = 0; i < kItems; ++i) {
            buf[i] = i;
            side.write(2 * i);
        }
    });
    TF_DATAFLOW_STAGE_AFTER(use, fill, {
        for (int i = 0; i < kItems; ++i) sum += buf[i] + side.read();
    });
    TF_DATAFLOW_END
    return sum;
}

void checkStreams() {
    // Read while empty outside any stage: nothing can ever fill it.
    expectChildFails("empty read", inChild([] {
                         hls::stream<int> s("lonely");
                         (void)s.read();
                     }),
                     {"'lonely'", "read while empty"});
    // Reconvergent paths with a too-shallow FIFO: deadlock, both stages named.
    expectChildFails("deadlock, depth 2 < 8", inChild([] { (void)reconvergent<2>(); }),
                     {"DATAFLOW deadlock", "stage producer blocked writing 'data'", "stage consumer blocked reading 'ctrl'"});
    // The same region with an adequate depth passes, in order.
    const int got = reconvergent<kItems>();
    expect(got == reconvergentExpected(), "reconvergent, depth 8",
           "expected " + std::to_string(reconvergentExpected()) + ", actual " + std::to_string(got));
    // A consumer that reads more than was written: blocked reading when the producer is done.
    expectChildFails("short producer", inChild([] {
                         hls::stream<int, 4> s("rows");
                         TF_DATAFLOW_BEGIN(shortProducer)
                         TF_DATAFLOW_STAGE(producer, s.write(1));
                         TF_DATAFLOW_STAGE(consumer, { (void)s.read(); (void)s.read(); });
                         TF_DATAFLOW_END
                     }),
                     {"DATAFLOW deadlock", "stage consumer blocked reading 'rows'"});
    // Ping-pong buffer + shallow stream between the same stages.
    expectChildFails("ping-pong deadlock", inChild([] { (void)pipoAndStream<2>(); }),
                     {"DATAFLOW deadlock", "stage fill blocked writing 'side'",
                      "stage use blocked waiting for the ping-pong buffer of stage fill"});
    const int pipoSum = pipoAndStream<kItems>();
    expect(pipoSum == 3 * kItems * (kItems - 1) / 2, "ping-pong, depth 8", "sum " + std::to_string(pipoSum));
    // Data left in a channel would be read by the next launch.
    expectChildFails("leftover data", inChild([] {
                         hls::stream<int> s("leftover");
                         s.write(7);
                     }),
                     {"'leftover'", "destroyed holding 1 element"});
    // Testbench writes outside a region are not bounded (a co-simulation wrapper buffers them).
    hls::stream<int> in("tbInput");
    for (int i = 0; i < 100; ++i) in.write(i);
    int last = -1;
    while (!in.empty()) last = in.read();
    expect(last == 99 && !in.full(), "testbench writes", "last " + std::to_string(last));
}

}  // namespace

int main() {
    checkWidth<1>();
    checkWidth<7>();
    checkWidth<64>();
    checkWidth<65>();
    checkWidth<512>();
    checkWidth<1024>();
    checkStreams();
    ++cases;
    if (const int seq = hlsStubSequentialChecks()) failures += seq;
    std::printf("hls_stub: %d cases, %d failed\n", cases, failures);
    return failures == 0 ? 0 : 1;
}
