//===- IndexingRulesTest.cpp - Shape rules of the ops along one axis ------===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

namespace kiln::shapes::test {
namespace {

/// Every op along one axis: x of rank >= 1 and the axis in range.
TEST(AlongAxis, RankAndAxisErrors) {
  Naming names = naming({"x", "indices"});
  std::vector<ShapeResult> scalars = {
      gatherShape({}, {S(2)}, 0, names),
      takeAlongAxisShape({}, {}, 0, names),
      argmaxShape({}, 0, false, names),
      topKShape({}, 0, 1, names),
      cumsumShape({}, nullptr, 0, names),
      arangeShape({}, nullptr, 0, names)};
  for (const ShapeResult &rule : scalars)
    expectError(rule, 0, "x has shape []; expected at least 1 dims [...]");
  std::vector<ShapeResult> outOfRange = {
      gatherShape({S(4)}, {S(2)}, 1, names),
      takeAlongAxisShape({S(4)}, {S(2)}, -1, names),
      argmaxShape({S(4)}, 1, false, names),
      topKShape({S(4)}, 1, 1, names),
      cumsumShape({S(4)}, nullptr, 1, names),
      arangeShape({S(4)}, nullptr, 2, names)};
  for (const ShapeResult &rule : outOfRange) {
    ASSERT_FALSE(rule);
    EXPECT_EQ(rule.error().attr, "axis");
  }
  expectAttrError(outOfRange[5], "axis", "axis 2 is out of range for rank 1");
}

TEST(Gather, IndicesReplaceTheAxis) {
  Naming names = naming({"x", "indices"});
  expectShape(gatherShape({Sym(0), S(50), S(8)}, {Sym(1), U()}, 1, names),
              {Sym(0), Sym(1), U(), S(8)});
  expectShape(gatherShape({U(), S(8)}, {}, 0, names), {S(8)});
}

TEST(TakeAlongAxis, BroadcastsAllButTheAxis) {
  Naming names = naming({"x", "indices"});
  expectShape(
      takeAlongAxisShape({Sym(0), Sym(1), S(64)}, {S(1), S(1), S(1)}, 1, names),
      {Sym(0), S(1), S(64)});
  expectShape(takeAlongAxisShape({U(), S(5)}, {S(3), S(2)}, 1, names),
              {S(3), S(2)});
  expectError(takeAlongAxisShape({S(2), S(5)}, {S(3)}, 1, names), 1,
              "indices has shape [3]; expected 2 dims (the rank of x)");
  expectError(takeAlongAxisShape({S(2), S(5)}, {S(3), S(1)}, 1, names), 1,
              "indices has shape [3, 1]; expected dim 0 to broadcast with 2, "
              "dim 0 of x [2, 5]");
  expectError(takeAlongAxisShape({Sym(0), S(5)}, {Sym(1), S(1)}, 1, names), 1,
              "indices has shape [seq, 1]; expected dim 0 to broadcast with "
              "batch, dim 0 of x [batch, 5]");
}

TEST(Argmax, DropsOrKeepsTheAxis) {
  Naming names = naming({"x"});
  expectShape(argmaxShape({Sym(0), Sym(1), S(50)}, 2, false, names),
              {Sym(0), Sym(1)});
  expectShape(argmaxShape({U(), S(50)}, 0, true, names), {S(1), S(50)});
}

TEST(TopK, CutsTheAxis) {
  Naming names = naming({"x"});
  expectShape(topKShape({Sym(0), S(8)}, 1, 8, names), {Sym(0), S(8)});
  // The size of a symbolic or unknown axis is checked at run time.
  expectShape(topKShape({Sym(0), S(8)}, 0, 3, names), {S(3), S(8)});
  expectShape(topKShape({U()}, 0, 100, names), {S(100)});
}

TEST(TopK, Errors) {
  Naming names = naming({"x"});
  expectAttrError(topKShape({S(2), S(8)}, 1, 9, names), "k",
                  "k = 9 for axis 1 of size 8; expected 1 <= k <= the size of "
                  "the axis");
  expectAttrError(topKShape({Sym(0)}, 0, 0, names), "k",
                  "k = 0 for axis 0 of size batch; expected 1 <= k <= the "
                  "size of the axis");
}

TEST(Cumsum, KeepsTheShape) {
  Naming names = naming({"x", "seq_offsets"});
  Shape offsets = {U()};
  expectShape(cumsumShape({Sym(0), Sym(1)}, nullptr, 0, names),
              {Sym(0), Sym(1)});
  expectShape(cumsumShape({S(1), Sym(1), S(4)}, &offsets, 1, names),
              {S(1), Sym(1), S(4)});
}

TEST(Arange, TakesTheAxisSize) {
  Naming names = naming({"x", "seq_offsets"});
  Shape offsets = {S(3)};
  expectShape(arangeShape({Sym(0), Sym(1), S(8)}, nullptr, 1, names), {Sym(1)});
  expectShape(arangeShape({S(1), U()}, &offsets, 1, names), {U()});
}

TEST(PackedAxis, Errors) {
  Naming names = naming({"x", "seq_offsets"});
  Shape matrix = {S(3), S(1)}, offsets = {S(3)};
  expectError(cumsumShape({S(1), Sym(1)}, &matrix, 1, names), 1,
              "seq_offsets has shape [3, 1]; expected 1 dims [N + 1]");
  expectAttrError(arangeShape({S(1), Sym(1)}, &offsets, 0, names), "axis",
                  "axis 0 with seq_offsets; expected 1, the sequence axis T "
                  "of x [B, T, ...]");
  expectAttrError(cumsumShape({S(1), Sym(1)}, &offsets, 0, names), "axis",
                  "axis 0 with seq_offsets; expected 1, the sequence axis T "
                  "of x [B, T, ...]");
}

} // namespace
} // namespace kiln::shapes::test
