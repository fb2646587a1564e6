//===- ModelErrorTest.cpp - Diagnostics of invalid models -----------------===//
//
// One test per kind of error that parseModel reports: each checks the
// location (file and JSON pointer, or file:line:col) and the substance of
// the message. A last test loads every test/import/errors/*.json and checks
// that the message matches the CHECK line of its lit test.
//
//===----------------------------------------------------------------------===//

#include "test/unit/Model/ModelTestSupport.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fstream>
#include <sstream>

using namespace kiln::model;
using kiln::model::test::smallModel;
using kiln::model::test::unitDir;

namespace {

/// Parses `text` as "m.json", expects a failure at `location` whose message
/// contains every fragment.
void expectError(const std::string &text, const std::string &location,
                 std::initializer_list<const char *> fragments) {
  Error error;
  std::optional<Model> model = parseModel(text, "m.json", error);
  ASSERT_FALSE(model) << "parsed although " << location << " is invalid";
  EXPECT_EQ(error.location, "m.json" + (location[0] == ':' ? location
                                                           : ": " + location));
  for (const char *fragment : fragments)
    EXPECT_NE(error.message.find(fragment), std::string::npos)
        << "'" << fragment << "' not in: " << error.str();
}

/// `nodes` inside smallModel, output y.
void expectNodeError(const std::string &nodes, const std::string &location,
                     std::initializer_list<const char *> fragments) {
  expectError(smallModel(nodes), location, fragments);
}

} // namespace

TEST(ModelErrorTest, SyntaxErrorHasLineAndColumn) {
  expectError("{\n  \"kiln\": 1,\n  \"name\": \"m\" \"inputs\": []\n}", ":3:22",
              {"syntax error", "unexpected string literal"});
  expectError("{\"kiln\": 1,", ":1:12", {"unexpected end of input"});
  expectError("", ":1:1", {"unexpected end of input"});
}

TEST(ModelErrorTest, TopLevelShapeAndTypes) {
  expectError("[]", "/", {"expected a model object, got array"});
  expectError(R"({"kiln": 1, "name": "m", "inputs": [], "nodes": {}, "outputs": []})",
              "/nodes", {"expected an array of nodes, got object"});
  expectError(R"({"kiln": "1", "name": "m", "inputs": [], "nodes": [], "outputs": []})",
              "/kiln", {"unsupported format version \"1\"", "expected 1"});
  expectError(R"({"kiln": 1, "name": "a b", "inputs": [], "nodes": [], "outputs": []})",
              "/name", {"invalid model name 'a b'"});
  expectError(R"({"kiln": 1, "name": "m", "dims": ["n", "n"], "inputs": [],
                  "nodes": [], "outputs": []})",
              "/dims/1", {"duplicate dimension 'n'"});
  expectError(R"({"kiln": 1, "name": "m", "inputs": [], "nodes": [], "outputs": []})",
              "/outputs", {"no outputs"});
}

TEST(ModelErrorTest, MissingAndUnknownKeys) {
  expectError(R"({"kiln": 1, "name": "m", "inputs": [], "nodes": []})",
              "/outputs", {"missing required key 'outputs'"});
  expectError(R"({"kiln": 1, "name": "m", "input": [], "nodes": [], "outputs": []})",
              "/input", {"unknown key 'input'", "expected one of kiln, name"});
  expectError(R"({"kiln": 1, "name": "m", "nodes": [], "outputs": ["x"],
                  "inputs": [{"name": "x", "type": "f32", "shape": []}]})",
              "/inputs/0/type", {"unknown key 'type' in a tensor declaration"});
  expectError(R"({"kiln": 1, "name": "m", "nodes": [], "outputs": ["x"],
                  "inputs": [{"name": "x", "shape": []}]})",
              "/inputs/0/dtype", {"missing required key 'dtype'"});
  expectNodeError(R"([{"op": "relu", "inputs": ["x"], "outputs": ["y"], "attr": {}}])",
                  "/nodes/0/attr", {"unknown key 'attr' in a node"});
  expectNodeError(R"([{"op": "relu", "inputs": ["x"]}])", "/nodes/0/outputs",
                  {"missing required key 'outputs' in a node"});
}

