// Testbench of tf_argmax: random vectors, ties (first index wins), maximum at either end, NaNs.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
int32_t reference(const std::vector<float>& x) {
    int32_t best = 0;
    for (size_t i = 1; i < x.size(); ++i) {
        if (x[i] > x[best]) best = static_cast<int32_t>(i);
    }
    return best;
}
}  // namespace

int main() {
    tb::Checker check("tf_argmax");
    tb::Rng rng(13);
    std::vector<std::vector<float>> inputs;
    for (int n : {1, 2, 31, 50257, 128256}) inputs.push_back(rng.floats(n, -10.0f, 10.0f));
    inputs.push_back({1.0f, 3.0f, 3.0f, 2.0f});          // tie: first wins
    inputs.push_back({5.0f, 1.0f, 2.0f});                // max first
    inputs.push_back({1.0f, 2.0f, 9.0f});                // max last
    inputs.push_back({-INFINITY, -INFINITY, -1e30f});    // all very negative
    inputs.push_back({1.0f, NAN, 4.0f, NAN, 2.0f});      // NaNs skipped
    for (size_t i = 0; i < inputs.size(); ++i) {
        const int32_t expected = reference(inputs[i]);
        const int32_t actual = tf_argmax(inputs[i].data(), static_cast<int32_t>(inputs[i].size()));
        check.exact(("input " + std::to_string(i)).c_str(), &expected, &actual, 1);
    }
    return check.finish();
}
