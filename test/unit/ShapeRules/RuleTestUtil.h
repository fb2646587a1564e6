//===- RuleTestUtil.h - Helpers for the shape-rule tests --------*- C++ -*-===//

#ifndef KILN_TEST_UNIT_SHAPERULES_RULETESTUTIL_H
#define KILN_TEST_UNIT_SHAPERULES_RULETESTUTIL_H

#include "lib/ShapeRules/ShapeRules.h"

#include <gtest/gtest.h>

namespace kiln::shapes::test {

/// Short spellings for shapes: S(64), Sym(0), U().
inline Dim S(int64_t size) { return Dim::fixed(size); }
inline Dim Sym(int64_t id) { return Dim::symbol(id); }
inline Dim U() { return Dim::unknown(); }

/// Symbols 0 and 1 are "batch" and "seq".
inline Naming naming(std::vector<std::string> roles) {
  Naming result(std::move(roles));
  result.symbols = {"batch", "seq"};
  return result;
}

/// Checks that `rule` succeeded with `expected` (formatted on failure).
inline void expectShape(const ShapeResult &rule, const Shape &expected) {
  Naming names = naming({});
  ASSERT_TRUE(rule) << rule.error().message;
  EXPECT_EQ(*rule, expected)
      << names.format(*rule) << " vs " << names.format(expected);
}

/// Checks that `rule` failed about `operand` with exactly `message`.
template <typename T>
void expectError(const RuleResult<T> &rule, int operand,
                 const std::string &message) {
  ASSERT_FALSE(rule);
  EXPECT_EQ(rule.error().operand, operand);
  EXPECT_EQ(rule.error().message, message);
}

/// Checks that `rule` failed about attr `attr` with exactly `message`.
template <typename T>
void expectAttrError(const RuleResult<T> &rule, const std::string &attr,
                     const std::string &message) {
  ASSERT_FALSE(rule);
  EXPECT_EQ(rule.error().operand, -1);
  EXPECT_EQ(rule.error().attr, attr);
  EXPECT_EQ(rule.error().message, message);
}

} // namespace kiln::shapes::test

#endif // KILN_TEST_UNIT_SHAPERULES_RULETESTUTIL_H
