// Testbench of tf_embed_q4: group sizes 32/64/128 and odd ones, zero points present/absent; exact.
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

int main() {
    tb::Checker check("tf_embed_q4");
    tb::Rng rng(41);
    const int shapes[][2] = {{32, 32}, {128, 64}, {256, 128}, {21, 7}, {15, 15}, {96, 32}};
    for (const auto& shape : shapes) {
        const int cols = shape[0], group = shape[1], rows = 4, groups = cols / group, rowBytes = (cols + 1) / 2;
        std::vector<uint8_t> w(size_t(rows) * rowBytes);
        for (auto& q : w) q = static_cast<uint8_t>(rng.intIn(0, 255));
        const auto scales = rng.floats(size_t(rows) * groups, 0.001f, 0.1f);
        std::vector<uint8_t> zeros(size_t(rows) * groups);
        for (auto& z : zeros) z = static_cast<uint8_t>(rng.intIn(0, 15));
        for (int withZeros = 0; withZeros <= 1; ++withZeros) {
            for (int row = 0; row < rows; ++row) {
                std::vector<float> out(cols, -999.0f);
                tf_embed_q4(w.data(), scales.data(), withZeros ? zeros.data() : nullptr, row, out.data(), cols, group);
                std::vector<double> expected(cols);
                for (int c = 0; c < cols; ++c) {
                    const uint8_t byte = w[size_t(row) * rowBytes + c / 2];
                    const int q = c % 2 == 0 ? (byte & 15) : (byte >> 4);
                    const int g = c / group;
                    const int z = withZeros ? zeros[size_t(row) * groups + g] : 8;
                    expected[c] = float(q - z) * scales[size_t(row) * groups + g];
                }
                const std::string name = "cols " + std::to_string(cols) + " g" + std::to_string(group) + " row " +
                                         std::to_string(row) + (withZeros ? " zeros" : "");
                check.closeElementwise(name.c_str(), expected, out.data(), 0.0, 0.0);
            }
        }
    }
    return check.finish();
}
