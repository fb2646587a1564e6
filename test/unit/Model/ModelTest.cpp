//===- ModelTest.cpp - Parsing and shape inference of valid models --------===//
//
// Valid GPT-style and Mamba-style models parse with the expected inferred
// shapes, node order and normalized attrs (docs/json-ir.md).
//
//===----------------------------------------------------------------------===//

#include "test/unit/Model/ModelTestSupport.h"

#include <gtest/gtest.h>

using namespace kiln::model;
using kiln::model::test::smallModel;
using kiln::model::test::unitDir;

namespace {

Model parseOk(const std::string &text) {
  Error error;
  std::optional<Model> model = parseModel(text, "dir/m.json", error);
  EXPECT_TRUE(model) << error.str();
  return model ? std::move(*model) : Model();
}

std::string shapeOf(const Model &model, const std::string &name) {
  int id = model.lookup(name);
  return id < 0 ? "<undefined>" : formatShape(model, model.value(id).type.shape);
}

const Node *producerOf(const Model &model, const std::string &name) {
  int id = model.lookup(name);
  if (id < 0 || model.value(id).producer < 0)
    return nullptr;
  return &model.nodes[model.value(id).producer];
}

} // namespace

TEST(ModelTest, GptStyleModel) {
  Error error;
  std::optional<Model> model =
      loadModel(unitDir() + "/Model/data/gpt-tiny.json", error);
  ASSERT_TRUE(model) << error.str();
  const Model &m = *model;
  EXPECT_EQ(m.name, "gpt-tiny");
  EXPECT_EQ(m.dims, (std::vector<std::string>{"batch", "seq"}));
  EXPECT_EQ(shapeOf(m, "x0"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "qkv"), "[batch, seq, 192]");
  EXPECT_EQ(shapeOf(m, "k"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "k4"), "[batch, seq, 4, 16]");
  EXPECT_EQ(shapeOf(m, "a4"), "[batch, seq, 4, 16]");
  EXPECT_EQ(shapeOf(m, "m"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "logits"), "[batch, seq, 512]");
  EXPECT_EQ(m.value(m.lookup("logits")).type.dtype, DType::F32);
  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_EQ(m.value(m.outputs[0]).name, "logits");
  EXPECT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.params.size(), 15u);
  EXPECT_EQ(m.weights, unitDir() + "/Model/data/gpt-tiny.safetensors");
  EXPECT_NE(m.source.find("\"gpt-tiny\""), std::string::npos);

  const Node *attention = producerOf(m, "a4");
  ASSERT_TRUE(attention);
  EXPECT_EQ(attention->pointer, "/nodes/9");
  EXPECT_EQ(attention->inputs.size(), 5u);
  EXPECT_EQ(attention->inputs[3], -1);
  EXPECT_EQ(attention->inputs[4], -1);
  EXPECT_DOUBLE_EQ(attention->attrs["scale"].get<double>(), 0.25);
  EXPECT_EQ(attention->attrs["mask"], nlohmann::json({{"kind", "causal"}}));
  EXPECT_EQ(attention->attrs["normalizer"],
            nlohmann::json({{"kind", "softmax"}}));
  const Node *rope = producerOf(m, "qr");
  EXPECT_EQ(rope->attrs, nlohmann::json({{"theta", 10000.0},
                                         {"rotary_dim", 16},
                                         {"interleaved", false}}));
  EXPECT_EQ(producerOf(m, "k4")->attrs["shape"],
            nlohmann::json({"batch", "seq", 4, 16}));
  EXPECT_EQ(producerOf(m, "q")->attrs,
            nlohmann::json({{"axis", 2}, {"sizes", {64, 64, 64}}}));
  EXPECT_EQ(producerOf(m, "m")->attrs["activation"], "gelu_tanh");
  EXPECT_EQ(producerOf(m, "logits")->inputs,
            (std::vector<int>{m.lookup("hf"), m.lookup("wte"), -1}));
}

