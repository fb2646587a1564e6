//===- ReductionRulesTest.cpp - Shape rules of softmax and reductions -----===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

namespace kiln::shapes::test {
namespace {

TEST(Softmax, KeepsTheShape) {
  expectShape(softmaxShape({Sym(0), U(), S(8)}, 2, naming({"x"})),
              {Sym(0), U(), S(8)});
}

TEST(Softmax, Errors) {
  expectError(softmaxShape({}, 0, naming({"x"})), 0,
              "x has shape []; expected at least 1 dims [..., D]");
  ShapeResult rule = softmaxShape({S(2), S(4)}, 2, naming({"x"}));
  expectError(rule, -1, "axis 2 is out of range for rank 2");
  EXPECT_EQ(rule.error().attr, "axis");
  expectError(softmaxShape({S(2), S(4)}, -1, naming({"x"})), -1,
              "axis -1 is out of range for rank 2");
}

TEST(Reduce, DropsOrKeepsAxes) {
  Naming names = naming({"x"});
  expectShape(reduceShape({Sym(0), Sym(1), S(8)}, {2, 0}, false, names),
              {Sym(1)});
  expectShape(reduceShape({Sym(0), U(), S(8)}, {1}, true, names),
              {Sym(0), S(1), S(8)});
  expectShape(reduceShape({S(3)}, {0}, false, names), {});
}

TEST(Reduce, Errors) {
  Naming names = naming({"x"});
  expectError(reduceShape({}, {}, false, names), 0,
              "x has shape []; expected at least 1 dims [...]");
  ShapeResult outOfRange = reduceShape({S(2), S(4)}, {2}, false, names);
  expectError(outOfRange, -1, "axis 2 is out of range for rank 2");
  EXPECT_EQ(outOfRange.error().attr, "axes");
  expectError(reduceShape({S(2), S(4)}, {1, 1}, false, names), -1,
              "axis 1 is listed twice; expected unique axes");
}

} // namespace
} // namespace kiln::shapes::test