TEST(ModelErrorTest, TensorDeclarations) {
  std::string tail = R"(, "nodes": [], "outputs": ["x"]})";
  expectError(R"({"kiln": 1, "name": "m", "dims": ["batch"],
      "inputs": [{"name": "x", "dtype": "f64", "shape": [2]}])" + tail,
              "/inputs/0/dtype", {"unknown dtype 'f64'", "f32, f16, bf16"});
  expectError(R"({"kiln": 1, "name": "m", "dims": ["batch"],
      "inputs": [{"name": "x", "dtype": "f32", "shape": ["batch", "seq"]}])" + tail,
              "/inputs/0/shape/1",
              {"undeclared dimension 'seq'", "declared dims are batch"});
  expectError(R"({"kiln": 1, "name": "m",
      "inputs": [{"name": "x", "dtype": "f32", "shape": [0]}])" + tail,
              "/inputs/0/shape/0", {"expected a positive integer size", "got 0"});
  expectError(R"({"kiln": 1, "name": "m", "dims": ["n"],
      "inputs": [{"name": "x", "dtype": "f32", "shape": ["n"]}],
      "params": [{"name": "w", "dtype": "f32", "shape": [4, "n"]}])" + tail,
              "/params/0/shape/1", {"parameter shapes must be static", "'n'"});
}

TEST(ModelErrorTest, UnknownOpAndAttrs) {
  expectNodeError(R"([{"op": "gelu_erf", "inputs": ["x"], "outputs": ["y"]}])",
                  "/nodes/0/op", {"unknown op 'gelu_erf'", "expected one of attention"});
  expectNodeError(R"([{"op": "softmax", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"dim": 1}}])",
                  "/nodes/0/attrs/dim",
                  {"unknown attr 'dim' for op 'softmax'", "expected one of axis"});
  expectNodeError(R"([{"op": "add", "inputs": ["x", "x"], "outputs": ["y"],
                       "attrs": {"axis": 1}}])",
                  "/nodes/0/attrs/axis", {"op 'add' takes no attrs"});
  expectNodeError(R"([{"op": "attention", "inputs": ["q", "k", "v"], "outputs": ["y"],
                       "attrs": {"mask": {"kind": "foo"}}}])",
                  "/nodes/0/attrs/mask/kind",
                  {"unknown mask kind 'foo'; expected one of none, causal, "
                   "sliding_window, block_diagonal"});
  // The shorthand string is the kind itself: the error points at it.
  expectNodeError(
      R"([{"op": "attention", "inputs": ["q", "k", "v"], "outputs": ["y"],
                       "attrs": {"mask": "foo"}}])",
      "/nodes/0/attrs/mask",
      {"unknown mask kind 'foo'; expected one of none, causal, "
       "sliding_window, block_diagonal"});
  expectNodeError(R"([{"op": "attention", "inputs": ["q", "k", "v"], "outputs": ["y"],
                       "attrs": {"mask": {"kind": "causal", "window": 4}}}])",
                  "/nodes/0/attrs/mask/window",
                  {"'window' applies only to mask kind sliding_window"});
  expectNodeError(R"([{"op": "attention", "inputs": ["q", "k", "v"], "outputs": ["y"],
                       "attrs": {"mask": {"kind": "causal", "causal": false}}}])",
                  "/nodes/0/attrs/mask/causal",
                  {"mask kind causal is always causal"});
  expectNodeError(R"([{"op": "attention", "inputs": ["q", "k", "v"], "outputs": ["y"],
                       "attrs": {"mask": {"kind": "block_diagonal"}}}])",
                  "/nodes/0/attrs/mask/block", {"missing required key 'block'"});
  expectNodeError(R"([{"op": "linear_attention", "inputs": ["q", "k", "v"],
                       "outputs": ["y"], "attrs": {"feature_map": "elu"}}])",
                  "/nodes/0/attrs/feature_map",
                  {"unknown feature_map 'elu'", "elu1, relu, identity"});
  expectNodeError(R"([{"op": "mlp", "inputs": ["x", "w", "b", "w2"], "outputs": ["y"],
                       "attrs": {"activation": "swish"}}])",
                  "/nodes/0/attrs/activation", {"unknown activation 'swish'"});
  expectNodeError(R"([{"op": "cast", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"dtype": "f8"}}])",
                  "/nodes/0/attrs/dtype", {"unknown dtype 'f8'"});
}

