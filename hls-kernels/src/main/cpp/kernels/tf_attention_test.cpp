// Testbench of tf_attention: MHA/GQA/MQA, fp16 and int8 KV pools written by tf_kv_write, page
// boundaries and shuffled page tables, seqLen 1..(pages x pageTokens), large logits (softmax
// stability), against a two-pass double softmax over the dequantized cache.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
// Online softmax in fp32: each output is a convex combination of V rows, so error is relative to
// max |V| with a few fp32 roundings per token.
constexpr double kAbsTol = 2e-5;
constexpr double kRelTol = 2e-5;

double dequant(const std::vector<uint16_t>& p16, const std::vector<int8_t>& p8, const std::vector<float>& scales,
               int kvDtype, size_t slot, int headDim, int d) {
    return kvDtype == TF_KV_FP16 ? tb::halfToDouble(p16[slot * headDim + d])
                                 : double(p8[slot * headDim + d]) * scales[slot];
}
}  // namespace

int main() {
    tb::Checker check("tf_attention");
    tb::Rng rng(7);
    struct Case { int heads, kvHeads, headDim, pageTokens, pages; };
    const Case cases[] = {{4, 4, 32, 4, 3}, {8, 2, 64, 16, 2}, {6, 1, 20, 5, 4}, {32, 8, 128, 16, 3}, {3, 3, 7, 1, 5}};
    for (const Case& cs : cases) {
        for (int kvDtype : {TF_KV_FP16, TF_KV_INT8}) {
            for (float qAmp : {1.0f, 30.0f}) {
                const int capacity = cs.pages * cs.pageTokens;
                const size_t slots = size_t(capacity) * cs.kvHeads;
                std::vector<int32_t> pageTable(cs.pages);
                for (int i = 0; i < cs.pages; ++i) pageTable[i] = i;
                for (int i = cs.pages - 1; i > 0; --i) std::swap(pageTable[i], pageTable[rng.intIn(0, i)]);
                std::vector<uint16_t> k16(slots * cs.headDim), v16(slots * cs.headDim);
                std::vector<int8_t> k8(slots * cs.headDim), v8(slots * cs.headDim);
                std::vector<float> ks(slots), vs(slots);
                void* kPool = kvDtype == TF_KV_FP16 ? static_cast<void*>(k16.data()) : static_cast<void*>(k8.data());
                void* vPool = kvDtype == TF_KV_FP16 ? static_cast<void*>(v16.data()) : static_cast<void*>(v8.data());
                for (int t = 0; t < capacity; ++t) {
                    const auto k = rng.floats(size_t(cs.kvHeads) * cs.headDim);
                    const auto v = rng.floats(size_t(cs.kvHeads) * cs.headDim, -2.0f, 2.0f);
                    tf_kv_write(kPool, ks.data(), vPool, vs.data(), pageTable.data(), t, k.data(), v.data(), cs.kvHeads,
                                cs.headDim, cs.pageTokens, kvDtype);
                }
                const auto q = rng.floats(size_t(cs.heads) * cs.headDim, -qAmp, qAmp);
                const float scale = 1.0f / std::sqrt(float(cs.headDim));
                for (int seqLen : {1, cs.pageTokens, cs.pageTokens + 1, capacity}) {
                    std::vector<float> out(size_t(cs.heads) * cs.headDim, -999.0f);
                    tf_attention(q.data(), kPool, ks.data(), vPool, vs.data(), pageTable.data(), out.data(), cs.heads,
                                 cs.kvHeads, cs.headDim, seqLen, cs.pageTokens, kvDtype, scale);
                    std::vector<double> expected(out.size()), mag(out.size());
                    const int group = cs.heads / cs.kvHeads;
                    for (int h = 0; h < cs.heads; ++h) {
                        const int kvh = h / group;
                        std::vector<double> s(seqLen);
                        double m = -INFINITY;
                        for (int t = 0; t < seqLen; ++t) {
                            const size_t slot = (size_t(pageTable[t / cs.pageTokens]) * cs.pageTokens + t % cs.pageTokens) *
                                                    cs.kvHeads + kvh;
                            double dot = 0;
                            for (int d = 0; d < cs.headDim; ++d) {
                                dot += double(q[size_t(h) * cs.headDim + d]) * dequant(k16, k8, ks, kvDtype, slot, cs.headDim, d);
                            }
                            s[t] = dot * scale;
                            m = std::max(m, s[t]);
                        }
                        double sum = 0;
                        for (double& x : s) sum += (x = std::exp(x - m));
                        for (int d = 0; d < cs.headDim; ++d) {
                            double acc = 0, vmax = 0;
                            for (int t = 0; t < seqLen; ++t) {
                                const size_t slot = (size_t(pageTable[t / cs.pageTokens]) * cs.pageTokens +
                                                     t % cs.pageTokens) * cs.kvHeads + kvh;
                                const double vv = dequant(v16, v8, vs, kvDtype, slot, cs.headDim, d);
                                acc += s[t] / sum * vv;
                                vmax = std::max(vmax, std::fabs(vv));
                            }
                            expected[size_t(h) * cs.headDim + d] = acc;
                            mag[size_t(h) * cs.headDim + d] = vmax;
                        }
                    }
                    const std::string name = std::to_string(cs.heads) + "/" + std::to_string(cs.kvHeads) + " heads d" +
                                             std::to_string(cs.headDim) + (kvDtype == TF_KV_FP16 ? " fp16" : " int8") +
                                             " qAmp " + std::to_string(qAmp) + " seqLen " + std::to_string(seqLen);
                    check.close(name.c_str(), expected, out.data(), mag, kAbsTol, kRelTol);
                }
            }
        }
    }
    return check.finish();
}