TEST(ModelTest, MambaStyleModelIsSortedTopologically) {
  Error error;
  std::optional<Model> model =
      loadModel(unitDir() + "/Model/data/mamba-tiny.json", error);
  ASSERT_TRUE(model) << error.str();
  const Model &m = *model;
  EXPECT_EQ(shapeOf(m, "xc"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "dt"), "[batch, seq, 4]");
  EXPECT_EQ(shapeOf(m, "Bm"), "[batch, seq, 8]");
  EXPECT_EQ(shapeOf(m, "delta"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "A"), "[64, 8]");
  EXPECT_EQ(shapeOf(m, "y"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "state"), "[batch, 64, 8]");
  EXPECT_EQ(shapeOf(m, "logits"), "[batch, seq, 256]");
  EXPECT_TRUE(m.weights.empty());

  // The scan, first in the file, runs after every producer of its inputs;
  // the other nodes keep their file order.
  std::vector<std::string> order;
  for (const Node &node : m.nodes)
    order.push_back(node.pointer);
  EXPECT_EQ(order, (std::vector<std::string>{
                       "/nodes/1", "/nodes/2", "/nodes/3", "/nodes/4",
                       "/nodes/5", "/nodes/6", "/nodes/7", "/nodes/8",
                       "/nodes/9", "/nodes/10", "/nodes/11", "/nodes/0",
                       "/nodes/12", "/nodes/13", "/nodes/14", "/nodes/15"}));
  for (size_t n = 0; n < m.nodes.size(); ++n) {
    for (int input : m.nodes[n].inputs) {
      if (input >= 0) {
        EXPECT_LT(m.value(input).producer, (int)n);
      }
    }
    for (int output : m.nodes[n].outputs)
      EXPECT_EQ(m.value(output).producer, (int)n);
  }
  const Node *scan = producerOf(m, "y");
  EXPECT_EQ(scan->attrs, nlohmann::json({{"delta_softplus", true}}));
  EXPECT_EQ(scan->outputs.size(), 2u);
  // Values are numbered inputs, params, then outputs in node order.
  EXPECT_EQ(m.lookup("tokens"), 0);
  EXPECT_EQ(m.lookup("emb"), 1);
  EXPECT_EQ(m.lookup("x"), 13);
}

TEST(ModelTest, AttentionAttrsAreNormalized) {
  Model m = parseOk(smallModel(R"([
    {"op": "attention", "inputs": ["q", "k", "v"], "outputs": ["y"],
     "attrs": {"mask": {"kind": "block_diagonal", "block": 8},
               "normalizer": {"kind": "power", "p": 4}, "scale": 0.5,
               "seq_offsets": "offsets"}},
    {"op": "reduce_max", "inputs": ["ids"], "outputs": ["offsets"],
     "attrs": {"axes": [0]}}])"));
  const Node *node = producerOf(m, "y");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->inputs[4], m.lookup("offsets"));
  EXPECT_EQ(node->attrs,
            nlohmann::json({{"scale", 0.5},
                            {"mask", {{"kind", "block_diagonal"},
                                      {"block", 8},
                                      {"causal", false}}},
                            {"normalizer", {{"kind", "power"}, {"p", 4}}}}));
  EXPECT_EQ(m.nodes[0].op, "reduce_max");
}

TEST(ModelTest, MaskShorthandAndCausalModifier) {
  auto maskOf = [](const char *mask) {
    Model m = parseOk(smallModel(std::string(R"([
      {"op": "attention", "inputs": ["q", "k", "v"], "outputs": ["y"],
       "attrs": {"mask": )") + mask + "}}]"));
    return producerOf(m, "y")->attrs["mask"];
  };
  EXPECT_EQ(maskOf(R"("causal")"), nlohmann::json({{"kind", "causal"}}));
  EXPECT_EQ(maskOf(R"({"kind": "none", "causal": true})"),
            nlohmann::json({{"kind", "causal"}}));
  EXPECT_EQ(maskOf(R"({"kind": "sliding_window", "window": 3, "causal": true})"),
            nlohmann::json({{"kind", "sliding_window"}, {"window", 3}}));
}

TEST(ModelTest, GroupedQueryAttentionAndBias) {
  std::string text = smallModel(R"([
    {"op": "slice", "inputs": ["k"], "outputs": ["k1"],
     "attrs": {"axis": 2, "start": -1}},
    {"op": "slice", "inputs": ["v"], "outputs": ["v1"],
     "attrs": {"axis": -2, "start": 3, "end": 100}},
    {"op": "reshape", "inputs": ["x"], "outputs": ["bias"],
     "attrs": {"shape": ["batch", 1, "seq", 64]}},
    {"op": "slice", "inputs": ["bias"], "outputs": ["bias1"],
     "attrs": {"axis": 3, "end": 1}},
    {"op": "attention", "inputs": ["q", "k1", "v1", "bias1"], "outputs": ["y"],
     "attrs": {"mask": {"kind": "sliding_window", "window": 4}}}])");
  Model m = parseOk(text);
  EXPECT_EQ(shapeOf(m, "k1"), "[batch, seq, 1, 16]");
  EXPECT_EQ(shapeOf(m, "y"), "[batch, seq, 4, 16]");
  EXPECT_EQ(producerOf(m, "k1")->attrs,
            nlohmann::json({{"axis", 2}, {"start", 3}, {"end", 4}}));
  EXPECT_EQ(producerOf(m, "y")->attrs["mask"],
            nlohmann::json({{"kind", "sliding_window"}, {"window", 4}}));
}

