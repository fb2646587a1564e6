//===- AttentionRulesTest.cpp - Shape rule of q, k and v ------------------===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

namespace kiln::shapes::test {
namespace {

Naming qkv() { return naming({"q", "k", "v"}); }

TEST(Attention, GroupedHeadsAndOwnValueSize) {
  expectShape(attentionShape({Sym(0), Sym(1), S(8), S(64)},
                             {Sym(0), S(128), S(2), S(64)},
                             {Sym(0), S(128), S(2), S(32)}, true, qkv()),
              {Sym(0), Sym(1), S(8), S(32)});
  expectShape(attentionShape({U(), U(), U(), S(16)}, {S(2), U(), S(4), U()},
                             {U(), S(8), U(), S(16)}, false, qkv()),
              {U(), U(), U(), S(16)});
}

TEST(Attention, RankAndSizes) {
  expectError(attentionShape({Sym(0), Sym(1), S(64)}, {}, {}, true, qkv()), 0,
              "q has shape [batch, seq, 64]; expected 4 dims [B, T, H, D]");
  expectError(attentionShape({S(2), S(8), S(4), S(16)}, {S(3), S(8), S(4), S(16)},
                             {S(2), S(8), S(4), S(16)}, true, qkv()),
              1, "k has shape [3, 8, 4, 16]; expected dim 0 to be 2 (B of q)");
  expectError(attentionShape({S(2), S(8), S(4), S(16)}, {S(2), S(8), S(4), S(8)},
                             {S(2), S(8), S(4), S(8)}, true, qkv()),
              1, "k has shape [2, 8, 4, 8]; expected dim 3 to be 16 (D of q)");
  expectError(attentionShape({S(2), S(8), S(4), S(16)}, {S(2), S(8), S(4), S(16)},
                             {S(2), S(6), S(4), S(16)}, true, qkv()),
              2, "v has shape [2, 6, 4, 16]; expected dim 1 to be 8 (S of k)");
}

TEST(Attention, Heads) {
  expectError(attentionShape({S(2), S(8), S(4), S(16)}, {S(2), S(8), S(3), S(16)},
                             {S(2), S(8), S(3), S(16)}, true, qkv()),
              1, "k has 3 heads and q has 4; expected the heads of q to be a "
                 "multiple of the heads of k and v (GQA)");
  expectError(attentionShape({S(2), S(8), S(4), S(16)}, {S(2), S(8), S(2), S(16)},
                             {S(2), S(8), S(2), S(16)}, false, qkv()),
              1, "k has 2 heads and q has 4; expected the heads of q to equal "
                 "the heads of k and v");
  expectError(attentionShape({S(2), S(8), U(), S(16)}, {S(2), S(8), S(0), S(16)},
                             {S(2), S(8), S(0), S(16)}, true, qkv()),
              1, "k has 0 heads; expected a positive number of heads");
  // Different symbols cannot be proven to divide.
  expectError(attentionShape({S(2), S(8), Sym(0), S(16)},
                             {S(2), S(8), Sym(1), S(16)},
                             {S(2), S(8), Sym(1), S(16)}, true, qkv()),
              1, "k has seq heads and q has batch; expected the heads of q to "
                 "be a multiple of the heads of k and v (GQA)");
}

} // namespace
} // namespace kiln::shapes::test
