//===- ElementwiseTest.cpp - Reference unary, binary, norm and cast ops ---===//
//
// Hand-checked values for the activations, NumPy broadcasting of the binary
// ops against an explicit loop, softmax along an axis, layer_norm, rms_norm
// and cast.
//
//===----------------------------------------------------------------------===//

#include "test/unit/Reference/TestUtil.h"

#include <cmath>

namespace kiln::reference::test {
namespace {

Tensor unary(const std::string &op, const std::vector<double> &x) {
  int64_t n = static_cast<int64_t>(x.size());
  return runOp(op, {tensor({n}, x)}, json::object(), {n});
}

TEST(ReferenceElementwise, Activations) {
  const double e = std::exp(1.0);
  expectNear(unary("relu", {-2, -0.5, 0, 0.5, 3}), tensor({5}, {0, 0, 0, 0.5, 3}));
  // Φ(1) and Φ(-1)·(-1) for the erf form; the tanh form differs at 1e-4.
  expectNear(unary("gelu", {1, -1, 0}),
             tensor({3}, {0.8413447460685429, -0.15865525393145707, 0}));
  expectNear(unary("gelu_tanh", {1, -1, 0}),
             tensor({3}, {0.8411919906082768, -0.15880800939172324, 0}));
  expectNear(unary("sigmoid", {0, 1}), tensor({2}, {0.5, e / (1 + e)}));
  expectNear(unary("silu", {1, -1}), tensor({2}, {e / (1 + e), -1 / (1 + e)}));
  expectNear(unary("tanh", {0.5}), tensor({1}, {0.46211715726000974}));
  expectNear(unary("exp", {1, 0}), tensor({2}, {e, 1}));
  // softplus is the identity above 20 (PyTorch's threshold).
  expectNear(unary("softplus", {0, 20, 25, -30}),
             tensor({4}, {std::log(2.0), 20.000000002061153, 25, 9.357622968840175e-14}),
             1e-5);
  expectNear(unary("neg", {1.5, -2}), tensor({2}, {-1.5, 2}));
  expectNear(unary("rsqrt", {4, 0.25}), tensor({2}, {0.5, 2}));
}

TEST(ReferenceElementwise, BinaryOpsBroadcast) {
  Tensor a = random({2, 1, 3}, 11), b = random({2, 1}, 12, 0.5, 2.0);
  for (std::string op : {"add", "sub", "mul", "div"}) {
    Tensor y = runOp(op, {a, b}, json::object(), {2, 2, 3});
    Tensor expected = tensor({2, 2, 3}, {});
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j)
        for (int k = 0; k < 3; ++k) {
          double u = a.data[i * 3 + k], v = b.data[j];
          double r = op == "add" ? u + v : op == "sub" ? u - v
                     : op == "mul" ? u * v : u / v;
          expected.data.push_back(static_cast<float>(r));
        }
    expectNear(y, expected, 0);
  }
  std::string error;
  EXPECT_FALSE(tryOp("add", {random({2, 3}, 1), random({4}, 2)}, json::object(),
                     {{2, 3}}, error));
  EXPECT_EQ(error, "add at /nodes/0: b: cannot broadcast [2, 3] with [4]: 3 "
                   "vs 4 (dims must be equal or one of them 1)");
}

TEST(ReferenceElementwise, SoftmaxAlongAnAxis) {
  Tensor x = tensor({2, 3}, {1, 2, 3, 3, 2, 1000});
  Tensor y0 = runOp("softmax", {x}, {{"axis", 0}}, {2, 3});
  auto pair = [](double a, double b) { return std::exp(a) / (std::exp(a) + std::exp(b)); };
  expectNear(y0, tensor({2, 3}, {pair(1, 3), 0.5, 0, pair(3, 1), 0.5, 1}));
  Tensor y1 = runOp("softmax", {x}, {{"axis", 1}}, {2, 3});
  double s = std::exp(1) + std::exp(2) + std::exp(3);
  expectNear(y1, tensor({2, 3}, {std::exp(1) / s, std::exp(2) / s, std::exp(3) / s,
                                 0, 0, 1}));
}

TEST(ReferenceElementwise, LayerNorm) {
  // mean 2.5, biased variance 1.25.
  Tensor x = tensor({1, 4}, {1, 2, 3, 4});
  Tensor w = tensor({4}, {1, 1, 2, 2}), b = tensor({4}, {0, 1, 0, 1});
  double inv = 1 / std::sqrt(1.25 + 0.25);
  Tensor y = runOp("layer_norm", {x, w, b}, {{"eps", 0.25}}, {1, 4});
  expectNear(y, tensor({1, 4}, {-1.5 * inv, -0.5 * inv + 1, 0.5 * inv * 2,
                                1.5 * inv * 2 + 1}));
  Tensor noBias = runOp("layer_norm", {x, w, std::nullopt}, {{"eps", 0.25}}, {1, 4});
  expectNear(noBias, tensor({1, 4}, {-1.5 * inv, -0.5 * inv, inv, 3 * inv}));
}

TEST(ReferenceElementwise, RmsNorm) {
  // Row 0: mean(x²) = (9 + 16)/2 = 12.5; row 1: mean(x²) = 0.5.
  Tensor x = tensor({2, 2}, {3, -4, 1, 0});
  Tensor w = tensor({2}, {2, 1});
  Tensor y = runOp("rms_norm", {x, w}, {{"eps", 1e-5}}, {2, 2});
  double r0 = 1 / std::sqrt(12.5 + 1e-5), r1 = 1 / std::sqrt(0.5 + 1e-5);
  expectNear(y, tensor({2, 2}, {6 * r0, -4 * r0, 2 * r1, 0}));
}

TEST(ReferenceElementwise, Cast) {
  Tensor f = tensor({4}, {-1.7, 2.9, -0.2, 7});
  Tensor i = runOp("cast", {f}, {{"dtype", "i32"}}, {4}, DType::I32);
  EXPECT_EQ(i.dtype, DType::I32);
  expectNear(i, tensor({4}, {-1, 2, 0, 7}, DType::I32), 0);
  // 2049 is a tie between two f16 values: rounds to even.
  Tensor h = runOp("cast", {tensor({2}, {2049, 2051}, DType::I32)}, {{"dtype", "f16"}},
                   {2}, DType::F16);
  expectNear(h, tensor({2}, {2048, 2052}, DType::F16), 0);
  Tensor back = runOp("cast", {h}, {{"dtype", "f32"}}, {2}, DType::F32);
  expectNear(back, tensor({2}, {2048, 2052}), 0);
  std::string error;
  EXPECT_FALSE(tryOp("cast", {tensor({2}, {1, 1e10})}, {{"dtype", "i32"}}, {{2}},
                     error, DType::I32));
  EXPECT_EQ(error, "cast at /nodes/0: element 1 (1e+10) is out of range of i32");
}

} // namespace
} // namespace kiln::reference::test
