//===- ShapeOpsTest.cpp - Reference data-movement ops and reductions ------===//
//
// reshape (static and symbolic targets), transpose, slice, concat, split and
// the reductions, each against hand-written values or an explicit loop.
//
//===----------------------------------------------------------------------===//

#include "test/unit/Reference/TestUtil.h"

#include <cmath>
#include <limits>

namespace kiln::reference::test {
namespace {

Tensor iota(Dims shape, DType dtype = DType::F32) {
  Tensor t = tensor(shape, {}, dtype);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data.push_back(static_cast<double>(i));
  return t;
}

TEST(ReferenceShape, ReshapeReadsTheDeclaredOutputType) {
  ModelBuilder b({"batch", "n"});
  b.input({"x", DType::F32, {"batch", 6}})
      .node("reshape", {"x"}, {{"y", DType::F32, {"batch", 2, 3}}},
            {{"shape", {"batch", 2, 3}}})
      // 'n' is bound by no input: it is inferred from the element count.
      .node("reshape", {"y"}, {{"z", DType::F32, {"batch", "n"}}},
            {{"shape", {"batch", "n"}}})
      .output("y")
      .output("z");
  std::string error;
  auto out = evaluate(b.model(), {{"x", iota({2, 6})}}, {}, error);
  ASSERT_TRUE(out) << error;
  expectNear((*out)[0], iota({2, 2, 3}), 0);
  expectNear((*out)[1], iota({2, 6}), 0);

  EXPECT_FALSE(tryOp("reshape", {iota({2, 3})}, {{"shape", {4}}}, {{4}}, error));
  EXPECT_EQ(error, "reshape at /nodes/0: cannot reshape x of shape [2, 3] to [4]: "
                   "static sizes multiply to 6 vs 4; expected equal products");
}

TEST(ReferenceShape, Transpose) {
  Tensor x = iota({2, 3, 4});
  Tensor y = runOp("transpose", {x}, {{"perm", {2, 0, 1}}}, {4, 2, 3});
  Tensor expected = tensor({4, 2, 3}, {});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k)
        expected.data.push_back(x.data[(j * 3 + k) * 4 + i]); // out dim i = in dim perm[i].
  expectNear(y, expected, 0);
  std::string error;
  EXPECT_FALSE(tryOp("transpose", {x}, {{"perm", {0, 0, 1}}}, {{2, 2, 3}}, error));
  EXPECT_EQ(error, "transpose at /nodes/0: expected a permutation of the 3 axes "
                   "of [2, 3, 4], got [0, 0, 1]");
}

TEST(ReferenceShape, Slice) {
  Tensor y = runOp("slice", {iota({2, 5})}, {{"axis", 1}, {"start", 1}, {"end", 4}}, {2, 3});
  expectNear(y, tensor({2, 3}, {1, 2, 3, 6, 7, 8}), 0);
  Tensor rows = runOp("slice", {iota({3, 2})}, {{"axis", 0}, {"start", 2}, {"end", 3}}, {1, 2});
  expectNear(rows, tensor({1, 2}, {4, 5}), 0);
}

TEST(ReferenceShape, Concat) {
  Tensor a = tensor({2, 1}, {-1, -2}, DType::I32), b = iota({2, 3}, DType::I32);
  Tensor y = runOp("concat", {a, b}, {{"axis", 1}}, {2, 4});
  expectNear(y, tensor({2, 4}, {-1, 0, 1, 2, -2, 3, 4, 5}, DType::I32), 0);
  Tensor z = runOp("concat", {b, b, b}, {{"axis", 0}}, {6, 3});
  EXPECT_EQ(z.data[6], 0); // Row 2 starts the second copy.
  EXPECT_EQ(z.data[17], 5);
  std::string error;
  EXPECT_FALSE(tryOp("concat", {a, iota({3, 3}, DType::I32)}, {{"axis", 1}}, {{2, 4}}, error));
  EXPECT_EQ(error, "concat at /nodes/0: x1 has shape [3, 3]; expected dim 0 to "
                   "be 2 (as in input x0)");
  EXPECT_FALSE(tryOp("concat", {a, iota({2, 3})}, {{"axis", 1}}, {{2, 4}}, error));
  EXPECT_EQ(error, "concat at /nodes/0: x1 is f32, expected i32, the dtype of x0");
}

TEST(ReferenceShape, Split) {
  std::string error;
  auto out = tryOp("split", {iota({2, 5})}, {{"axis", 1}, {"sizes", {2, 3}}},
                   {{2, 2}, {2, 3}}, error);
  ASSERT_TRUE(out) << error;
  expectNear((*out)[0], tensor({2, 2}, {0, 1, 5, 6}), 0);
  expectNear((*out)[1], tensor({2, 3}, {2, 3, 4, 7, 8, 9}), 0);
  EXPECT_FALSE(tryOp("split", {iota({2, 5})}, {{"axis", 1}, {"sizes", {2, 2}}},
                     {{2, 2}, {2, 2}}, error));
  EXPECT_EQ(error, "split at /nodes/0: sizes add up to 4; expected 5, the size "
                   "of axis 1 of [2, 5]");
}

TEST(ReferenceShape, Reductions) {
  Tensor x = iota({2, 3, 4});
  // Sum over axes 0 and 2 of x[i][j][k] = 12i + 4j + k: 8·4j + 4·12 + 2·6.
  Tensor s = runOp("reduce_sum", {x}, {{"axes", {0, 2}}, {"keepdims", false}}, {3});
  expectNear(s, tensor({3}, {60, 92, 124}), 0);
  Tensor sk = runOp("reduce_sum", {x}, {{"axes", {0, 2}}, {"keepdims", true}}, {1, 3, 1});
  expectNear(sk, tensor({1, 3, 1}, {60, 92, 124}), 0);
  Tensor mean = runOp("reduce_mean", {x}, {{"axes", {0, 1, 2}}, {"keepdims", false}}, {});
  expectNear(mean, tensor({}, {11.5}), 0);
  Tensor mx = runOp("reduce_max", {x}, {{"axes", {1}}, {"keepdims", false}}, {2, 4});
  expectNear(mx, tensor({2, 4}, {8, 9, 10, 11, 20, 21, 22, 23}), 0);
  // NaN propagates through max (PyTorch).
  double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor withNaN = runOp("reduce_max", {tensor({3}, {1, nan, 2})},
                         {{"axes", {0}}, {"keepdims", false}}, {});
  EXPECT_TRUE(std::isnan(withNaN.data[0]));
  Tensor ints = runOp("reduce_sum", {iota({2, 2}, DType::I64)},
                      {{"axes", {1}}, {"keepdims", false}}, {2});
  expectNear(ints, tensor({2}, {1, 5}, DType::I64), 0);
}

} // namespace
} // namespace kiln::reference::test
