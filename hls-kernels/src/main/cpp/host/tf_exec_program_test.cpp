// Testbench of tf_exec_program: a program of add + swiglu + rmsnorm gives bit for bit what the
// direct calls give; an unknown opcode stops the program and names the command.
#include <cstdint>
#include <cstring>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

static int64_t addr(const void* p) { return static_cast<int64_t>(reinterpret_cast<intptr_t>(p)); }
static int64_t bits(float f) { uint32_t u; std::memcpy(&u, &f, sizeof u); return u; }

int main() {
    tb::Checker check("tf_exec_program");
    tb::Rng rng(7);
    const int n = 37;
    const auto a = rng.floats(n, -3.0f, 3.0f), b = rng.floats(n), w = rng.floats(n);
    std::vector<float> s1(n), g1(n), y1(n), s2(n), g2(n), y2(n);
    tf_add(a.data(), b.data(), s1.data(), n);
    tf_swiglu(s1.data(), b.data(), g1.data(), n);
    tf_rmsnorm(g1.data(), w.data(), y1.data(), n, 1e-5f, 1);
    const std::vector<int64_t> program = {
        TF_OP_ADD, addr(a.data()), addr(b.data()), addr(s2.data()), n,
        TF_OP_SWIGLU, addr(s2.data()), addr(b.data()), addr(g2.data()), n,
        TF_OP_RMSNORM, addr(g2.data()), addr(w.data()), addr(y2.data()), n, bits(1e-5f), 1,
    };
    const int32_t ran = tf_exec_program(program.data(), 3);
    std::vector<double> expected(y1.begin(), y1.end());
    check.closeElementwise("add+swiglu+rmsnorm bit for bit", expected, y2.data(), 0.0, 0.0);
    float ranF = float(ran);
    check.closeElementwise("returns the command count", std::vector<double>{3.0}, &ranF, 0.0, 0.0);
    const std::vector<int64_t> bad = {TF_OP_ADD, addr(a.data()), addr(b.data()), addr(s2.data()), n, 99};
    float badF = float(tf_exec_program(bad.data(), 2));
    check.closeElementwise("unknown opcode at command 1 returns -2", std::vector<double>{-2.0}, &badF, 0.0, 0.0);
    return check.finish();
}
