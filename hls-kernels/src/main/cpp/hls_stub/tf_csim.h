// C-simulation runtime of the hls_stub stand-ins: how a DATAFLOW region runs and what happens when a
// stream is misused. One switch, TF_CSIM_CONCURRENT (below), picks between two modes:
//
//   sequential (the library the JVM loads, and any build without TF_CSIM_TESTBENCH): the stages of a
//     region run one after another on the caller's thread and streams are unbounded, exactly the
//     Vitis csim model; no thread or lock per launch. A read from an empty stream cannot abort the
//     JVM: it prints one line on stderr, counts itself in tf::csim::emptyStreamReads() (per thread)
//     and returns a value-initialized element, as before.
//   concurrent (testbench builds: make compiles the kernels a second time with -DTF_CSIM_TESTBENCH
//     for the testbenches): every stage of a region runs on its own thread, as the processes of a
//     DATAFLOW region do in hardware and in RTL co-simulation. A stage's write blocks while the
//     stream holds its depth (hls::stream<T, Depth>, default 2 as in Vitis), a read blocks while it
//     is empty, and a stage that reads a ping-pong buffer (PIPO) starts when its producer is done.
//     When every running stage is blocked on a condition that no stage can change any more, the run
//     fails with "DATAFLOW deadlock: stage X blocked reading 'a', stage Y blocked writing 'b'" and
//     aborts (non-zero exit). The check runs each time a stage blocks or finishes, under the lock
//     every stream operation takes, so it is exact: no timeout to tune, no false alarm from a slow
//     stage. Reading an empty stream outside any stage (nobody can ever fill it) aborts at once,
//     and so does destroying a stream that still holds data (the next launch would read it).
//
// Writes from a thread that is not a stage (a testbench filling a kernel's input stream) are never
// bounded, as a co-simulation wrapper buffers a top-level stream port. A top-level stream *output*
// written by a stage is bounded by its declared depth; such a testbench must read it from a stage
// of its own (or declare the depth it needs).
#ifndef TF_HLS_STUB_TF_CSIM_H
#define TF_HLS_STUB_TF_CSIM_H
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#if !defined(TF_CSIM_CONCURRENT)
#if defined(TF_CSIM_TESTBENCH) && !defined(TF_CSIM_SEQUENTIAL_DATAFLOW)
#define TF_CSIM_CONCURRENT 1
#else
#define TF_CSIM_CONCURRENT 0
#endif
#endif

#if TF_CSIM_CONCURRENT
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#endif

