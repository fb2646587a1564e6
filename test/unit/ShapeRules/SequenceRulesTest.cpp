//===- SequenceRulesTest.cpp - Shape rules of rope and conv1d -------------===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

namespace kiln::shapes::test {
namespace {

TEST(Rope, KeepsTheShape) {
  Naming names = naming({"x", "positions"});
  Shape x = {Sym(0), Sym(1), S(4), S(16)}, positions = {Sym(0), Sym(1)};
  expectShape(ropeShape(x, &positions, std::nullopt, names), x);
  expectShape(ropeShape(x, nullptr, 8, names), x);
  // An unknown head size may be static: only rotary_dim is checked.
  expectShape(ropeShape({U(), U(), U(), U()}, nullptr, 64, names),
              {U(), U(), U(), U()});
}

TEST(Rope, Errors) {
  Naming names = naming({"x", "positions"});
  Shape x = {Sym(0), Sym(1), S(4), S(16)};
  Shape flat = {Sym(0), Sym(1)}, batch = {Sym(1), Sym(1)}, seq = {Sym(0), S(3)};
  expectError(ropeShape({Sym(0), Sym(1), S(64)}, nullptr, std::nullopt, names),
              0, "x has shape [batch, seq, 64]; expected 4 dims [B, T, H, D]");
  expectError(ropeShape({Sym(0), Sym(1), S(4), Sym(1)}, nullptr, 8, names), 0,
              "x has shape [batch, seq, 4, seq]; expected dim 3 to be static "
              "(the head size D that rope rotates)");
  expectError(ropeShape(x, &x, std::nullopt, names), 1,
              "positions has shape [batch, seq, 4, 16]; expected 2 dims [B, T]");
  expectError(ropeShape(x, &batch, std::nullopt, names), 1,
              "positions has shape [seq, seq]; expected dim 0 to be batch (B "
              "of x)");
  expectError(ropeShape(x, &seq, std::nullopt, names), 1,
              "positions has shape [batch, 3]; expected dim 1 to be seq (T of "
              "x)");
  expectAttrError(ropeShape(x, &flat, 7, names), "rotary_dim",
                  "rotary_dim must be a positive even number, got 7");
  expectAttrError(ropeShape(x, nullptr, -2, names), "rotary_dim",
                  "rotary_dim must be a positive even number, got -2");
  expectAttrError(ropeShape(x, nullptr, 32, names), "rotary_dim",
                  "rotary_dim 32 exceeds the head size D = 16; expected at "
                  "most D");
  expectError(ropeShape({Sym(0), Sym(1), S(4), S(7)}, nullptr, std::nullopt,
                        names),
              0,
              "x has an odd head size 7; expected an even D, or an even "
              "'rotary_dim'");
}

TEST(Conv1d, KeepsTheShape) {
  Naming names = naming({"x", "w", "bias"});
  Shape x = {Sym(0), Sym(1), S(8)}, bias = {S(8)};
  expectShape(conv1dShape(x, {S(8), S(4)}, &bias, names), x);
  expectShape(conv1dShape({U(), U(), U()}, {S(8), S(4)}, nullptr, names),
              {U(), U(), U()});
}

TEST(Conv1d, Errors) {
  Naming names = naming({"x", "w", "bias"});
  Shape x = {Sym(0), Sym(1), S(8)}, bias = {S(4)};
  expectError(conv1dShape({Sym(0), S(8)}, {S(8), S(4)}, nullptr, names), 0,
              "x has shape [batch, 8]; expected 3 dims [B, T, C]");
  expectError(conv1dShape(x, {S(8)}, nullptr, names), 1,
              "w has shape [8]; expected 2 dims [C, K]");
  expectError(conv1dShape(x, {S(4), S(8)}, nullptr, names), 1,
              "w has shape [4, 8]; expected dim 0 to be 8 (C of x)");
  expectError(conv1dShape(x, {S(8), U()}, nullptr, names), 1,
              "w has shape [8, ?]; expected dim 1 to be static (the kernel "
              "size K)");
  expectError(conv1dShape(x, {S(8), S(4)}, &bias, names), 2,
              "bias has shape [4]; expected dim 0 to be 8 (C of x)");
}

} // namespace
} // namespace kiln::shapes::test
