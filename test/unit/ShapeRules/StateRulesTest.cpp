//===- StateRulesTest.cpp - Shapes of the generation entries' state -------===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

namespace kiln::shapes::test {
namespace {

TEST(RingState, KeepsTheTrailingDims) {
  Naming names = naming({"values"});
  expectShape(ringStateShape({Sym(0), Sym(1), S(4), S(16)}, U(), names),
              {U(), U(), S(4), S(16)});
  expectShape(ringStateShape({U(), U()}, S(8), names), {U(), S(8)});
  expectError(ringStateShape({S(16)}, S(8), names), 0,
              "values has shape [16]; expected at least 2 dims [B, T, ...]");
}

TEST(LinearAttentionState, SumsPerHead) {
  Naming names = naming({"k", "v"});
  ShapesResult rule = linearAttentionStateShapes(
      {Sym(0), Sym(1), S(4), S(16)}, {Sym(0), Sym(1), S(4), S(8)}, names);
  ASSERT_TRUE(rule) << rule.error().message;
  EXPECT_EQ(*rule, (std::vector<Shape>{{U(), S(4), S(16), S(8)},
                                       {U(), S(4), S(16)}}));
  expectError(linearAttentionStateShapes({S(4), S(16)}, {}, names), 0,
              "k has shape [4, 16]; expected 4 dims [B, S, H, D]");
  expectError(linearAttentionStateShapes({U(), U(), U(), U()}, {S(4)}, names),
              1, "v has shape [4]; expected 4 dims [B, S, H, Dv]");
}

TEST(ScanState, PerChannel) {
  Naming names = naming({"u", "A"});
  expectShape(selectiveScanStateShape({Sym(0), Sym(1), S(16)}, {S(16), S(4)},
                                      names),
              {U(), S(16), S(4)});
  expectError(selectiveScanStateShape({S(16)}, {S(16), S(4)}, names), 0,
              "u has shape [16]; expected 3 dims [B, T, D]");
  expectError(selectiveScanStateShape({U(), U(), U()}, {S(4)}, names), 1,
              "A has shape [4]; expected 2 dims [D, N]");
  Naming a = naming({"a"});
  expectShape(linearRecurrenceStateShape({Sym(0), Sym(1), U()}, a), {U(), U()});
  expectError(linearRecurrenceStateShape({S(8)}, a), 0,
              "a has shape [8]; expected 3 dims [B, T, D]");
}

TEST(Conv1dState, PastInputs) {
  Naming names = naming({"x", "w"});
  expectShape(conv1dStateShape({Sym(0), Sym(1), S(8)}, {S(8), S(4)}, names),
              {U(), S(3), S(8)});
  expectError(conv1dStateShape({S(8)}, {S(8), S(4)}, names), 0,
              "x has shape [8]; expected 3 dims [B, T, C]");
  expectError(conv1dStateShape({U(), U(), S(8)}, {S(8)}, names), 1,
              "w has shape [8]; expected 2 dims [C, K]");
  expectError(conv1dStateShape({U(), U(), S(8)}, {S(4), S(4)}, names), 1,
              "w has shape [4, 4]; expected dim 0 to be 8 (C of x)");
  expectError(conv1dStateShape({U(), U(), S(8)}, {S(8), S(1)}, names), 1,
              "w has shape [8, 1]; expected dim 1, the kernel size K, to be "
              "static and at least 2");
  expectError(conv1dStateShape({U(), U(), S(8)}, {S(8), U()}, names), 1,
              "w has shape [8, ?]; expected dim 1, the kernel size K, to be "
              "static and at least 2");
}

} // namespace
} // namespace kiln::shapes::test
