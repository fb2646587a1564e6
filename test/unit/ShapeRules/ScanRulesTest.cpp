//===- ScanRulesTest.cpp - Shape rules of the scans -----------------------===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

namespace kiln::shapes::test {
namespace {

Naming scanNames() {
  return naming({"u", "delta", "A", "Bm", "Cm", "Dskip", "z", "delta_bias"});
}

TEST(SelectiveScan, OutputAndFinalState) {
  Shape u = {Sym(0), Sym(1), S(16)}, a = {S(16), S(4)};
  Shape bm = {Sym(0), Sym(1), S(4)}, d = {S(16)};
  ShapesResult rule =
      selectiveScanShapes(u, u, a, bm, bm, &d, &u, &d, scanNames());
  ASSERT_TRUE(rule) << rule.error().message;
  EXPECT_EQ(*rule, (std::vector<Shape>{u, {Sym(0), S(16), S(4)}}));
  // Unknown dims may match anything.
  Shape uu = {U(), S(8), U()};
  ShapesResult unknown = selectiveScanShapes(
      uu, {S(2), U(), S(3)}, {U(), S(4)}, {U(), U(), U()}, {S(2), S(8), S(4)},
      nullptr, nullptr, nullptr, scanNames());
  ASSERT_TRUE(unknown) << unknown.error().message;
  EXPECT_EQ((*unknown)[1], (Shape{U(), U(), S(4)}));
}

TEST(SelectiveScan, Errors) {
  Naming names = scanNames();
  Shape u = {Sym(0), Sym(1), S(16)}, a = {S(16), S(4)};
  Shape bm = {Sym(0), Sym(1), S(4)}, d = {S(16)}, bad = {S(8)};
  auto scan = [&](const Shape &uu, const Shape &delta, const Shape &aa,
                  const Shape &b, const Shape &c, const Shape *dskip,
                  const Shape *z, const Shape *deltaBias) {
    return selectiveScanShapes(uu, delta, aa, b, c, dskip, z, deltaBias, names);
  };
  expectError(scan({S(2), S(16)}, u, a, bm, bm, nullptr, nullptr, nullptr), 0,
              "u has shape [2, 16]; expected 3 dims [B, T, D]");
  expectError(scan(u, {Sym(0), S(1), S(16)}, a, bm, bm, nullptr, nullptr,
                   nullptr),
              1,
              "delta has shape [batch, 1, 16]; expected [batch, seq, 16], the "
              "shape of u");
  expectError(scan(u, u, {S(16)}, bm, bm, nullptr, nullptr, nullptr), 2,
              "A has shape [16]; expected 2 dims [D, N]");
  expectError(scan(u, u, {S(8), S(4)}, bm, bm, nullptr, nullptr, nullptr), 2,
              "A has shape [8, 4]; expected dim 0 to be 16 (D of u)");
  expectError(scan(u, u, a, {Sym(0), S(4)}, bm, nullptr, nullptr, nullptr), 3,
              "Bm has shape [batch, 4]; expected 3 dims [B, T, N]");
  expectError(scan(u, u, a, {Sym(1), Sym(1), S(4)}, bm, nullptr, nullptr,
                   nullptr),
              3, "Bm has shape [seq, seq, 4]; expected dim 0 to be batch (B of u)");
  expectError(scan(u, u, a, {Sym(0), S(7), S(4)}, bm, nullptr, nullptr,
                   nullptr),
              3, "Bm has shape [batch, 7, 4]; expected dim 1 to be seq (T of u)");
  expectError(scan(u, u, a, {Sym(0), Sym(1), S(5)}, bm, nullptr, nullptr,
                   nullptr),
              3, "Bm has shape [batch, seq, 5]; expected dim 2 to be 4 (N of A)");
  expectError(scan(u, u, a, bm, {Sym(0), Sym(1), S(2)}, nullptr, nullptr,
                   nullptr),
              4,
              "Cm has shape [batch, seq, 2]; expected [batch, seq, 4], the "
              "shape of Bm");
  expectError(scan(u, u, a, bm, bm, &bad, nullptr, nullptr), 5,
              "Dskip has shape [8]; expected dim 0 to be 16 (D of u)");
  expectError(scan(u, u, a, bm, bm, nullptr, nullptr, &a), 7,
              "delta_bias has shape [16, 4]; expected 1 dims [D]");
  expectError(scan(u, u, a, bm, bm, &d, &bm, &d), 6,
              "z has shape [batch, seq, 4]; expected [batch, seq, 16], the "
              "shape of u");
}

TEST(LinearRecurrence, KeepsTheShape) {
  Naming names = naming({"a", "b", "h0"});
  Shape a = {Sym(0), Sym(1), S(8)}, h0 = {Sym(0), S(8)};
  expectShape(linearRecurrenceShape(a, a, &h0, names), a);
  expectShape(linearRecurrenceShape({U(), U(), S(8)}, {S(2), S(3), U()},
                                    nullptr, names),
              {U(), U(), S(8)});
}

TEST(LinearRecurrence, Errors) {
  Naming names = naming({"a", "b", "h0"});
  Shape a = {Sym(0), Sym(1), S(8)};
  Shape h0Rank = {S(8)}, h0Batch = {Sym(1), S(8)}, h0D = {Sym(0), S(4)};
  expectError(linearRecurrenceShape({S(8)}, a, nullptr, names), 0,
              "a has shape [8]; expected 3 dims [B, T, D]");
  expectError(linearRecurrenceShape(a, {Sym(0), Sym(1), S(4)}, nullptr, names),
              1,
              "b has shape [batch, seq, 4]; expected [batch, seq, 8], the "
              "shape of a");
  expectError(linearRecurrenceShape(a, a, &h0Rank, names), 2,
              "h0 has shape [8]; expected 2 dims [B, D]");
  expectError(linearRecurrenceShape(a, a, &h0Batch, names), 2,
              "h0 has shape [seq, 8]; expected dim 0 to be batch (B of a)");
  expectError(linearRecurrenceShape(a, a, &h0D, names), 2,
              "h0 has shape [batch, 4]; expected dim 1 to be 8 (D of a)");
}

} // namespace
} // namespace kiln::shapes::test