TEST(ModelErrorTest, AttrValues) {
  std::string attention =
      R"([{"op": "attention", "inputs": ["q", "k", "v"], "outputs": ["y"], "attrs": )";
  expectNodeError(attention + R"({"mask": {"kind": "sliding_window", "window": 0}}}])",
                  "/nodes/0/attrs/mask/window",
                  {"expected a positive integer, got 0"});
  expectNodeError(attention + R"({"normalizer": {"kind": "power", "p": 3}}}])",
                  "/nodes/0/attrs/normalizer/p",
                  {"expected a positive even integer, got 3"});
  expectNodeError(attention + R"({"scale": 0}}])", "/nodes/0/attrs/scale",
                  {"expected a positive number, got 0"});
  expectNodeError(attention + R"({"normalizer": "sparsemax"}}])",
                  "/nodes/0/attrs/normalizer", {"unknown normalizer 'sparsemax'"});
  expectNodeError(attention + R"({"softcap": -30}}])", "/nodes/0/attrs/softcap",
                  {"expected a positive number, got -30"});
  expectNodeError(attention + R"({"softcap": 1e39}}])",
                  "/nodes/0/attrs/softcap",
                  {"softcap 1e+39 is out of range; expected from 1.2e-38 (the "
                   "smallest normal f32) to 1e38"});
  expectNodeError(attention + R"({"softcap": 1e-39}}])",
                  "/nodes/0/attrs/softcap", {"softcap 1e-39 is out of range"});
  expectNodeError(
      attention +
          R"({"softcap": 50, "normalizer": {"kind": "power", "p": 2}}}])",
      "/nodes/0/attrs/softcap",
      {"softcap applies only to the softmax normalizer"});
  expectNodeError(R"([{"op": "layer_norm", "inputs": ["x", "x"], "outputs": ["y"],
                       "attrs": {"eps": -1}}])",
                  "/nodes/0/inputs/1", {"expected 1 dims [D]"});
  expectNodeError(R"([{"op": "rms_norm", "inputs": ["w2", "b"], "outputs": ["y"],
                       "attrs": {"eps": -1}}])",
                  "/nodes/0/attrs/eps", {"expected a positive number, got -1"});
  expectNodeError(R"([{"op": "rope", "inputs": ["q"], "outputs": ["y"],
                       "attrs": {"theta": "big"}}])",
                  "/nodes/0/attrs/theta", {"expected a positive number"});
  expectNodeError(R"([{"op": "rope", "inputs": ["q"], "outputs": ["y"],
                       "attrs": {"rotary_dim": 32}}])",
                  "/nodes/0/attrs/rotary_dim",
                  {"rotary_dim 32 exceeds the head size D = 16"});
  expectNodeError(R"([{"op": "rope", "inputs": ["q"], "outputs": ["y"],
                       "attrs": {"rotary_dim": 5}}])",
                  "/nodes/0/attrs/rotary_dim", {"positive even integer"});
  expectNodeError(R"([{"op": "softmax", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"axis": 3}}])",
                  "/nodes/0/attrs/axis", {"expected an axis in [-3, 3)", "got 3"});
  expectNodeError(R"([{"op": "reduce_sum", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"axes": [1, -2]}}])",
                  "/nodes/0/attrs/axes/1", {"listed twice"});
  expectNodeError(R"([{"op": "linear_recurrence", "inputs": ["x", "x"], "outputs": ["y"],
                       "attrs": {"reverse": 1}}])",
                  "/nodes/0/attrs/reverse", {"expected a boolean, got integer"});
  expectNodeError(R"([{"op": "transpose", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"perm": [0, 0, 1]}}])",
                  "/nodes/0/attrs/perm/1", {"expected a permutation of the 3 axes"});
}

