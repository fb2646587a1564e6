//===- DataMovementRulesTest.cpp - reshape, transpose, slice, ... --------===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

#include <limits>

namespace kiln::shapes::test {
namespace {

TEST(Reshape, RegroupsStaticSizes) {
  Naming names = naming({"x"});
  expectShape(reshapeShape({Sym(0), Sym(1), S(64)},
                           {Sym(0), Sym(1), S(4), S(16)}, std::nullopt, names),
              {Sym(0), Sym(1), S(4), S(16)});
  // -1 takes what keeps the element count; symbols may move.
  expectShape(reshapeShape({Sym(0), S(6), Sym(1)}, {Sym(1), S(1), Sym(0), S(3)},
                           1, names),
              {Sym(1), S(2), Sym(0), S(3)});
  // Unknown dims: only the target's rank is known, -1 stays unknown.
  expectShape(reshapeShape({U(), S(64)}, {U(), S(4), S(1)}, 2, names),
              {U(), S(4), U()});
  expectShape(reshapeShape({S(4), S(4)}, {U(), S(8)}, std::nullopt, names),
              {U(), S(8)});
}

TEST(Reshape, Errors) {
  Naming names = naming({"x"});
  expectAttrError(reshapeShape({Sym(0), Sym(1), S(64)}, {Sym(0), S(1)}, 1, names),
                  "shape",
                  "cannot reshape x of shape [batch, seq, 64] to [batch, -1]: "
                  "the symbolic dims differ (batch, seq vs batch); expected "
                  "the same symbolic dims");
  expectAttrError(reshapeShape({S(2), S(8)}, {S(5), S(1)}, 1, names), "shape",
                  "cannot reshape x of shape [2, 8] to [5, -1]: static size "
                  "16 is not divisible by 5, so -1 has no integer size");
  expectAttrError(reshapeShape({S(2), S(8)}, {S(4), S(5)}, std::nullopt, names),
                  "shape",
                  "cannot reshape x of shape [2, 8] to [4, 5]: static sizes "
                  "multiply to 16 vs 20; expected equal products");
  // A symbol bound to 0 at run time leaves -1 open.
  expectAttrError(reshapeShape({S(0), S(8)}, {S(0), S(1)}, 1, names), "shape",
                  "cannot reshape x of shape [0, 8] to [0, -1]: static size 0 "
                  "is not divisible by 0, so -1 has no integer size");
  int64_t big = int64_t(1) << 40;
  expectAttrError(reshapeShape({S(big), S(big)}, {S(1)}, std::nullopt, names),
                  "shape", "static sizes overflow a 64-bit integer");
  // The caller may spell the target as its user wrote it.
  names.spellAttr = [](const std::string &) { return "[5,-1]"; };
  ShapeResult spelled = reshapeShape({S(2), S(8)}, {S(5), S(1)}, 1, names);
  ASSERT_FALSE(spelled);
  EXPECT_EQ(spelled.error().message,
            "cannot reshape x of shape [2, 8] to [5,-1]: static size 16 is not "
            "divisible by 5, so -1 has no integer size");
}

TEST(Transpose, PermutesDims) {
  Naming names = naming({"x"});
  expectShape(transposeShape({Sym(0), U(), S(8)}, {2, 0, 1}, names),
              {S(8), Sym(0), U()});
  expectShape(transposeShape({}, {}, names), {});
}

TEST(Transpose, Errors) {
  Naming names = naming({"x"});
  expectAttrError(transposeShape({S(2), S(3), S(4)}, {1, 0}, names), "perm",
                  "expected a permutation of the 3 axes of [2, 3, 4], got "
                  "[1, 0]");
  expectAttrError(transposeShape({S(2), S(3)}, {1, 1}, names), "perm",
                  "expected a permutation of the 2 axes of [2, 3], got [1, 1]");
  expectAttrError(transposeShape({S(2), S(3)}, {0, -1}, names), "perm",
                  "expected a permutation of the 2 axes of [2, 3], got [0, -1]");
}

TEST(Slice, StaticAxis) {
  Naming names = naming({"x"});
  expectShape(sliceShape({Sym(0), S(8)}, 1, 2, 5, names), {Sym(0), S(3)});
  expectShape(sliceShape({S(8)}, 0, 0, 8, names), {S(8)});
}

TEST(Slice, SymbolicAndUnknownAxes) {
  Naming names = naming({"x"});
  // Both bounds from the end, or from the start: a static size.
  expectShape(sliceShape({Sym(0), Sym(1), S(8)}, 1, -1, std::nullopt, names),
              {Sym(0), S(1), S(8)});
  expectShape(sliceShape({U(), S(8)}, 0, -3, -1, names), {S(2), S(8)});
  expectShape(sliceShape({Sym(1)}, 0, 2, 5, names), {S(3)});
}

TEST(Slice, Errors) {
  Naming names = naming({"x"});
  expectError(sliceShape({}, 0, 0, 1, names), 0,
              "x has shape []; expected at least 1 dims [...]");
  expectAttrError(sliceShape({S(8)}, 1, 0, 1, names), "axis",
                  "axis 1 is out of range for rank 1");
  expectAttrError(sliceShape({S(2), S(8)}, 1, 6, 10, names), "end",
                  "slice [6, 10) of axis 1 with size 8 is out of bounds; "
                  "expected 0 <= start < end <= 8");
  expectAttrError(sliceShape({S(8)}, 0, -1, std::nullopt, names), "start",
                  "slice [-1, end) of axis 0 with size 8 is out of bounds; "
                  "expected 0 <= start < end <= 8");
  expectAttrError(sliceShape({S(2), S(8)}, 1, 3, 3, names), "end",
                  "empty slice [3, 3) of axis 1 with size 8; expected start < "
                  "end after clamping");
  expectAttrError(sliceShape({Sym(0), Sym(1)}, 1, 1, std::nullopt, names),
                  "start",
                  "slice [1, end) of symbolic axis 1 (seq) has a size that "
                  "depends on the axis; expected both bounds counted from the "
                  "same end (e.g. start -1 for the last position), or the "
                  "whole axis");
  expectAttrError(sliceShape({U()}, 0, -2, 1, names), "end",
                  "slice [-2, 1) of dynamic axis 0 (?) has a size that depends "
                  "on the axis; expected both bounds counted from the same "
                  "end (e.g. start -1 for the last position), or the whole "
                  "axis");
  expectAttrError(sliceShape({Sym(0), Sym(1)}, 1, -2, -2, names), "end",
                  "empty slice [-2, -2) of axis 1; expected start < end");
}

TEST(Concat, AddsTheAxis) {
  Naming names = naming({"x0", "x1", "x2"});
  expectShape(concatShape({{Sym(0), S(3)}, {Sym(0), S(5)}, {Sym(0), S(1)}}, 1,
                          names),
              {Sym(0), S(9)});
  expectShape(concatShape({{U(), S(3)}, {S(2), S(3)}}, 1, names),
              {U(), S(6)});
}

TEST(Concat, Errors) {
  Naming names = naming({"x0", "x1"});
  expectError(concatShape({}, 0, names), -1, "expected at least one input");
  expectError(concatShape({{}}, 0, names), 0,
              "x0 has shape []; expected at least 1 dims [...]");
  expectAttrError(concatShape({{S(2)}}, 1, names), "axis",
                  "axis 1 is out of range for rank 1");
  expectError(concatShape({{S(2), S(3)}, {S(3)}}, 1, names), 1,
              "x1 has shape [3]; expected 2 dims like input x0");
  expectError(concatShape({{Sym(0), S(3)}, {Sym(0), S(3)}}, 0, names), 0,
              "x0 has shape [batch, 3]; expected dim 0 to be static (the "
              "concatenated axis)");
  expectError(concatShape({{S(2), U()}, {S(2), S(3)}}, 1, names), 0,
              "x0 has shape [2, ?]; expected dim 1 to be static (the "
              "concatenated axis)");
  expectError(concatShape({{Sym(0), S(3)}, {Sym(1), S(3)}}, 1, names), 1,
              "x1 has shape [seq, 3]; expected dim 0 to be batch (as in input "
              "x0)");
  int64_t big = std::numeric_limits<int64_t>::max();
  expectError(concatShape({{S(big)}, {S(big)}}, 0, names), 1,
              "the concatenated size overflows");
}

TEST(Split, Parts) {
  Naming names = naming({"x"});
  ShapesResult given = splitShapes({Sym(0), S(8)}, 1, std::vector<int64_t>{3, 5},
                                   2, names);
  ASSERT_TRUE(given) << given.error().message;
  EXPECT_EQ(*given, (std::vector<Shape>{{Sym(0), S(3)}, {Sym(0), S(5)}}));
  ShapesResult equal = splitShapes({U(), S(9)}, 1, std::nullopt, 3, names);
  ASSERT_TRUE(equal) << equal.error().message;
  EXPECT_EQ(*equal, (std::vector<Shape>(3, {U(), S(3)})));
}

TEST(Split, Errors) {
  Naming names = naming({"x"});
  expectError(splitShapes({}, 0, std::nullopt, 2, names), 0,
              "x has shape []; expected at least 1 dims [...]");
  expectAttrError(splitShapes({S(8)}, -1, std::nullopt, 2, names), "axis",
                  "axis -1 is out of range for rank 1");
  expectError(splitShapes({Sym(0), S(8)}, 0, std::nullopt, 2, names), 0,
              "x has shape [batch, 8]; expected dim 0 to be static (the "
              "split axis)");
  expectError(splitShapes({U(), S(8)}, 0, std::nullopt, 2, names), 0,
              "x has shape [?, 8]; expected dim 0 to be static (the split "
              "axis)");
  expectAttrError(splitShapes({S(8)}, 0, std::vector<int64_t>{3, 0, 5}, 3, names),
                  "sizes", "expected positive sizes, got [3, 0, 5]");
  expectAttrError(splitShapes({S(2), S(8)}, 1, std::vector<int64_t>{2, 4}, 2,
                              names),
                  "sizes",
                  "sizes add up to 6; expected 8, the size of axis 1 of [2, 8]");
  expectError(splitShapes({Sym(0), S(8)}, 1, std::nullopt, 3, names), 0,
              "x has shape [batch, 8]; expected axis 1 to divide into 3 equal "
              "parts (or give 'sizes')");
}

} // namespace
} // namespace kiln::shapes::test
