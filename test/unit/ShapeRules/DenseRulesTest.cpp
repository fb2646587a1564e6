//===- DenseRulesTest.cpp - Shape rules of the ops on features ------------===//

#include "test/unit/ShapeRules/RuleTestUtil.h"

namespace kiln::shapes::test {
namespace {

TEST(Matmul, BatchDimsBroadcast) {
  Naming names = naming({"a", "b"});
  expectShape(
      matmulShape({Sym(0), S(1), Sym(1), S(8)}, {S(4), S(8), S(16)}, names),
      {Sym(0), S(4), Sym(1), S(16)});
  expectShape(matmulShape({U(), S(2), S(3)}, {S(3), U()}, names),
              {U(), S(2), U()});
}

TEST(Matmul, Errors) {
  Naming names = naming({"a", "b"});
  expectError(matmulShape({S(3)}, {S(3), S(4)}, names), 0,
              "a has shape [3]; expected at least 2 dims [..., M, K] / "
              "[..., K, N]");
  expectError(matmulShape({S(2), S(3)}, {S(5), S(4)}, names), 1,
              "b has shape [5, 4]; expected dim 0 to be 3 (K, the last dim of "
              "a)");
  expectError(matmulShape({Sym(0), S(2), S(3)}, {Sym(1), S(3), S(4)}, names), 1,
              "batch dims of b: cannot broadcast [batch] with [seq]: batch vs "
              "seq (dims must be equal or one of them 1)");
  // An unknown contraction size may match.
  expectShape(matmulShape({S(2), U()}, {S(5), S(4)}, names), {S(2), S(4)});
}

TEST(Linear, Shapes) {
  Naming names = naming({"x", "w", "bias"});
  Shape bias = {S(16)};
  expectShape(linearShape({Sym(0), Sym(1), S(8)}, {S(16), S(8)}, &bias, names),
              {Sym(0), Sym(1), S(16)});
  expectShape(linearShape({U(), U()}, {S(16), S(8)}, nullptr, names),
              {U(), S(16)});
}

TEST(Linear, Errors) {
  Naming names = naming({"x", "w", "bias"});
  Shape bias = {S(4)};
  expectError(linearShape({}, {S(16), S(8)}, nullptr, names), 0,
              "x has shape []; expected at least 1 dims [..., D]");
  expectError(linearShape({S(8)}, {S(8)}, nullptr, names), 1,
              "w has shape [8]; expected 2 dims [out, in]");
  expectError(linearShape({Sym(1), S(8)}, {S(16), S(6)}, nullptr, names), 1,
              "w has shape [16, 6]; expected dim 1 to be 8 (D of x)");
  expectError(linearShape({S(8)}, {S(16), S(8)}, &bias, names), 2,
              "bias has shape [4]; expected dim 0 to be 16 (rows of w)");
}

TEST(Mlp, ShapesAndErrors) {
  Naming names = naming({"x", "w_in", "b_in", "w_out", "b_out"});
  Shape bIn = {S(32)}, bOut = {S(8)}, badBOut = {S(8), S(1)};
  expectShape(mlpShape({Sym(0), S(8)}, {S(32), S(8)}, &bIn, {S(8), S(32)},
                       &bOut, names),
              {Sym(0), S(8)});
  expectError(
      mlpShape({S(8)}, {S(32), S(8)}, &bOut, {S(8), S(32)}, nullptr, names), 2,
      "b_in has shape [8]; expected dim 0 to be 32 (rows of w_in)");
  expectError(
      mlpShape({S(8)}, {S(32), S(8)}, nullptr, {S(8), S(16)}, nullptr, names),
      3,
      "w_out has shape [8, 16]; expected dim 1 to be 32 (rows of "
      "w_in)");
  expectError(
      mlpShape({S(8)}, {S(32), S(8)}, nullptr, {S(8), S(32)}, &badBOut, names),
      4, "b_out has shape [8, 1]; expected 1 dims [out]");
}

TEST(Glu, ShapesAndErrors) {
  Naming names = naming({"x", "w_gate", "w_up", "w_down"});
  expectShape(gluShape({Sym(0), S(8)}, {S(32), S(8)}, {S(32), U()},
                       {S(4), S(32)}, names),
              {Sym(0), S(4)});
  expectError(
      gluShape({S(8)}, {S(32), S(8)}, {S(16), S(8)}, {S(4), S(32)}, names), 2,
      "w_up has shape [16, 8]; expected [32, 8], the shape of "
      "w_gate");
  expectError(
      gluShape({S(8)}, {S(32), S(8)}, {S(32), S(8)}, {S(4), S(16)}, names), 3,
      "w_down has shape [4, 16]; expected dim 1 to be 32 (rows of "
      "w_gate)");
}

TEST(Norm, ShapesAndErrors) {
  Naming names = naming({"x", "weight", "bias"});
  Shape bias = {S(1), S(8)};
  expectShape(normShape({Sym(0), Sym(1), S(8)}, {S(8)}, nullptr, names),
              {Sym(0), Sym(1), S(8)});
  expectShape(normShape({U(), U()}, {S(8)}, nullptr, names), {U(), U()});
  expectError(normShape({Sym(0), S(8)}, {S(16)}, nullptr, names), 1,
              "weight has shape [16]; expected dim 0 to be 8 (D of x)");
  expectError(normShape({S(8)}, {S(8)}, &bias, names), 2,
              "bias has shape [1, 8]; expected 1 dims [D]");
}

TEST(Embedding, ShapesAndErrors) {
  Naming names = naming({"ids", "table"});
  expectShape(embeddingShape({Sym(0), Sym(1)}, {S(512), S(64)}, names),
              {Sym(0), Sym(1), S(64)});
  expectShape(embeddingShape({U()}, {U(), U()}, names), {U(), U()});
  expectError(embeddingShape({Sym(0)}, {S(256)}, names), 1,
              "table has shape [256]; expected 2 dims [V, D]");
}

TEST(Naming, DescribeOverridesTheRole) {
  Naming names({"x", "w", "bias"});
  names.describe = [](size_t i) { return "input " + std::to_string(i); };
  expectError(linearShape({S(8)}, {S(16), S(6)}, nullptr, names), 1,
              "input 1 has shape [16, 6]; expected dim 1 to be 8 (D of x)");
}

} // namespace
} // namespace kiln::shapes::test
