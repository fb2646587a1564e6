//===- IndexingTest.cpp - Reference generation glue ops and packed scans --===//
//
// The NumPy/PyTorch conventions of the ops added for generation (ties, NaN,
// negative indices, exclusive and reverse sums, slices from the end of an
// axis, bool results) and the restart of scans and conv1d at packed
// sequence boundaries, against hand-computed values.
//
//===----------------------------------------------------------------------===//

#include "test/unit/Reference/TestUtil.h"

#include <cmath>
#include <limits>

namespace kiln::reference::test {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(ReferenceIndexing, ArgmaxTakesTheFirstTieAndNaN) {
  Tensor x = tensor({2, 4}, {1, 3, 3, 0, 2, kNaN, 7, kNaN});
  expectNear(
      runOp("argmax", {x}, {{"axis", 1}, {"keepdims", false}}, {2}, DType::I64),
      tensor({2}, {1, 1}, DType::I64), 0);
}

TEST(ReferenceIndexing, TopKSortsDescendingWithTiesInIndexOrder) {
  ModelBuilder b;
  b.input({"x", DType::F32, {5}})
      .node("top_k", {"x"}, {{"v", DType::F32, {3}}, {"i", DType::I64, {3}}},
            {{"k", 3}, {"axis", 0}})
      .output("v")
      .output("i");
  std::string error;
  auto out =
      evaluate(b.model(), {{"x", tensor({5}, {2, 5, 2, 5, 1})}}, {}, error);
  ASSERT_TRUE(out) << error;
  expectNear((*out)[0], tensor({3}, {5, 5, 2}), 0);
  expectNear((*out)[1], tensor({3}, {1, 3, 0}, DType::I64), 0);
}

TEST(ReferenceIndexing, GatherWrapsNegativeIndicesAndRejectsOthers) {
  Tensor x = tensor({2, 3}, {0, 1, 2, 10, 11, 12});
  Tensor ids = tensor({2}, {-1, 0}, DType::I64);
  expectNear(runOp("gather", {x, ids}, {{"axis", 1}}, {2, 2}),
             tensor({2, 2}, {2, 0, 12, 10}), 0);
  std::string error;
  EXPECT_FALSE(tryOp("gather", {x, tensor({1}, {3}, DType::I64)}, {{"axis", 1}},
                     {{2, 1}}, error));
  EXPECT_EQ(error, "gather at /nodes/0: index 3 out of range for an axis of "
                   "size 3");
}

TEST(ReferenceIndexing, TakeAlongAxisPicksOneTokenPerRow) {
  // x [2, 3, 2]; row 0 takes token 2, row 1 token 0.
  Tensor x = tensor({2, 3, 2}, {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});
  Tensor last = tensor({2, 1, 1}, {2, 0}, DType::I32);
  expectNear(runOp("take_along_axis", {x, last}, {{"axis", 1}}, {2, 1, 2}),
             tensor({2, 1, 2}, {4, 5, 10, 11}), 0);
}

TEST(ReferenceIndexing, CumsumExclusiveReverse) {
  Tensor x = tensor({4}, {1, 2, 3, 4});
  json attrs = {{"axis", 0}, {"exclusive", false}, {"reverse", false}};
  expectNear(runOp("cumsum", {x}, attrs, {4}), tensor({4}, {1, 3, 6, 10}), 0);
  attrs["exclusive"] = true;
  attrs["reverse"] = true;
  expectNear(runOp("cumsum", {x}, attrs, {4}), tensor({4}, {9, 7, 4, 0}), 0);
}

TEST(ReferenceIndexing, SliceCountsFromTheEndOfASymbolicAxis) {
  Tensor x = tensor({5}, {0, 1, 2, 3, 4});
  expectNear(
      runOp("slice", {x}, {{"axis", 0}, {"start", -3}, {"end", -1}}, {2}),
      tensor({2}, {2, 3}), 0);
  expectNear(
      runOp("slice", {x}, {{"axis", 0}, {"start", -1}, {"end", nullptr}}, {1}),
      tensor({1}, {4}), 0);
}

TEST(ReferenceIndexing, ComparisonsAreBoolAndFalseWithNaN) {
  Tensor a = tensor({3}, {1, kNaN, 3});
  Tensor b = tensor({3}, {1, 1, 2});
  expectNear(runOp("less_equal", {a, b}, json::object(), {3}, DType::Bool),
             tensor({3}, {1, 0, 0}, DType::Bool), 0);
  expectNear(runOp("not_equal", {a, b}, json::object(), {3}, DType::Bool),
             tensor({3}, {0, 1, 1}, DType::Bool), 0);
}

TEST(ReferenceIndexing, MaximumPropagatesNaN) {
  Tensor y = runOp("maximum", {tensor({2}, {kNaN, 1}), tensor({2}, {0, kNaN})},
                   json::object(), {2});
  EXPECT_TRUE(std::isnan(y.data[0]));
  EXPECT_TRUE(std::isnan(y.data[1]));
}

TEST(ReferencePacked, LinearRecurrenceRestartsAtEverySequence) {
  // Tokens [0, 2) and [2, 4) of one row, then token 4 outside: h = h + b.
  Tensor a = tensor({1, 5, 1}, {1, 1, 1, 1, 1});
  Tensor b = tensor({1, 5, 1}, {1, 2, 3, 4, 5});
  Tensor offsets = tensor({3}, {0, 2, 4}, DType::I32);
  json attrs = {{"reverse", false}};
  expectNear(runOp("linear_recurrence", {a, b, std::nullopt, offsets}, attrs,
                   {1, 5, 1}),
             tensor({1, 5, 1}, {1, 3, 3, 7, 0}), 0);
  attrs["reverse"] = true;
  expectNear(runOp("linear_recurrence", {a, b, std::nullopt, offsets}, attrs,
                   {1, 5, 1}),
             tensor({1, 5, 1}, {3, 2, 7, 4, 0}), 0);
}

TEST(ReferencePacked, Conv1dSeesOnlyItsOwnSequence) {
  // K = 2 with weights (1, 10): y[t] = x[t-1] + 10 x[t] within a sequence.
  Tensor x = tensor({1, 4, 1}, {1, 2, 3, 4});
  Tensor w = tensor({1, 2}, {1, 10});
  Tensor offsets = tensor({3}, {0, 1, 4}, DType::I64);
  expectNear(
      runOp("conv1d", {x, w, std::nullopt, offsets}, json::object(), {1, 4, 1}),
      tensor({1, 4, 1}, {10, 20, 32, 43}), 0);
}

} // namespace
} // namespace kiln::reference::test