TEST(ModelTest, FeedForwardAndElementwiseShapes) {
  Model m = parseOk(smallModel(R"([
    {"op": "glu", "inputs": ["x", "w", "w", "w2"], "outputs": ["g"]},
    {"op": "mlp", "inputs": ["x", "w", "", "w2"], "outputs": ["f"]},
    {"op": "linear", "inputs": ["x", "w", "b"], "outputs": ["l"]},
    {"op": "mul", "inputs": ["l", "b"], "outputs": ["s"]},
    {"op": "softmax", "inputs": ["s"], "outputs": ["p"], "attrs": {"axis": -2}},
    {"op": "reduce_mean", "inputs": ["p"], "outputs": ["r"],
     "attrs": {"axes": [-1, 0], "keepdims": true}},
    {"op": "reduce_sum", "inputs": ["p"], "outputs": ["r2"]},
    {"op": "cast", "inputs": ["ids"], "outputs": ["idsf"], "attrs": {"dtype": "f16"}},
    {"op": "gelu", "inputs": ["g"], "outputs": ["y"]}])"));
  EXPECT_EQ(shapeOf(m, "g"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "f"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "l"), "[batch, seq, 32]");
  EXPECT_EQ(shapeOf(m, "s"), "[batch, seq, 32]");
  EXPECT_EQ(shapeOf(m, "r"), "[1, seq, 1]");
  EXPECT_EQ(shapeOf(m, "r2"), "[]");
  EXPECT_EQ(m.value(m.lookup("idsf")).type.dtype, DType::F16);
  EXPECT_EQ(producerOf(m, "p")->attrs, nlohmann::json({{"axis", 1}}));
  EXPECT_EQ(producerOf(m, "r")->attrs,
            nlohmann::json({{"axes", {0, 2}}, {"keepdims", true}}));
  EXPECT_EQ(producerOf(m, "r2")->attrs,
            nlohmann::json({{"axes", {0, 1, 2}}, {"keepdims", false}}));
  EXPECT_EQ(producerOf(m, "f")->inputs.size(), 5u);
  EXPECT_EQ(producerOf(m, "f")->inputs[2], -1);
  EXPECT_EQ(producerOf(m, "f")->attrs,
            nlohmann::json({{"activation", "gelu"}}));
  EXPECT_EQ(producerOf(m, "y")->attrs, nlohmann::json::object());
}

