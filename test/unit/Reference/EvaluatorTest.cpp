//===- EvaluatorTest.cpp - Reference evaluator: binding, graphs, compare --===//
//
// Input and parameter binding (dtypes, static and symbolic dims), error
// values for bad models and bad inputs, multi-node graphs, rounding to the
// storage dtype, and the allclose-style compare().
//
//===----------------------------------------------------------------------===//

#include "test/unit/Reference/TestUtil.h"

#include <cmath>
#include <limits>

namespace kiln::reference::test {
namespace {

const double inf = std::numeric_limits<double>::infinity();
const double nan = std::numeric_limits<double>::quiet_NaN();

/// y = x + x over [batch, seq, 4], with an unused i32 input sharing dims.
ModelBuilder twoInputModel() {
  ModelBuilder b({"batch", "seq"});
  b.input({"x", DType::F32, {"batch", "seq", 4}})
      .input({"tokens", DType::I32, {"batch", "seq"}})
      .param({"w", DType::F32, {4}})
      .node("add", {"x", "w"}, {{"y", DType::F32, {"batch", "seq", 4}}})
      .output("y");
  return b;
}

std::string evalError(const model::Model &m,
                      const std::map<std::string, Tensor> &inputs,
                      const std::map<std::string, Tensor> &params) {
  std::string error;
  EXPECT_FALSE(evaluate(m, inputs, params, error).has_value());
  return error;
}

TEST(ReferenceEvaluator, BindsSymbolicDimsAcrossInputs) {
  ModelBuilder b = twoInputModel();
  std::map<std::string, Tensor> params{{"w", tensor({4}, {1, 2, 3, 4})}};
  Tensor x = random({2, 5, 4}, 1);
  std::string error;
  auto out = evaluate(b.model(),
                      {{"x", x}, {"tokens", tensor({2, 5}, std::vector<double>(10, 0), DType::I32)}},
                      params, error);
  ASSERT_TRUE(out) << error;
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].shape, (Dims{2, 5, 4}));
  EXPECT_DOUBLE_EQ((*out)[0].data[7], static_cast<float>(x.data[7] + 4));

  EXPECT_EQ(evalError(b.model(),
                      {{"x", x},
                       {"tokens", tensor({2, 7}, std::vector<double>(14, 0),
                                         DType::I32)}},
                      params),
            "input 'tokens': dim 1 is 7 but 'seq' was bound to 5 by input 'x'");
}

TEST(ReferenceEvaluator, ReportsBadInputsAndParams) {
  ModelBuilder b = twoInputModel();
  Tensor x = random({1, 2, 4}, 2);
  Tensor tokens = tensor({1, 2}, {3, 4}, DType::I32);
  Tensor w = tensor({4}, {1, 2, 3, 4});
  EXPECT_EQ(evalError(b.model(), {{"x", x}, {"tokens", tokens}},
                      {{"w", tensor({5}, {1, 2, 3, 4, 5})}}),
            "param 'w': dim 0 is 5, expected 4");
  EXPECT_EQ(evalError(b.model(), {{"x", x}}, {{"w", w}}),
            "missing input 'tokens' (i32 [batch, seq])");
  EXPECT_EQ(evalError(b.model(),
                      {{"x", x}, {"tokens", tokens}, {"extra", tokens}},
                      {{"w", w}}),
            "unknown input 'extra' (the model's inputs are 'x', 'tokens')");
  Tensor badType = tokens;
  badType.dtype = DType::I64;
  EXPECT_EQ(evalError(b.model(), {{"x", x}, {"tokens", badType}}, {{"w", w}}),
            "input 'tokens': dtype is i64 but the model declares i32");
  EXPECT_EQ(evalError(b.model(),
                      {{"x", x}, {"tokens", tensor({1, 2}, {3, 4.5}, DType::I32)}},
                      {{"w", w}}),
            "input 'tokens': element 1 (4.5) is not an i32 value");
  EXPECT_EQ(evalError(b.model(), {{"x", tensor({1, 2, 4}, {1, 2})}, {"tokens", tokens}},
                      {{"w", w}}),
            "input 'x': holds 2 values but its shape [1, 2, 4] has 8");
  EXPECT_EQ(evalError(b.model(), {{"x", random({2, 4}, 3)}, {"tokens", tokens}},
                      {{"w", w}}),
            "input 'x': shape [2, 4] has rank 2 but the model declares "
            "[batch, seq, 4]");
  EXPECT_EQ(evalError(b.model(), {{"x", tensor({1, 0, 4}, {})}, {"tokens", tokens}},
                      {{"w", w}}),
            "input 'x': dim 1 is 0; sizes must be positive");
  // Extra parameters (a weights file with more tensors) are fine.
  std::string error;
  EXPECT_TRUE(evaluate(b.model(), {{"x", x}, {"tokens", tokens}},
                       {{"w", w}, {"unused", w}}, error))
      << error;
}