TEST(ModelErrorTest, InputAndOutputCounts) {
  expectNodeError(R"([{"op": "add", "inputs": ["x", "x", "x"], "outputs": ["y"]}])",
                  "/nodes/0/inputs", {"op 'add' takes 2 inputs (a, b), got 3"});
  expectNodeError(R"([{"op": "attention", "inputs": ["q", "k"], "outputs": ["y"]}])",
                  "/nodes/0/inputs",
                  {"takes 3 to 5 inputs (q, k, v, bias?, seq_offsets?), got 2"});
  expectNodeError(R"([{"op": "mlp", "inputs": ["x", "w", "b", ""], "outputs": ["y"]}])",
                  "/nodes/0/inputs/3", {"empty name for the required input 'w_out'"});
  expectNodeError(R"([{"op": "relu", "inputs": ["x"], "outputs": ["y", "z"]}])",
                  "/nodes/0/outputs", {"op 'relu' produces 1 output, got 2"});
  expectNodeError(R"([{"op": "selective_scan", "inputs": ["x", "x", "w", "x", "x"],
                       "outputs": []}])",
                  "/nodes/0/outputs", {"produces 1 or 2 outputs, got 0"});
  expectNodeError(R"([{"op": "attention", "inputs": ["q", "k", "v", "", "ids"],
                       "outputs": ["y"], "attrs": {"seq_offsets": "ids"}}])",
                  "/nodes/0/attrs/seq_offsets", {"both as input 4 and as an attr"});
}

TEST(ModelErrorTest, NamesAndGraphStructure) {
  expectNodeError(R"([{"op": "relu", "inputs": ["x"], "outputs": ["h"]},
                      {"op": "add", "inputs": ["h", "hh"], "outputs": ["y"]}])",
                  "/nodes/1/inputs/1", {"undefined value 'hh'"});
  expectNodeError(R"([{"op": "relu", "inputs": ["x"], "outputs": ["h"]},
                      {"op": "gelu", "inputs": ["x"], "outputs": ["h"]}])",
                  "/nodes/1/outputs/0",
                  {"duplicate value name 'h'", "already defined at /nodes/0/outputs/0"});
  expectNodeError(R"([{"op": "relu", "inputs": ["x"], "outputs": ["w"]}])",
                  "/nodes/0/outputs/0", {"already defined at /params/0"});
  expectNodeError(R"([{"op": "neg", "inputs": ["a"], "outputs": ["y"]},
                      {"op": "add", "inputs": ["x", "c"], "outputs": ["a"]},
                      {"op": "mul", "inputs": ["a", "x"], "outputs": ["c"]}])",
                  "/nodes/1/inputs/1",
                  {"cycle: input 'c' depends on this node's own output (a -> c -> this node)"});
  expectNodeError(R"([{"op": "relu", "inputs": ["y"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/0", {"cycle: input 'y'", "(y -> this node)"});
  expectError(smallModel(R"([{"op": "relu", "inputs": ["x"], "outputs": ["y"]}])",
                         R"(["y", "logits"])"),
              "/outputs/1", {"undefined value 'logits'"});
  expectError(smallModel(R"([{"op": "relu", "inputs": ["x"], "outputs": ["y"]}])",
                         R"(["y", "y"])"),
              "/outputs/1", {"listed twice"});
}