namespace tf {
namespace csim {

// The one switch between the two modes (see the header comment).
constexpr bool kConcurrentDataflow = TF_CSIM_CONCURRENT != 0;

// Prints the failure (after whatever the testbench printed so far) and aborts: the testbench
// process exits non-zero, as a failing Vitis csim/cosim run does.
[[noreturn]] inline void fail(const char* fmt, ...) {
    std::fflush(stdout);
    std::va_list args;
    va_start(args, fmt);
    std::vfprintf(stderr, fmt, args);
    va_end(args);
    std::fputc('\n', stderr);
    std::fflush(stderr);
    std::abort();
}

// Sequential mode: empty-stream reads seen on this thread since it started (the stream returned a
// value-initialized element each time). A C ABI entry can turn a change of it into an error return.
inline long& emptyStreamReads() {
    static thread_local long count = 0;
    return count;
}

// The mode is part of the names below, so objects built in the two modes never mix in one link.
#if TF_CSIM_CONCURRENT
inline namespace concurrent {
#else
inline namespace sequential {
#endif

#if TF_CSIM_CONCURRENT
// One stage of a running region, as the deadlock check sees it.
struct Stage {
    std::string name;
    std::string region;
    bool done = false;
    // While blocked: what it waits for ("reading 'rowSums'") and whether that can happen now.
    bool blocked = false;
    std::string waitingFor;
    std::function<bool()> canProceed;
};

// Everything below is guarded by lock(): every stream operation and every stage state change.
inline std::mutex& lock() {
    static std::mutex m;
    return m;
}
inline std::condition_variable& changed() {
    static std::condition_variable cv;
    return cv;
}
inline std::vector<Stage*>& liveStages() {
    static std::vector<Stage*> stages;
    return stages;
}
inline Stage*& currentStage() {
    static thread_local Stage* stage = nullptr;
    return stage;
}

// Fails when every live stage is blocked on a condition that is false now: no stage can run, so no
// condition can ever become true. Called with lock() held.
inline void checkDeadlock() {
    const std::vector<Stage*>& stages = liveStages();
    if (stages.empty()) return;
    for (const Stage* s : stages) {
        if (!s->blocked || s->canProceed()) return;
    }
    std::string msg = "DATAFLOW deadlock:";
    for (size_t i = 0; i < stages.size(); ++i) {
        msg += i == 0 ? " stage " : ", stage ";
        msg += stages[i]->name + " blocked " + stages[i]->waitingFor;
    }
    msg += " (region '" + stages.front()->region + "')";
    fail("%s", msg.c_str());
}

// Blocks the calling stage until pred() holds, registering what it waits for. Called with lock()
// held (through lk); pred is evaluated under the same lock.
template <typename Pred>
void blockUntil(std::unique_lock<std::mutex>& lk, Stage* self, const std::string& waitingFor, Pred pred) {
    if (pred()) return;
    self->blocked = true;
    self->waitingFor = waitingFor;
    self->canProceed = pred;
    checkDeadlock();
    changed().wait(lk, pred);
    self->blocked = false;
    self->canProceed = nullptr;
}
#endif

// A DATAFLOW region in C-simulation: stage(name, f) adds a process, stageAfter(name, producer, f)
// one that reads a ping-pong buffer written by an earlier stage, run() waits for all of them. In
// sequential mode stage() simply calls f (the code is today's straight run of calls); in
// concurrent mode each stage gets a thread. Kernels write it through the TF_DATAFLOW_* macros of
// tf_hls.h, which become plain calls under __SYNTHESIS__.
class Dataflow {
public:
    explicit Dataflow(const char* region) : region_(region) {}
    Dataflow(const Dataflow&) = delete;
    Dataflow& operator=(const Dataflow&) = delete;

    template <typename F>
    Dataflow& stage(const char* name, F&& f) {
        return stageAfter(name, nullptr, static_cast<F&&>(f));
    }

    template <typename F>
    Dataflow& stageAfter(const char* name, const char* producer, F&& f) {
#if TF_CSIM_CONCURRENT
        int after = -1;
        if (producer != nullptr) {
            for (size_t i = 0; i < specs_.size(); ++i)
                if (specs_[i].name == producer) after = static_cast<int>(i);
            if (after < 0) fail("DATAFLOW region '%s': stage %s reads a buffer of %s, which is not an earlier stage",
                                region_, name, producer);
        }
        specs_.push_back(Spec{name, after, std::function<void()>(static_cast<F&&>(f))});
#else
        (void)name;
        (void)producer;
        f();
#endif
        return *this;
    }

    void run() {
#if TF_CSIM_CONCURRENT
        std::vector<Stage> stages(specs_.size());
        std::vector<std::thread> threads;
        Stage* const parent = currentStage();
        {
            std::lock_guard<std::mutex> g(lock());
            for (size_t i = 0; i < specs_.size(); ++i) {
                stages[i].name = specs_[i].name;
                stages[i].region = region_;
                liveStages().push_back(&stages[i]);
            }
        }
        for (size_t i = 0; i < specs_.size(); ++i) {
            threads.emplace_back([this, &stages, i] { runStage(stages, i); });
        }
        {
            std::unique_lock<std::mutex> lk(lock());
            auto allDone = [&stages] {
                for (const Stage& s : stages)
                    if (!s.done) return false;
                return true;
            };
            if (parent != nullptr) {
                blockUntil(lk, parent, std::string("running DATAFLOW region '") + region_ + "'", allDone);
            } else {
                changed().wait(lk, allDone);
            }
        }
        for (std::thread& t : threads) t.join();
#endif
    }

private:
#if TF_CSIM_CONCURRENT
    struct Spec {
        std::string name;
        int after;  // index of the stage whose ping-pong buffer this one reads, or -1
        std::function<void()> body;
    };

    void runStage(std::vector<Stage>& stages, size_t i) {
        Stage* self = &stages[i];
        currentStage() = self;
        const int after = specs_[i].after;
        if (after >= 0) {
            std::unique_lock<std::mutex> lk(lock());
            const Stage* producer = &stages[after];
            blockUntil(lk, self, "waiting for the ping-pong buffer of stage " + producer->name,
                       [producer] { return producer->done; });
        }
        specs_[i].body();
        std::lock_guard<std::mutex> g(lock());
        self->done = true;
        std::vector<Stage*>& live = liveStages();
        for (size_t k = 0; k < live.size(); ++k) {
            if (live[k] == self) {
                live.erase(live.begin() + static_cast<long>(k));
                break;
            }
        }
        currentStage() = nullptr;
        changed().notify_all();
        checkDeadlock();
    }

    std::vector<Spec> specs_;
#endif
    const char* region_;
};

}  // inline namespace
}  // namespace csim
}  // namespace tf

#endif