TEST(ReferenceEvaluator, BadNodesAreErrorsNotCrashes) {
  ModelBuilder unknown;
  unknown.input({"x", DType::F32, {2}})
      .node("frobnicate", {"x"}, {{"y", DType::F32, {2}}})
      .output("y");
  std::map<std::string, Tensor> feeds{{"x", tensor({2}, {1, 2})}};
  EXPECT_EQ(evalError(unknown.model(), feeds, {}),
            "unknown op 'frobnicate' at /nodes/0");

  ModelBuilder noAttr;
  noAttr.input({"x", DType::F32, {2}})
      .node("softmax", {"x"}, {{"y", DType::F32, {2}}})
      .output("y");
  EXPECT_EQ(evalError(noAttr.model(), feeds, {}),
            "softmax at /nodes/0: attribute 'axis' missing or not an integer");

  ModelBuilder wrongShape;
  wrongShape.input({"x", DType::F32, {2}})
      .node("relu", {"x"}, {{"y", DType::F32, {3}}})
      .output("y");
  EXPECT_EQ(evalError(wrongShape.model(), feeds, {}),
            "output 'y' of relu at /nodes/0: dim 0 is 2, expected 3");

  ModelBuilder wrongType;
  wrongType.input({"x", DType::F32, {2}})
      .node("relu", {"x"}, {{"y", DType::F16, {2}}})
      .output("y");
  EXPECT_EQ(evalError(wrongType.model(), feeds, {}),
            "output 'y' of relu at /nodes/0: dtype is f32 but the model "
            "declares f16");

  ModelBuilder missing;
  missing.input({"x", DType::F32, {2}})
      .node("add", {"x", ""}, {{"y", DType::F32, {2}}})
      .output("y");
  EXPECT_EQ(evalError(missing.model(), feeds, {}),
            "add at /nodes/0: missing input 1 (b)");
}

TEST(ReferenceEvaluator, RunsAGraphAndReturnsOutputsInOrder) {
  // embedding → rms_norm → linear → relu; outputs listed out of node order,
  // including a graph input.
  ModelBuilder b({"batch", "seq"});
  b.input({"ids", DType::I32, {"batch", "seq"}})
      .param({"table", DType::F32, {5, 3}})
      .param({"g", DType::F32, {3}})
      .param({"w", DType::F32, {2, 3}})
      .node("embedding", {"ids", "table"}, {{"e", DType::F32, {"batch", "seq", 3}}})
      .node("rms_norm", {"e", "g"}, {{"n", DType::F32, {"batch", "seq", 3}}},
            {{"eps", 1e-5}})
      .node("linear", {"n", "w", ""}, {{"l", DType::F32, {"batch", "seq", 2}}})
      .node("relu", {"l"}, {{"r", DType::F32, {"batch", "seq", 2}}})
      .output("r")
      .output("e")
      .output("ids");
  Tensor ids = tensor({1, 3}, {4, 0, 2}, DType::I32);
  Tensor table = random({5, 3}, 4), g = random({3}, 5), w = random({2, 3}, 6);
  std::string error;
  auto out = evaluate(b.model(), {{"ids", ids}},
                      {{"table", table}, {"g", g}, {"w", w}}, error);
  ASSERT_TRUE(out) << error;
  ASSERT_EQ(out->size(), 3u);
  Tensor e = runOp("embedding", {ids, table}, json::object(), {1, 3, 3}, DType::F32);
  Tensor n = runOp("rms_norm", {e, g}, {{"eps", 1e-5}}, {1, 3, 3});
  Tensor l = runOp("linear", {n, w, std::nullopt}, json::object(), {1, 3, 2});
  Tensor r = runOp("relu", {l}, json::object(), {1, 3, 2});
  expectNear((*out)[0], r, 0);
  expectNear((*out)[1], e, 0);
  expectNear((*out)[2], ids, 0);
  EXPECT_EQ((*out)[2].dtype, DType::I32);
}

TEST(ReferenceEvaluator, RoundsResultsToTheStorageType) {
  // 1 + 2^-11 is a tie in f16 and rounds to even (1); 1 + 3·2^-11 rounds up.
  Tensor one = tensor({2}, {1, 1}, DType::F16);
  Tensor eps = tensor({2}, {std::ldexp(1.0, -11), 0}, DType::F16);
  Tensor y = runOp("add", {one, eps}, json::object(), {2});
  EXPECT_EQ(y.data[0], 1.0);
  Tensor y2 = runOp("add", {y, tensor({2}, {std::ldexp(3.0, -11), 0}, DType::F16)},
                    json::object(), {2});
  EXPECT_EQ(y2.data[0], 1.0 + std::ldexp(1.0, -9));
  // Inputs are rounded on entry too: 0.1 in bf16.
  Tensor tenth = runOp("neg", {tensor({1}, {0.1}, DType::BF16)}, json::object(), {1});
  EXPECT_EQ(tenth.data[0], -0.10009765625);
  // i32 arithmetic wraps like two's complement.
  Tensor big = tensor({1}, {2147483647.0}, DType::I32);
  Tensor wrapped = runOp("add", {big, tensor({1}, {1}, DType::I32)}, json::object(), {1});
  EXPECT_EQ(wrapped.data[0], -2147483648.0);
}

