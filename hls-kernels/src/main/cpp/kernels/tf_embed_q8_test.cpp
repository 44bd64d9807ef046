// Testbench of tf_embed_q8: every row of small tables, odd widths; exact (one fp32 multiply).
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

int main() {
    tb::Checker check("tf_embed_q8");
    tb::Rng rng(81);
    for (int cols : {1, 7, 64, 257}) {
        const int rows = 5;
        std::vector<int8_t> w(size_t(rows) * cols);
        for (auto& q : w) q = static_cast<int8_t>(rng.intIn(-128, 127));
        const auto scales = rng.floats(rows, 0.001f, 0.1f);
        for (int row = 0; row < rows; ++row) {
            std::vector<float> out(cols, -999.0f);
            tf_embed_q8(w.data(), scales.data(), row, out.data(), cols);
            std::vector<float> expected(cols);
            for (int c = 0; c < cols; ++c) expected[c] = float(w[size_t(row) * cols + c]) * scales[row];
            const std::string name = "cols " + std::to_string(cols) + " row " + std::to_string(row);
            std::vector<double> e(expected.begin(), expected.end());
            check.closeElementwise(name.c_str(), e, out.data(), 0.0, 0.0);
        }
    }
    return check.finish();
}
