// Library mode of the hls_stub stand-ins (compiled without TF_CSIM_TESTBENCH, as the JVM's library
// is), linked into hls_stub_test: an empty read must not abort, and DATAFLOW stages run one after
// another on unbounded streams.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "../include/tf_hls.h"

static_assert(!tf::csim::kConcurrentDataflow, "hls_stub_seq.cpp must be built in the library mode");

// Returns the number of failed checks.
int hlsStubSequentialChecks() {
    int failures = 0;
    // Empty read: prints, counts, returns T{} and the process carries on. Its expected line on stderr
    // goes to /dev/null so that a test log never shows a "read while empty" that is not a failure.
    hls::stream<int> s("seqEmpty");
    const long before = tf::csim::emptyStreamReads();
    std::fflush(stderr);
    const int savedStderr = dup(2);
    const int devNull = open("/dev/null", O_WRONLY);
    dup2(devNull, 2);
    const int v = s.read();
    std::fflush(stderr);
    dup2(savedStderr, 2);
    close(devNull);
    close(savedStderr);
    if (v != 0 || tf::csim::emptyStreamReads() != before + 1) {
        std::printf("hls_stub [sequential empty read]: expected 0 and one counted read, got %d and %ld\n", v,
                    tf::csim::emptyStreamReads() - before);
        ++failures;
    }
    // A region whose producer writes far more than the declared depth before the consumer runs:
    // fine in the sequential model (unbounded), in order.
    constexpr int kItems = 100;
    hls::stream<int, 1> data("seqData");
    int sum = 0, order = 0;
    TF_DATAFLOW_BEGIN(seqRegion)
    TF_DATAFLOW_STAGE(producer, for (int i = 0; i < kItems; ++i) data.write(i));
    TF_DATAFLOW_STAGE(consumer, for (int i = 0; i < kItems; ++i) {
        const int x = data.read();
        sum += x;
        if (x != i) ++order;
    });
    TF_DATAFLOW_END
    if (sum != kItems * (kItems - 1) / 2 || order != 0 || !data.empty()) {
        std::printf("hls_stub [sequential region]: expected sum %d in order, got %d with %d out of order\n",
                    kItems * (kItems - 1) / 2, sum, order);
        ++failures;
    }
    return failures;
}
