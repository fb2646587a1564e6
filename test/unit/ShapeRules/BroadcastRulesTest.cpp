//===- BroadcastRulesTest.cpp - Broadcasting shape rules ------------------===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

namespace kiln::shapes::test {
namespace {

const char *kMustBeEqual = " (dims must be equal or one of them 1)";

TEST(Broadcast, StaticSizesAndOnes) {
  expectShape(broadcastShapes({S(2), S(1), S(4)}, {S(3), S(1)}, naming({})),
              {S(2), S(3), S(4)});
  expectShape(broadcastShapes({}, {S(5)}, naming({})), {S(5)});
}

TEST(Broadcast, SymbolsMatchThemselvesAndOne) {
  expectShape(broadcastShapes({Sym(0), Sym(1), S(64)}, {S(1), Sym(1), S(1)},
                              naming({})),
              {Sym(0), Sym(1), S(64)});
  expectShape(broadcastShapes({S(1)}, {Sym(1)}, naming({})), {Sym(1)});
}

TEST(Broadcast, SymbolAgainstAnotherDimFails) {
  ShapeResult rule =
      broadcastShapes({Sym(0), S(4)}, {Sym(1), S(4)}, naming({}));
  expectError(rule, -1,
              std::string("cannot broadcast [batch, 4] with [seq, 4]: batch "
                          "vs seq") +
                  kMustBeEqual);
  expectError(broadcastShapes({Sym(1)}, {S(8)}, naming({})), -1,
              std::string("cannot broadcast [seq] with [8]: seq vs 8") +
                  kMustBeEqual);
}

TEST(Broadcast, UnknownTakesTheKnownDim) {
  expectShape(broadcastShapes({U(), S(8)}, {S(4), S(8)}, naming({})),
              {S(4), S(8)});
  expectShape(broadcastShapes({U()}, {S(1)}, naming({})), {U()});
  expectShape(broadcastShapes({S(1)}, {U()}, naming({})), {U()});
  expectShape(broadcastShapes({U()}, {Sym(0)}, naming({})), {Sym(0)});
}

TEST(Broadcast, ResultDimsKeepTheirOrigin) {
  // Reification reads a dynamic result dim's origin: the operand dim the
  // rule copied. An origin changes nothing else: unknowns stay equal.
  Dim a0 = Dim::unknownFrom(0, 0), b0 = Dim::unknownFrom(1, 0);
  EXPECT_EQ(a0, U());
  EXPECT_EQ(a0, b0);
  ShapeResult rule = broadcastShapes({a0, S(1)}, {b0}, naming({}));
  ASSERT_TRUE(rule);
  ASSERT_TRUE((*rule)[0].hasOrigin() && (*rule)[1].hasOrigin());
  EXPECT_EQ((*rule)[0].originOperand(), 0);
  EXPECT_EQ((*rule)[0].originAxis(), 0);
  EXPECT_EQ((*rule)[1].originOperand(), 1);
  EXPECT_EQ((*rule)[1].originAxis(), 0);
  // A static dim wins over an unknown one, origin or not.
  expectShape(broadcastShapes({a0}, {S(3)}, naming({})), {S(3)});
  EXPECT_FALSE(U().hasOrigin());
}

TEST(Broadcast, StaticMismatchFails) {
  expectError(broadcastShapes({U(), S(8)}, {S(4)}, naming({})), -1,
              std::string("cannot broadcast [?, 8] with [4]: 8 vs 4") +
                  kMustBeEqual);
}

TEST(Elementwise, ErrorConcernsB) {
  expectShape(elementwiseShape({Sym(0), S(3)}, {S(3)}, naming({"a", "b"})),
              {Sym(0), S(3)});
  expectError(elementwiseShape({S(3), S(4)}, {S(5)}, naming({"a", "b"})), 1,
              std::string("b: cannot broadcast [3, 4] with [5]: 4 vs 5") +
                  kMustBeEqual);
}

TEST(Where, BroadcastsAllThree) {
  Naming names = naming({"cond", "a", "b"});
  expectShape(whereShape({Sym(0), S(1)}, {S(1), S(4)}, {S(1)}, names),
              {Sym(0), S(4)});
  expectError(whereShape({S(2)}, {S(3)}, {S(4)}, names), 2,
              std::string("b: cannot broadcast [3] with [4]: 3 vs 4") +
                  kMustBeEqual);
  expectError(whereShape({S(2)}, {S(3)}, {S(3)}, names), 0,
              std::string("cond: cannot broadcast [2] with [3]: 2 vs 3") +
                  kMustBeEqual);
}

TEST(BroadcastTo, FitsTheTargetWithoutGrowingIt) {
  Naming names = naming({"bias"});
  Shape scores = {Sym(0), S(4), Sym(1), Sym(1)};
  expectShape(broadcastToShape({S(1), Sym(1), Sym(1)}, scores, 0,
                               "[B, H, T, S]", names),
              scores);
  expectShape(broadcastToShape({U(), S(1)}, {S(8), S(8)}, 0, "[T, S]", names),
              {S(8), S(8)});
  expectError(broadcastToShape({S(2), S(4), Sym(1), Sym(1)},
                               {S(1), S(4), Sym(1), Sym(1)}, 0, "[B, H, T, S]",
                               names),
              0,
              "bias has shape [2, 4, seq, seq]; expected a shape broadcastable "
              "to [B, H, T, S] = [1, 4, seq, seq]");
  expectError(
      broadcastToShape({S(1), S(4), S(8)}, {S(4), S(8)}, 0, "[T, S]", names), 0,
      "bias has shape [1, 4, 8]; expected a shape broadcastable to "
      "[T, S] = [4, 8]");
}

} // namespace
} // namespace kiln::shapes::test