TEST(ModelErrorTest, DTypeMismatches) {
  expectNodeError(R"([{"op": "add", "inputs": ["x", "ids"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/1",
                  {"input b ('ids') has dtype i32; expected f32, the dtype of input a ('x')"});
  expectNodeError(R"([{"op": "silu", "inputs": ["ids"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/0", {"expected a floating-point tensor"});
  expectNodeError(R"([{"op": "embedding", "inputs": ["x", "w"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/0", {"expected an index tensor (i32 or i64)"});
  expectNodeError(R"([{"op": "rope", "inputs": ["q", "x"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/1", {"input positions ('x') has dtype f32"});
  expectNodeError(R"([{"op": "attention", "inputs": ["q", "k", "v", "", "x"],
                       "outputs": ["y"]}])",
                  "/nodes/0/inputs/4", {"input seq_offsets ('x') has dtype f32"});
}

TEST(ModelErrorTest, ShapeMismatches) {
  expectNodeError(R"([{"op": "add", "inputs": ["x", "b"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/1",
                  {"cannot broadcast [batch, seq, 64] with [32]: 64 vs 32"});
  expectNodeError(R"([{"op": "matmul", "inputs": ["x", "w"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/1",
                  {"has shape [32, 64]; expected dim 0 to be 64"});
  expectNodeError(R"([{"op": "linear", "inputs": ["x", "w2"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/1", {"expected dim 1 to be 64 (D of x)"});
  expectNodeError(R"([{"op": "attention", "inputs": ["x", "k", "v"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/0",
                  {"input q ('x') has shape [batch, seq, 64]; expected 4 dims [B, T, H, D]"});
  expectNodeError(R"([{"op": "attention", "inputs": ["q", "k", "v", "x"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/3",
                  {"expected a shape broadcastable to [B, H, T, S] = [batch, 4, seq, seq]"});
  expectNodeError(R"([{"op": "conv1d", "inputs": ["x", "w"], "outputs": ["y"]}])",
                  "/nodes/0/inputs/1", {"expected dim 0 to be 64 (C of x)"});
  expectNodeError(R"([{"op": "selective_scan", "inputs": ["x", "x", "w", "x", "x"],
                       "outputs": ["y"]}])",
                  "/nodes/0/inputs/2", {"expected dim 0 to be 64 (D of u)"});
}

TEST(ModelErrorTest, GroupedQueryAttentionHeads) {
  std::string text = smallModel(R"([
    {"op": "slice", "inputs": ["k"], "outputs": ["k3"], "attrs": {"axis": 2, "end": 3}},
    {"op": "slice", "inputs": ["v"], "outputs": ["v3"], "attrs": {"axis": 2, "end": 3}},
    {"op": "slice", "inputs": ["v"], "outputs": ["v1"], "attrs": {"axis": 2, "end": 1}},
    {"op": "attention", "inputs": ["q", "k3", "v3"], "outputs": ["y"]},
    {"op": "attention", "inputs": ["q", "k3", "v1"], "outputs": ["z"]}])");
  expectError(text, "/nodes/3/inputs/1",
              {"input k ('k3') has 3 heads and q has 4", "multiple"});
}