TEST(ReferenceEvaluator, RoundToDType) {
  EXPECT_EQ(*roundToDType(1.0 + std::ldexp(1.0, -24), DType::F32), 1.0);
  EXPECT_EQ(*roundToDType(0.1, DType::F32), static_cast<double>(0.1f));
  EXPECT_EQ(*roundToDType(65519, DType::F16), 65504.0);
  EXPECT_EQ(*roundToDType(65520, DType::F16), inf);
  EXPECT_EQ(*roundToDType(-1e6, DType::F16), -inf);
  // f16 subnormals: quantum 2^-24, ties to even.
  EXPECT_EQ(*roundToDType(std::ldexp(1.0, -25), DType::F16), 0.0);
  EXPECT_EQ(*roundToDType(std::ldexp(3.0, -25), DType::F16), std::ldexp(1.0, -23));
  EXPECT_EQ(*roundToDType(1.0 + std::ldexp(1.0, -8), DType::BF16), 1.0);
  EXPECT_EQ(*roundToDType(1.0 + std::ldexp(3.0, -8), DType::BF16),
            1.0 + std::ldexp(1.0, -6));
  EXPECT_EQ(*roundToDType(3e38, DType::BF16), std::ldexp(226.0, 120));
  EXPECT_EQ(*roundToDType(std::ldexp(255.5, 120), DType::BF16), inf);
  EXPECT_TRUE(std::isnan(*roundToDType(nan, DType::F16)));
  EXPECT_EQ(*roundToDType(-1.7, DType::I32), -1.0);
  EXPECT_EQ(*roundToDType(2147483648.0, DType::I32), -2147483648.0);
  EXPECT_EQ(*roundToDType(2147483648.0, DType::I64), 2147483648.0);
  EXPECT_FALSE(roundToDType(nan, DType::I64));
  EXPECT_FALSE(roundToDType(inf, DType::I32));
}

TEST(ReferenceCompare, Tolerances) {
  Tensor b = tensor({4}, {1, -2, 0, 1000});
  Comparison same = compare(b, b);
  EXPECT_TRUE(same.ok);
  EXPECT_EQ(same.mismatches, 0);
  EXPECT_EQ(same.worstIndex, -1);
  EXPECT_EQ(same.maxAbsErr, 0);

  // Within atol + rtol·|b| everywhere: 1e-4·1000 + 1e-5 admits 0.09.
  Comparison close = compare(tensor({4}, {1 + 1e-5, -2, 5e-6, 1000.09}), b);
  EXPECT_TRUE(close.ok);
  EXPECT_NEAR(close.maxAbsErr, 0.09, 1e-9);
  EXPECT_EQ(close.maxRelErr, inf); // 5e-6 against 0.

  Comparison off = compare(tensor({4}, {1.005, -2, 0, 1000.5}), b);
  EXPECT_FALSE(off.ok);
  EXPECT_EQ(off.mismatches, 2);
  EXPECT_EQ(off.worstIndex, 0); // 0.005/1.1e-4 exceeds 0.5/0.10001.
  EXPECT_NEAR(off.maxAbsErr, 0.5, 1e-9);
  EXPECT_NEAR(off.maxRelErr, 0.005, 1e-9);

  Comparison loose = compare(tensor({4}, {1.005, -2, 0, 1000.5}), b, 1e-2, 0);
  EXPECT_TRUE(loose.ok);
}

TEST(ReferenceCompare, NaNInfinityAndShape) {
  Tensor withNaN = tensor({3}, {nan, 1, inf});
  EXPECT_TRUE(compare(withNaN, withNaN).ok); // NaN where the reference has NaN.
  Comparison c = compare(withNaN, tensor({3}, {1, 1, inf}));
  EXPECT_FALSE(c.ok); // NaN matches nothing else.
  EXPECT_EQ(c.mismatches, 1);
  EXPECT_EQ(c.worstIndex, 0);
  EXPECT_EQ(c.maxAbsErr, inf);
  EXPECT_FALSE(compare(tensor({1}, {1}), tensor({1}, {nan})).ok);

  EXPECT_FALSE(compare(tensor({1}, {1}), tensor({1}, {inf})).ok);
  EXPECT_FALSE(compare(tensor({1}, {inf}), tensor({1}, {1})).ok);
  EXPECT_FALSE(compare(tensor({1}, {-inf}), tensor({1}, {inf})).ok);
  EXPECT_TRUE(compare(tensor({1}, {-inf}), tensor({1}, {-inf})).ok);

  Comparison shape = compare(tensor({2, 1}, {1, 2}), tensor({2}, {1, 2}));
  EXPECT_FALSE(shape.ok);
  EXPECT_EQ(shape.mismatches, 2);
  EXPECT_EQ(shape.worstIndex, -1);
}

} // namespace
} // namespace kiln::reference::test
