//===- OpTable.cpp - The ops of JSON IR v1 --------------------------------===//
//
// One row per op: its positional inputs, output count, accepted attr keys
// and shape-inference function. The structural checks (input and output
// counts, unknown attrs) read this table; docs/json-ir.md documents it.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

namespace kiln::model::detail {

std::string OpSpec::role(size_t position) const {
  if (variadic)
    return inputs[0] + std::to_string(position);
  std::string name = position < inputs.size() ? inputs[position] : "?";
  if (!name.empty() && name.back() == '?')
    name.pop_back();
  return name;
}

bool OpSpec::isOptional(size_t position) const {
  return !variadic && position < inputs.size() && inputs[position].back() == '?';
}

size_t OpSpec::minInputs() const {
  if (variadic)
    return 1;
  size_t count = 0;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!isOptional(i))
      count = i + 1;
  return count;
}

namespace {

OpSpec make(const char *name, std::vector<std::string> inputs) {
  OpSpec spec;
  spec.name = name;
  spec.inputs = std::move(inputs);
  return spec;
}

OpSpec unary(const char *name, bool floatOnly) {
  OpSpec spec = make(name, {"x"});
  spec.floatOnly = floatOnly;
  spec.numericOnly = true;
  spec.infer = inferUnary;
  return spec;
}

OpSpec binary(const char *name, bool floatOnly) {
  OpSpec spec = make(name, {"a", "b"});
  spec.floatOnly = floatOnly;
  spec.numericOnly = true;
  spec.infer = inferBinary;
  return spec;
}

OpSpec reduce(const char *name, bool floatOnly) {
  OpSpec spec = make(name, {"x"});
  spec.attrs = {"axes", "keepdims"};
  spec.floatOnly = floatOnly;
  spec.infer = inferReduce;
  return spec;
}

OpSpec op(const char *name, std::vector<std::string> inputs,
          std::vector<std::string> attrs, bool (*infer)(OpContext &),
          unsigned minOutputs = 1, unsigned maxOutputs = 1) {
  OpSpec spec = make(name, std::move(inputs));
  spec.attrs = std::move(attrs);
  spec.infer = infer;
  spec.minOutputs = minOutputs;
  spec.maxOutputs = maxOutputs;
  return spec;
}

/// concat takes any number of inputs x0, x1, ...
OpSpec concat() {
  OpSpec spec = op("concat", {"x"}, {"axis"}, inferConcat);
  spec.variadic = true;
  return spec;
}

std::vector<OpSpec> buildTable() {
  std::vector<OpSpec> ops = {
      op("attention", {"q", "k", "v", "bias?", "seq_offsets?"},
         {"scale", "mask", "normalizer", "softcap", "seq_offsets"},
         inferAttention),
      op("linear_attention", {"q", "k", "v", "seq_offsets?"},
         {"feature_map", "causal", "normalize", "seq_offsets"},
         inferLinearAttention),
      op("selective_scan",
         {"u", "delta", "A", "Bm", "Cm", "Dskip?", "z?", "delta_bias?",
          "seq_offsets?"},
         {"delta_softplus", "seq_offsets"}, inferSelectiveScan, 1, 2),
      op("linear_recurrence", {"a", "b", "h0?", "seq_offsets?"},
         {"reverse", "seq_offsets"}, inferLinearRecurrence),
      op("mlp", {"x", "w_in", "b_in?", "w_out", "b_out?"}, {"activation"},
         inferMlp),
      op("glu", {"x", "w_gate", "w_up", "w_down"}, {"activation"}, inferGlu),
      op("linear", {"x", "w", "bias?"}, {}, inferLinear),
      op("matmul", {"a", "b"}, {}, inferMatmul),
      binary("add", false),
      binary("sub", false),
      binary("mul", false),
      binary("div", true),
      unary("relu", true),
      unary("gelu", true),
      unary("gelu_tanh", true),
      unary("silu", true),
      unary("quick_gelu", true),
      unary("sigmoid", true),
      unary("tanh", true),
      unary("exp", true),
      unary("softplus", true),
      unary("neg", false),
      unary("rsqrt", true),
      op("softmax", {"x"}, {"axis"}, inferSoftmax),
      op("layer_norm", {"x", "weight", "bias?"}, {"eps"}, inferNorm),
      op("rms_norm", {"x", "weight"}, {"eps"}, inferNorm),
      op("embedding", {"ids", "table"}, {}, inferEmbedding),
      op("rope", {"x", "positions?"}, {"theta", "rotary_dim", "interleaved"},
         inferRope),
      op("conv1d", {"x", "w", "bias?", "seq_offsets?"}, {"seq_offsets"},
         inferConv1d),
      op("reshape", {"x"}, {"shape"}, inferReshape),
      op("transpose", {"x"}, {"perm"}, inferTranspose),
      op("slice", {"x"}, {"axis", "start", "end"}, inferSlice),
      concat(),
      op("split", {"x"}, {"axis", "sizes"}, inferSplit, 1, 0),
      op("cast", {"x"}, {"dtype"}, inferCast),
      reduce("reduce_sum", false),
      reduce("reduce_mean", true),
      reduce("reduce_max", false),
      // Additions to v1 (DESIGN.md §4).
      op("constant", {}, {"value", "dtype", "shape"}, inferConstant),
      op("arange", {"x", "seq_offsets?"},
         {"axis", "start", "dtype", "seq_offsets"}, inferArange),
      op("gather", {"x", "indices"}, {"axis"}, inferGather),
      op("take_along_axis", {"x", "indices"}, {"axis"}, inferTakeAlongAxis),
      op("argmax", {"x"}, {"axis", "keepdims"}, inferArgmax),
      op("top_k", {"x"}, {"k", "axis"}, inferTopK, 1, 2),
      op("cumsum", {"x", "seq_offsets?"},
         {"axis", "exclusive", "reverse", "seq_offsets"}, inferCumsum),
      unary("log", true),
      unary("sqrt", true),
      unary("abs", true),
      unary("square", true),
      unary("erf", true),
      unary("sin", true),
      unary("cos", true),
      binary("maximum", false),
      binary("minimum", false),
      binary("pow", true),
      op("equal", {"a", "b"}, {}, inferComparison),
      op("not_equal", {"a", "b"}, {}, inferComparison),
      op("less", {"a", "b"}, {}, inferComparison),
      op("less_equal", {"a", "b"}, {}, inferComparison),
      op("greater", {"a", "b"}, {}, inferComparison),
      op("greater_equal", {"a", "b"}, {}, inferComparison),
      op("where", {"cond", "a", "b"}, {}, inferWhere),
  };
  return ops;
}

const std::vector<OpSpec> &table() {
  static const std::vector<OpSpec> ops = buildTable();
  return ops;
}

} // namespace

const OpSpec *findOp(const std::string &name) {
  for (const OpSpec &spec : table())
    if (name == spec.name)
      return &spec;
  return nullptr;
}

int OpSpec::seqOffsetsPosition() const {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i] == "seq_offsets?")
      return (int)i;
  return -1;
}

std::vector<std::string> opNames() {
  std::vector<std::string> names;
  for (const OpSpec &spec : table())
    names.push_back(spec.name);
  return names;
}

} // namespace kiln::model::detail

namespace kiln::model {

int seqOffsetsInput(const std::string &op) {
  const detail::OpSpec *spec = detail::findOp(op);
  return spec ? spec->seqOffsetsPosition() : -1;
}

} // namespace kiln::model