TEST(ModelTest, MatmulTransposeConcatAndRecurrences) {
  Model m = parseOk(smallModel(R"([
    {"op": "transpose", "inputs": ["k"], "outputs": ["kt"], "attrs": {"perm": [0, 2, 3, -3]}},
    {"op": "transpose", "inputs": ["q"], "outputs": ["qt"], "attrs": {"perm": [0, 2, 1, 3]}},
    {"op": "matmul", "inputs": ["qt", "kt"], "outputs": ["scores"]},
    {"op": "transpose", "inputs": ["w"], "outputs": ["wt"]},
    {"op": "matmul", "inputs": ["x", "wt"], "outputs": ["xw"]},
    {"op": "concat", "inputs": ["xw", "xw", "x"], "outputs": ["c"], "attrs": {"axis": 2}},
    {"op": "linear_recurrence", "inputs": ["x", "x"], "outputs": ["h"],
     "attrs": {"reverse": true}},
    {"op": "linear_attention", "inputs": ["q", "k", "v"], "outputs": ["la"],
     "attrs": {"causal": true, "feature_map": "relu"}},
    {"op": "rope", "inputs": ["q", "ids"], "outputs": ["y"],
     "attrs": {"rotary_dim": 8, "theta": 500000, "interleaved": true}}])"));
  EXPECT_EQ(shapeOf(m, "kt"), "[batch, 4, 16, seq]");
  EXPECT_EQ(shapeOf(m, "scores"), "[batch, 4, seq, seq]");
  EXPECT_EQ(shapeOf(m, "wt"), "[64, 32]");
  EXPECT_EQ(shapeOf(m, "xw"), "[batch, seq, 32]");
  EXPECT_EQ(shapeOf(m, "c"), "[batch, seq, 128]");
  EXPECT_EQ(shapeOf(m, "h"), "[batch, seq, 64]");
  EXPECT_EQ(shapeOf(m, "la"), "[batch, seq, 4, 16]");
  EXPECT_EQ(producerOf(m, "kt")->attrs, nlohmann::json({{"perm", {0, 2, 3, 1}}}));
  EXPECT_EQ(producerOf(m, "wt")->attrs, nlohmann::json({{"perm", {1, 0}}}));
  EXPECT_EQ(producerOf(m, "la")->attrs,
            nlohmann::json({{"feature_map", "relu"},
                            {"causal", true},
                            {"normalize", "denominator"}}));
  EXPECT_EQ(producerOf(m, "y")->attrs,
            nlohmann::json({{"theta", 500000.0},
                            {"rotary_dim", 8},
                            {"interleaved", true}}));
  EXPECT_EQ(producerOf(m, "h")->inputs, (std::vector<int>{0, 0, -1, -1}));
}

TEST(ModelTest, ReshapeRegroupsStaticSizesOnly) {
  Model m = parseOk(smallModel(R"([
    {"op": "reshape", "inputs": ["q"], "outputs": ["a"], "attrs": {"shape": ["seq", -1, "batch"]}},
    {"op": "reshape", "inputs": ["a"], "outputs": ["y"], "attrs": {"shape": [2, "batch", 32, "seq"]}}])"));
  EXPECT_EQ(shapeOf(m, "a"), "[seq, 64, batch]");
  EXPECT_EQ(shapeOf(m, "y"), "[2, batch, 32, seq]");
  EXPECT_EQ(producerOf(m, "a")->attrs,
            nlohmann::json({{"shape", {"seq", 64, "batch"}}}));
}

TEST(ModelTest, WeightsPathIsResolvedAgainstTheModelDirectory) {
  std::string text = R"({"kiln": 1, "name": "m", "weights": "../w.safetensors",
    "inputs": [{"name": "x", "dtype": "f32", "shape": [2]}],
    "nodes": [{"op": "relu", "inputs": ["x"], "outputs": ["y"]}],
    "outputs": ["y"]})";
  Error error;
  std::optional<Model> model = parseModel(text, "a/b/m.json", error);
  ASSERT_TRUE(model) << error.str();
  EXPECT_EQ(model->weights, "a/w.safetensors");
  model = parseModel(text, "m.json", error);
  ASSERT_TRUE(model) << error.str();
  EXPECT_EQ(model->weights, "../w.safetensors");
}

TEST(ModelTest, HelpersFormatAndLookUp) {
  EXPECT_EQ(parseDType("bf16"), DType::BF16);
  EXPECT_EQ(parseDType("f64"), std::nullopt);
  EXPECT_STREQ(dtypeName(DType::I64), "i64");
  EXPECT_EQ(dtypeSize(DType::F16), 2);
  EXPECT_FALSE(isFloat(DType::I32));
  Model m = parseOk(
      smallModel(R"([{"op": "relu", "inputs": ["x"], "outputs": ["y"]}])"));
  EXPECT_EQ(formatShape(m, {Dim::symbolic(1), Dim::fixed(3)}), "[seq, 3]");
  EXPECT_EQ(m.lookup("w2"), 7);
  EXPECT_EQ(m.lookup("nope"), -1);
  Error error{"m.json: /nodes/1", "bad"};
  EXPECT_EQ(error.str(), "m.json: /nodes/1: error: bad");
}
