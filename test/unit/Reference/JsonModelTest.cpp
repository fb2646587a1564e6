//===- JsonModelTest.cpp - Reference evaluator on parsed JSON IR models ---===//
//
// Runs models read by kiln::model::parseModel, so that the evaluator is
// tested against the normalized attributes the parser really produces
// (defaults filled in, axes made non-negative, skipped optional inputs):
// each default must give the same result as the explicit attribute.
//
//===----------------------------------------------------------------------===//

#include "test/unit/Reference/TestUtil.h"

namespace kiln::reference::test {
namespace {

model::Model parse(const std::string &text) {
  model::Error error;
  std::optional<model::Model> m = model::parseModel(text, "test.json", error);
  EXPECT_TRUE(m.has_value()) << error.str();
  return m ? *m : model::Model{};
}

std::vector<Tensor> run(const model::Model &m,
                        const std::map<std::string, Tensor> &inputs,
                        const std::map<std::string, Tensor> &params = {}) {
  std::string error;
  auto out = evaluate(m, inputs, params, error);
  EXPECT_TRUE(out.has_value()) << error;
  return out ? *out : std::vector<Tensor>{};
}

TEST(ReferenceJson, DefaultsEqualExplicitAttributes) {
  model::Model m = parse(R"({
    "kiln": 1, "name": "defaults", "dims": ["seq"],
    "inputs": [{"name": "x", "dtype": "f32", "shape": [2, "seq", 2, 4]}],
    "params": [{"name": "g", "dtype": "f32", "shape": [4]}],
    "nodes": [
      {"op": "attention", "inputs": ["x", "x", "x"], "outputs": ["a"]},
      {"op": "softmax", "inputs": ["x"], "outputs": ["s"]},
      {"op": "layer_norm", "inputs": ["x", "g"], "outputs": ["n"]},
      {"op": "split", "inputs": ["x"], "outputs": ["p0", "p1"], "attrs": {"axis": -1}},
      {"op": "transpose", "inputs": ["x"], "outputs": ["t"]},
      {"op": "slice", "inputs": ["x"], "outputs": ["c"], "attrs": {"axis": -1, "start": -3}},
      {"op": "reduce_max", "inputs": ["x"], "outputs": ["r"]},
      {"op": "rope", "inputs": ["x"], "outputs": ["q"]}
    ],
    "outputs": ["a", "s", "n", "p1", "t", "c", "r", "q"]
  })");
  Tensor x = random({2, 3, 2, 4}, 141), g = random({4}, 142);
  std::vector<Tensor> out = run(m, {{"x", x}}, {{"g", g}});
  ASSERT_EQ(out.size(), 8u);
  expectNear(out[0], runOp("attention", {x, x, x, std::nullopt, std::nullopt},
                           {{"scale", 0.5},
                            {"mask", {{"kind", "none"}}},
                            {"normalizer", {{"kind", "softmax"}}}},
                           {2, 3, 2, 4}), 0);
  expectNear(out[1], runOp("softmax", {x}, {{"axis", 3}}, {2, 3, 2, 4}), 0);
  expectNear(out[2], runOp("layer_norm", {x, g, std::nullopt}, {{"eps", 1e-5}}, {2, 3, 2, 4}), 0);
  expectNear(out[3], runOp("slice", {x}, {{"axis", 3}, {"start", 2}, {"end", 4}}, {2, 3, 2, 2}), 0);
  expectNear(out[4], runOp("transpose", {x}, {{"perm", {3, 2, 1, 0}}}, {4, 2, 3, 2}), 0);
  expectNear(out[5], runOp("slice", {x}, {{"axis", 3}, {"start", 1}, {"end", 4}}, {2, 3, 2, 3}), 0);
  expectNear(out[6], runOp("reduce_max", {x}, {{"axes", {0, 1, 2, 3}}, {"keepdims", false}}, {}), 0);
  expectNear(out[7], runOp("rope", {x, std::nullopt},
                           {{"theta", 10000}, {"rotary_dim", 4}, {"interleaved", false}},
                           {2, 3, 2, 4}), 0);
}

TEST(ReferenceJson, TransformerBlockWithSymbolicDims) {
  // Pre-norm block: embedding → rms_norm → qkv → split/reshape → rope →
  // causal GQA attention → output projection + residual → SwiGLU + residual.
  model::Model m = parse(R"({
    "kiln": 1, "name": "block", "dims": ["batch", "seq"],
    "inputs": [{"name": "tokens", "dtype": "i32", "shape": ["batch", "seq"]}],
    "params": [{"name": "wte", "dtype": "f32", "shape": [16, 8]},
               {"name": "ln", "dtype": "f32", "shape": [8]},
               {"name": "wq", "dtype": "f32", "shape": [8, 8]},
               {"name": "wkv", "dtype": "f32", "shape": [8, 8]},
               {"name": "wo", "dtype": "f32", "shape": [8, 8]},
               {"name": "wg", "dtype": "f32", "shape": [12, 8]},
               {"name": "wu", "dtype": "f32", "shape": [12, 8]},
               {"name": "wd", "dtype": "f32", "shape": [8, 12]}],
    "nodes": [
      {"op": "embedding", "inputs": ["tokens", "wte"], "outputs": ["x"]},
      {"op": "rms_norm", "inputs": ["x", "ln"], "outputs": ["h"]},
      {"op": "linear", "inputs": ["h", "wq"], "outputs": ["q"]},
      {"op": "linear", "inputs": ["h", "wkv"], "outputs": ["kv"]},
      {"op": "split", "inputs": ["kv"], "outputs": ["k", "v"], "attrs": {"axis": -1}},
      {"op": "reshape", "inputs": ["q"], "outputs": ["q4"], "attrs": {"shape": ["batch", "seq", 4, 2]}},
      {"op": "reshape", "inputs": ["k"], "outputs": ["k4"], "attrs": {"shape": ["batch", "seq", 2, 2]}},
      {"op": "reshape", "inputs": ["v"], "outputs": ["v4"], "attrs": {"shape": ["batch", "seq", 2, -1]}},
      {"op": "rope", "inputs": ["q4"], "outputs": ["qr"]},
      {"op": "rope", "inputs": ["k4"], "outputs": ["kr"]},
      {"op": "attention", "inputs": ["qr", "kr", "v4"], "outputs": ["a4"],
       "attrs": {"mask": {"kind": "causal"}}},
      {"op": "reshape", "inputs": ["a4"], "outputs": ["a"], "attrs": {"shape": ["batch", "seq", 8]}},
      {"op": "linear", "inputs": ["a", "wo"], "outputs": ["o"]},
      {"op": "add", "inputs": ["x", "o"], "outputs": ["x1"]},
      {"op": "glu", "inputs": ["x1", "wg", "wu", "wd"], "outputs": ["f"]},
      {"op": "add", "inputs": ["x1", "f"], "outputs": ["y"]}
    ],
    "outputs": ["y"]
  })");
  std::map<std::string, Tensor> params = {
      {"wte", random({16, 8}, 151)}, {"ln", random({8}, 152)},
      {"wq", random({8, 8}, 153)},   {"wkv", random({8, 8}, 154)},
      {"wo", random({8, 8}, 155)},   {"wg", random({12, 8}, 156)},
      {"wu", random({12, 8}, 157)},  {"wd", random({8, 12}, 158)}};
  Tensor tokens = tensor({2, 5}, {1, 5, 9, 2, 15, 0, 3, 3, 7, 11}, DType::I32);
  std::vector<Tensor> full = run(m, {{"tokens", tokens}}, params);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(full[0].shape, (Dims{2, 5, 8}));
  // Causality: the first 3 tokens alone give the first 3 rows.
  Tensor prefix = tensor({2, 3}, {1, 5, 9, 0, 3, 3}, DType::I32);
  std::vector<Tensor> part = run(m, {{"tokens", prefix}}, params);
  ASSERT_EQ(part.size(), 1u);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 3 * 8; ++i)
      EXPECT_EQ(part[0].data[b * 24 + i], full[0].data[b * 40 + i]);

  std::string error;
  EXPECT_FALSE(evaluate(m, {{"tokens", tensor({1, 1}, {16}, DType::I32)}}, params, error));
  EXPECT_EQ(error, "embedding at /nodes/0: id 16 out of range [0, 16)");
}

} // namespace
} // namespace kiln::reference::test
