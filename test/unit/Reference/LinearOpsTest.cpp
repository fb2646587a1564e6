//===- LinearOpsTest.cpp - Reference linear, matmul, mlp, glu, embedding --===//
//
// linear and matmul on hand-checked values and against explicit loops; the
// mlp and glu blocks against their definitions written out in the test;
// embedding lookup and its out-of-range error.
//
//===----------------------------------------------------------------------===//

#include "test/unit/Reference/TestUtil.h"

#include <cmath>

namespace kiln::reference::test {
namespace {

/// y[r, o] = Σ_i x[r, i] w[o, i] (+ b[o]) written out for the tests.
std::vector<double> naiveDense(const std::vector<double> &x, int64_t rows,
                               const Tensor &w, const Tensor *b = nullptr) {
  int64_t out = w.shape[0], in = w.shape[1];
  std::vector<double> y;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double acc = b ? b->data[o] : 0;
      for (int64_t i = 0; i < in; ++i)
        acc += x[r * in + i] * w.data[o * in + i];
      y.push_back(acc);
    }
  return y;
}

TEST(ReferenceLinear, HandValues) {
  Tensor x = tensor({1, 1, 2}, {1, 2});
  Tensor w = tensor({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor b = tensor({3}, {0.5, 0, -1});
  expectNear(runOp("linear", {x, w, b}, json::object(), {1, 1, 3}),
             tensor({1, 1, 3}, {1.5, 2, 2}));
  expectNear(runOp("linear", {x, w, std::nullopt}, json::object(), {1, 1, 3}),
             tensor({1, 1, 3}, {1, 2, 3}));
  std::string error;
  EXPECT_FALSE(tryOp("linear", {x, tensor({3, 3}, std::vector<double>(9, 0)), std::nullopt},
                     json::object(), {{1, 1, 3}}, error));
  EXPECT_EQ(error, "linear at /nodes/0: w has shape [3, 3]; expected dim 1 "
                   "to be 2 (D of x)");
}

TEST(ReferenceLinear, MatmulBroadcastsBatchDims) {
  Tensor a = random({2, 1, 3, 4}, 21), b = random({3, 4, 5}, 22);
  Tensor y = runOp("matmul", {a, b}, json::object(), {2, 3, 3, 5});
  Tensor expected = tensor({2, 3, 3, 5}, {});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int m = 0; m < 3; ++m)
        for (int n = 0; n < 5; ++n) {
          double acc = 0;
          for (int k = 0; k < 4; ++k)
            acc += a.data[(i * 3 + m) * 4 + k] * b.data[(j * 4 + k) * 5 + n];
          expected.data.push_back(static_cast<float>(acc));
        }
  expectNear(y, expected, 0);
}

TEST(ReferenceLinear, MatmulVectorOperands) {
  Tensor m = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor v3 = tensor({3}, {1, 0, -1}), v2 = tensor({2}, {1, 1});
  expectNear(runOp("matmul", {m, v3}, json::object(), {2}), tensor({2}, {-2, -2}));
  expectNear(runOp("matmul", {v2, m}, json::object(), {3}), tensor({3}, {5, 7, 9}));
  expectNear(runOp("matmul", {v3, v3}, json::object(), {}), tensor({}, {2}));
}

TEST(ReferenceLinear, MlpMatchesItsDefinition) {
  Tensor x = random({2, 3, 4}, 31), wIn = random({6, 4}, 32),
         bIn = random({6}, 33), wOut = random({5, 6}, 34), bOut = random({5}, 35);
  std::map<std::string, double (*)(double)> acts = {
      {"relu", [](double v) { return v > 0 ? v : 0; }},
      {"gelu", [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
      {"gelu_tanh",
       [](double v) {
         return 0.5 * v * (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
       }},
      {"silu", [](double v) { return v / (1 + std::exp(-v)); }},
      {"relu2", [](double v) { return v > 0 ? v * v : 0; }},
  };
  for (const auto &[name, act] : acts) {
    std::vector<double> h = naiveDense(x.data, 6, wIn, &bIn);
    for (double &v : h)
      v = act(v);
    Tensor expected = tensor({2, 3, 5}, naiveDense(h, 6, wOut, &bOut));
    Tensor y = runOp("mlp", {x, wIn, bIn, wOut, bOut}, {{"activation", name}}, {2, 3, 5});
    SCOPED_TRACE(name);
    expectNear(y, expected, 1e-6);
  }
  // Without biases.
  std::vector<double> h = naiveDense(x.data, 6, wIn);
  for (double &v : h)
    v = v > 0 ? v : 0;
  expectNear(runOp("mlp", {x, wIn, std::nullopt, wOut, std::nullopt},
                   {{"activation", "relu"}}, {2, 3, 5}),
             tensor({2, 3, 5}, naiveDense(h, 6, wOut)), 1e-6);
}

TEST(ReferenceLinear, GluMatchesItsDefinition) {
  Tensor x = random({1, 3, 4}, 41), wGate = random({6, 4}, 42),
         wUp = random({6, 4}, 43), wDown = random({4, 6}, 44);
  std::vector<double> gate = naiveDense(x.data, 3, wGate),
                      up = naiveDense(x.data, 3, wUp);
  for (size_t i = 0; i < gate.size(); ++i)
    gate[i] = gate[i] / (1 + std::exp(-gate[i])) * up[i]; // SwiGLU.
  expectNear(runOp("glu", {x, wGate, wUp, wDown}, {{"activation", "silu"}}, {1, 3, 4}),
             tensor({1, 3, 4}, naiveDense(gate, 3, wDown)), 1e-6);
  std::string error;
  EXPECT_FALSE(tryOp("glu", {x, wGate, wUp, wDown}, {{"activation", "relu2"}},
                     {{1, 3, 4}}, error));
  EXPECT_EQ(error, "glu at /nodes/0: unknown activation 'relu2'");
}

TEST(ReferenceLinear, Embedding) {
  Tensor table = tensor({3, 2}, {0, 1, 10, 11, 20, 21});
  Tensor ids = tensor({2, 2}, {2, 0, 1, 1}, DType::I64);
  expectNear(runOp("embedding", {ids, table}, json::object(), {2, 2, 2}, DType::F32),
             tensor({2, 2, 2}, {20, 21, 0, 1, 10, 11, 10, 11}));
  std::string error;
  EXPECT_FALSE(tryOp("embedding", {tensor({1}, {3}, DType::I32), table},
                     json::object(), {{1, 2}}, error, DType::F32));
  EXPECT_EQ(error, "embedding at /nodes/0: id 3 out of range [0, 3)");
  EXPECT_FALSE(tryOp("embedding", {tensor({1}, {-1}, DType::I32), table},
                     json::object(), {{1, 2}}, error, DType::F32));
  EXPECT_EQ(error, "embedding at /nodes/0: id -1 out of range [0, 3)");
}

} // namespace
} // namespace kiln::reference::test