TEST(ModelErrorTest, ShapesThatDoNotInfer) {
  expectNodeError(R"([{"op": "reshape", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"shape": ["batch", -1]}}])",
                  "/nodes/0/attrs/shape", {"the symbolic dims differ (batch, seq vs batch)"});
  expectNodeError(R"([{"op": "reshape", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"shape": ["batch", "seq", 5, -1]}}])",
                  "/nodes/0/attrs/shape", {"64 is not divisible by 5"});
  expectNodeError(R"([{"op": "reshape", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"shape": ["seq", "batch", 60]}}])",
                  "/nodes/0/attrs/shape", {"static sizes multiply to 64 vs 60"});
  expectNodeError(R"([{"op": "reshape", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"shape": ["seq", "batch", -1, -1]}}])",
                  "/nodes/0/attrs/shape/3", {"a single -1"});
  expectNodeError(R"([{"op": "reshape", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"shape": ["seq", "tokens", 64]}}])",
                  "/nodes/0/attrs/shape/1", {"undeclared dimension 'tokens'"});
  expectNodeError(R"([{"op": "split", "inputs": ["x"], "outputs": ["s0", "s1", "y"],
                       "attrs": {"axis": -1}}])",
                  "/nodes/0/inputs/0", {"divide into 3 equal parts"});
  expectNodeError(R"([{"op": "split", "inputs": ["x"], "outputs": ["s0", "y"],
                       "attrs": {"axis": 2, "sizes": [16, 32]}}])",
                  "/nodes/0/attrs/sizes", {"sizes add up to 48; expected 64"});
  expectNodeError(R"([{"op": "slice", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"axis": 1, "start": 2}}])",
                  "/nodes/0/attrs/start", {"depends on the axis"});
  expectNodeError(R"([{"op": "slice", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"axis": 1, "start": -4, "end": 2}}])",
                  "/nodes/0/attrs/end", {"same end"});
  expectNodeError(R"([{"op": "slice", "inputs": ["x"], "outputs": ["y"],
                       "attrs": {"axis": 2, "start": 40, "end": -30}}])",
                  "/nodes/0/attrs/end", {"empty slice [40, 34)"});
  expectNodeError(R"([{"op": "concat", "inputs": ["x", "q"], "outputs": ["y"],
                       "attrs": {"axis": 2}}])",
                  "/nodes/0/inputs/1", {"expected 3 dims like input x0"});
  expectNodeError(R"([{"op": "concat", "inputs": ["x"], "outputs": ["y"]}])",
                  "/nodes/0/attrs/axis", {"missing required attr 'axis'"});
}

TEST(ModelErrorTest, SymbolicHeadSizeNeedsScale) {
  std::string text = R"({"kiln": 1, "name": "m", "dims": ["d"],
    "inputs": [{"name": "q", "dtype": "f32", "shape": [1, 2, 2, "d"]}],
    "nodes": [{"op": "attention", "inputs": ["q", "q", "q"], "outputs": ["y"]}],
    "outputs": ["y"]})";
  expectError(text, "/nodes/0/inputs/0", {"expected a static head size D"});
}

TEST(ModelErrorTest, UnreadableFile) {
  Error error;
  EXPECT_FALSE(loadModel("/nonexistent/m.json", error));
  EXPECT_EQ(error.str(), "/nonexistent/m.json: error: cannot open the model file");
}

namespace {

std::string readFile(const std::string &path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

} // namespace

/// Every file of test/import/errors fails to load, with the message that its
/// lit test's CHECK line expects (the lit test itself needs kiln-compile).
TEST(ModelErrorTest, ImportErrorFilesMatchTheirCheckLines) {
  std::string dir = unitDir() + "/../import/errors";
  DIR *handle = opendir(dir.c_str());
  ASSERT_TRUE(handle) << "cannot open " << dir;
  std::vector<std::string> names;
  while (dirent *entry = readdir(handle)) {
    std::string name = entry->d_name;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json")
      names.push_back(name.substr(0, name.size() - 5));
  }
  closedir(handle);
  EXPECT_GE(names.size(), 20u);
  for (const std::string &name : names) {
    SCOPED_TRACE(name);
    Error error;
    EXPECT_FALSE(loadModel(dir + "/" + name + ".json", error));
    std::string test = readFile(dir + "/" + name + ".test");
    std::string marker = "// CHECK: ";
    size_t at = test.find(marker);
    ASSERT_NE(at, std::string::npos) << "no CHECK line in " << name << ".test";
    std::string check = test.substr(at + marker.size());
    check = check.substr(0, check.find('\n'));
    EXPECT_NE(error.str().find(check), std::string::npos)
        << "CHECK: " << check << "\nactual: " << error.str();
    EXPECT_EQ(check.find("{{"), std::string::npos);
    EXPECT_EQ(check.find("[["), std::string::npos);
    EXPECT_NE(test.find("%S/" + name + ".json"), std::string::npos);
  }
}
