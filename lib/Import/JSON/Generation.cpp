//===- Generation.cpp - Which models get prefill/decode entries -----------===//
//
// Implements planGeneration of Generation.h. The decode entry runs each node
// on one new token per sequence, so every node must either act on each
// position on its own (elementwise ops, GEMMs, norms over features, data
// movement that keeps the sequence axis) or be one of the stateful ops whose
// step form the compiler derives. Anything that mixes positions otherwise
// (a softmax, reduction, slice or concat along the sequence, a matmul of two
// sequences, a mask that sees the future) makes generation unavailable.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/Generation.h"
#include "lib/Import/JSON/ModelInternal.h"

#include <algorithm>

using nlohmann::json;

namespace kiln::model {
namespace {

/// Ops that act on every position independently whatever their axes.
bool isPositionwise(const std::string &op) {
  static const std::set<std::string> ops = {
      "add",           "sub",       "mul",       "div",        "relu",
      "gelu",          "gelu_tanh", "silu",      "quick_gelu", "sigmoid",
      "tanh",          "exp",       "softplus",  "neg",        "rsqrt",
      "log",           "sqrt",      "abs",       "square",     "erf",
      "sin",           "cos",       "maximum",   "minimum",    "pow",
      "equal",         "not_equal", "less",      "less_equal", "greater",
      "greater_equal", "where",     "cast",      "constant",   "linear",
      "mlp",           "glu",       "transpose", "embedding",  "rope"};
  return ops.count(op) > 0;
}

/// Ops with an `axis` attribute along which they mix positions.
bool mixesAlongAxis(const std::string &op) {
  static const std::set<std::string> ops = {
      "softmax", "slice", "concat", "split", "gather", "take_along_axis",
      "argmax", "top_k", "cumsum"};
  return ops.count(op) > 0;
}

class Planner {
public:
  explicit Planner(const Model &model) : model(model) {}

  GenerationPlan run();

private:
  bool fail(const std::string &pointer, const std::string &reason) {
    plan.unavailable = pointer + ": " + reason;
    return false;
  }
  bool hasSeq(int id) const {
    if (id < 0)
      return false;
    for (const Dim &dim : model.value(id).type.shape)
      if (dim.symbol == plan.seqSymbol)
        return true;
    return false;
  }
  bool isSeqAxis(int id, int64_t axis) const {
    const Shape &shape = model.value(id).type.shape;
    return axis >= 0 && axis < (int64_t)shape.size() &&
           shape[axis].symbol == plan.seqSymbol;
  }
  /// The static size of dim `d` of value `id`, or -1.
  int64_t staticDim(int id, size_t d) const {
    const Shape &shape = model.value(id).type.shape;
    return d < shape.size() && shape[d].isStatic() ? shape[d].size : -1;
  }
  bool findTokens();
  bool checkNode(int index, const Node &node);
  bool checkStateful(int index, const Node &node);
  bool checkBatchSeq(const Node &node, int id);
  /// The rules' view of value `id`'s shape.
  shapes::Shape ruleShape(int id) const {
    return detail::ruleShape(model.value(id).type.shape);
  }
  bool addState(int index, const Node &node, const std::string &what,
                const shapes::ShapeResult &rule, bool hasRing);

  const Model &model;
  GenerationPlan plan;
};

bool Planner::findTokens() {
  for (const std::string &dim : model.dims)
    if (dim == kSequencesDim || dim == kCapacityDim)
      return fail("/dims", "the generation entries add the dims '" +
                               std::string(kSequencesDim) + "' and '" +
                               kCapacityDim + "'; rename the model's '" + dim +
                               "'");
  if (model.inputs.size() != 1)
    return fail("/inputs", "generation needs exactly one input, the integer "
                           "[batch, seq] token ids; the model has " +
                               std::to_string(model.inputs.size()));
  int id = model.inputs[0];
  const TensorType &type = model.value(id).type;
  if (!isInteger(type.dtype) || type.shape.size() != 2 ||
      type.shape[0].isStatic() || type.shape[1].isStatic() ||
      type.shape[0].symbol == type.shape[1].symbol)
    return fail("/inputs/0", "generation needs the input to be integer token "
                             "ids of shape [batch, seq] (two symbolic dims), "
                             "got " + std::string(dtypeName(type.dtype)) +
                                 " " + formatShape(model, type.shape));
  plan.tokens = id;
  plan.batchSymbol = type.shape[0].symbol;
  plan.seqSymbol = type.shape[1].symbol;
  return true;
}

/// Stateful ops take `[batch, seq, ...]` with static trailing dims.
bool Planner::checkBatchSeq(const Node &node, int id) {
  const Shape &shape = model.value(id).type.shape;
  bool ok = shape.size() >= 3 && shape[0].symbol == plan.batchSymbol &&
            shape[1].symbol == plan.seqSymbol;
  for (size_t d = 2; ok && d < shape.size(); ++d)
    ok = shape[d].isStatic();
  if (!ok)
    return fail(node.pointer, "'" + node.op +
                                  "' needs inputs of shape [batch, seq, ...] "
                                  "with static trailing dims to keep state, "
                                  "got " + formatShape(model, shape));
  return true;
}

/// A state of the rule's shape `[sequences, ring?, rest...]` (State.cpp in
/// lib/ShapeRules); an unknown ring is the session's capacity.
bool Planner::addState(int index, const Node &node, const std::string &what,
                       const shapes::ShapeResult &rule, bool hasRing) {
  if (!rule)
    return fail(node.pointer, rule.error().message);
  const shapes::Shape &shape = *rule;
  auto size = [](const shapes::Dim &dim) {
    return dim.isStatic() ? dim.size() : -1;
  };
  size_t first = hasRing ? 2 : 1;
  std::vector<int64_t> rest;
  for (size_t d = first; d < shape.size(); ++d)
    rest.push_back(size(shape[d]));
  if (!plan.firstState.count(index))
    plan.firstState[index] = (int)plan.states.size();
  plan.states.push_back({node.pointer + " " + what, hasRing,
                         hasRing ? std::max<int64_t>(size(shape[1]), 0) : 0,
                         std::move(rest)});
  return true;
}

bool Planner::checkStateful(int index, const Node &node) {
  const json &attrs = node.attrs;
  int offsets = seqOffsetsInput(node.op);
  if (offsets >= 0 && offsets < (int)node.inputs.size() &&
      node.inputs[offsets] >= 0)
    return fail(node.pointer + "/inputs/" + std::to_string(offsets),
                "a packed batch (seq_offsets) cannot be generated from; the "
                "runtime session keeps the sequences apart");
  for (int id : node.inputs)
    if (plan.batchedInDecode.count(id))
      return fail(node.pointer, "positions from 'arange' along the sequence "
                                "can only feed 'embedding', 'cast' and unary "
                                "ops, and their result an elementwise op with "
                                "a [batch, seq, ...] result, when generating");
  if (!checkBatchSeq(node, node.inputs[0]))
    return false;

  if (node.op == "attention") {
    const json &mask = attrs["mask"];
    std::string kind = mask["kind"].get<std::string>();
    if (kind == "none" || (kind == "block_diagonal" && !mask.value("causal", false)))
      return fail(node.pointer + "/attrs/mask",
                  "attention with mask '" + kind +
                      (kind == "block_diagonal" ? "' without 'causal'" : "'") +
                      " sees later tokens, so it cannot be decoded one token "
                      "at a time");
    if (node.inputs.size() > 3 && node.inputs[3] >= 0)
      return fail(node.pointer + "/inputs/3",
                  "attention with an additive bias cannot be decoded: the "
                  "bias of a new position is unknown");
    int key = node.inputs[1], value = node.inputs[2];
    if (!checkBatchSeq(node, key) || !checkBatchSeq(node, value))
      return false;
    shapes::Dim ring =
        kind == "sliding_window"   ? shapes::Dim::fixed(mask["window"].get<int64_t>())
        : kind == "block_diagonal" ? shapes::Dim::fixed(mask["block"].get<int64_t>())
                                   : shapes::Dim::unknown();
    shapes::Naming naming;
    return addState(index, node, "key cache",
                    shapes::ringStateShape(ruleShape(key), ring, naming),
                    true) &&
           addState(index, node, "value cache",
                    shapes::ringStateShape(ruleShape(value), ring, naming),
                    true);
  }
  if (node.op == "linear_attention") {
    if (!attrs["causal"].get<bool>())
      return fail(node.pointer + "/attrs/causal",
                  "linear_attention without 'causal' sums over later "
                  "tokens, so it cannot be decoded one token at a time");
    int key = node.inputs[1], value = node.inputs[2];
    if (!checkBatchSeq(node, key) || !checkBatchSeq(node, value))
      return false;
    shapes::ShapesResult sums = shapes::linearAttentionStateShapes(
        ruleShape(key), ruleShape(value), shapes::Naming());
    if (!sums)
      return fail(node.pointer, sums.error().message);
    return addState(index, node, "kv sum", (*sums)[0], false) &&
           addState(index, node, "key sum", (*sums)[1], false);
  }
  if (node.op == "selective_scan") {
    if (node.outputs.size() > 1)
      return fail(node.pointer + "/outputs/1",
                  "the final state output of selective_scan is not "
                  "available when generating; the session keeps it");
    int64_t states = staticDim(node.inputs[2], 1);
    if (states < 0)
      return fail(node.pointer + "/inputs/2",
                  "selective_scan needs a static state size to keep state");
    return addState(index, node, "state",
                    shapes::selectiveScanStateShape(ruleShape(node.inputs[0]),
                                                    ruleShape(node.inputs[2]),
                                                    shapes::Naming()),
                    false);
  }
  if (node.op == "linear_recurrence") {
    if (attrs["reverse"].get<bool>())
      return fail(node.pointer + "/attrs/reverse",
                  "a reverse linear_recurrence reads later tokens, so it "
                  "cannot be decoded one token at a time");
    if (node.inputs.size() > 2 && node.inputs[2] >= 0)
      return fail(node.pointer + "/inputs/2",
                  "linear_recurrence with h0 cannot be generated from; "
                  "every sequence starts from zero state");
    return addState(index, node, "state",
                    shapes::linearRecurrenceStateShape(
                        ruleShape(node.inputs[0]), shapes::Naming()),
                    false);
  }
  // conv1d: a kernel of one tap keeps no state.
  if (staticDim(node.inputs[1], 1) > 1)
    return addState(index, node, "inputs",
                    shapes::conv1dStateShape(ruleShape(node.inputs[0]),
                                             ruleShape(node.inputs[1]),
                                             shapes::Naming()),
                    true);
  return true;
}

bool Planner::checkNode(int index, const Node &node) {
  const std::string &op = node.op;
  if (op == "attention" || op == "linear_attention" ||
      op == "selective_scan" || op == "linear_recurrence" || op == "conv1d")
    return checkStateful(index, node);
  int x = node.inputs.empty() ? -1 : node.inputs[0];
  if (op == "arange") {
    if (!isSeqAxis(x, node.attrs["axis"].get<int64_t>()))
      return true;
    if (node.inputs.size() > 1 && node.inputs[1] >= 0)
      return fail(node.pointer + "/inputs/1",
                  "a packed batch (seq_offsets) cannot be generated from");
    plan.batchedInDecode.insert(node.outputs[0]);
    return true;
  }
  // The decode entry gives positions along the sequence a batch dim of
  // their own: an embedding of them adds one too, and the elementwise op
  // that meets the token embeddings broadcasts it back.
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    int id = node.inputs[i];
    if (!plan.batchedInDecode.count(id))
      continue;
    // An embedding, cast or unary op of positions keeps their batch dim.
    if ((op == "embedding" && i == 0) ||
        (isPositionwise(op) && node.inputs.size() == 1)) {
      plan.batchedInDecode.insert(node.outputs[0]);
      continue;
    }
    const Shape &out = model.value(node.outputs[0]).type.shape;
    bool broadcastBack = isPositionwise(op) && op != "embedding" &&
                         out.size() >= 2 &&
                         out[0].symbol == plan.batchSymbol &&
                         out[1].symbol == plan.seqSymbol &&
                         out.size() == model.value(id).type.shape.size() + 1;
    if (!broadcastBack)
      return fail(node.pointer, "positions from 'arange' along the sequence "
                                "can only feed 'embedding', 'cast' and unary "
                                "ops, and their result an elementwise op with "
                                "a [batch, seq, ...] result, when generating");
  }
  if (isPositionwise(op))
    return true;
  if (mixesAlongAxis(op)) {
    const json &attrs = node.attrs;
    int64_t axis = attrs["axis"].get<int64_t>();
    bool mixes = op == "concat"
                     ? std::any_of(node.inputs.begin(), node.inputs.end(),
                                   [&](int id) { return isSeqAxis(id, axis); })
                     : isSeqAxis(x, axis);
    // Slicing the whole sequence is the identity.
    if (mixes && op == "slice" &&
        model.value(node.outputs[0]).type.shape ==
            model.value(x).type.shape)
      mixes = false;
    if (mixes)
      return fail(node.pointer + "/attrs/axis",
                  "'" + op + "' along the sequence axis mixes positions, so "
                             "the model cannot be decoded one token at a time");
    return true;
  }
  if (op == "reduce_sum" || op == "reduce_mean" || op == "reduce_max") {
    for (const json &axis : node.attrs["axes"])
      if (isSeqAxis(x, axis.get<int64_t>()))
        return fail(node.pointer + "/attrs/axes",
                    "'" + op + "' over the sequence axis mixes positions, so "
                               "the model cannot be decoded one token at a time");
    return true;
  }
  if (op == "layer_norm" || op == "rms_norm") {
    if (isSeqAxis(x, (int64_t)model.value(x).type.shape.size() - 1))
      return fail(node.pointer, "'" + op + "' over the sequence axis mixes "
                                           "positions");
    return true;
  }
  if (op == "matmul") {
    if (hasSeq(node.inputs[0]) && hasSeq(node.inputs[1]))
      return fail(node.pointer,
                  "a matmul of two sequences mixes positions (write attention "
                  "as the 'attention' op to generate)");
    return true;
  }
  if (op == "reshape") {
    if (hasSeq(x) != hasSeq(node.outputs[0]))
      return fail(node.pointer + "/attrs/shape",
                  "a reshape that merges the sequence axis into another "
                  "cannot be decoded one token at a time");
    return true;
  }
  return fail(node.pointer, "'" + op + "' has no generation form");
}

GenerationPlan Planner::run() {
  if (!findTokens())
    return plan;
  for (size_t i = 0; i < model.nodes.size(); ++i)
    if (!checkNode((int)i, model.nodes[i]))
      return plan;
  for (size_t i = 0; i < model.outputs.size(); ++i)
    if (plan.batchedInDecode.count(model.outputs[i]))
      fail("/outputs/" + std::to_string(i),
           "an output computed from positions alone cannot be generated");
  return plan;
}

} // namespace

GenerationPlan planGeneration(const Model &model) {
  return Planner(model).run();
}

json describeGeneration(const Model &model, const GenerationPlan &plan) {
  if (!plan.available())
    return {{"unavailable", plan.unavailable}};
  const Value &tokens = model.value(plan.tokens);
  json dims = model.dims;
  dims.push_back(kSequencesDim);
  dims.push_back(kCapacityDim);
  json batch = model.dims[plan.batchSymbol];
  json inputs = json::array(
      {{{"name", tokens.name},
        {"dtype", dtypeName(tokens.type.dtype)},
        {"shape", {batch, model.dims[plan.seqSymbol]}}},
       {{"name", "slots"}, {"dtype", "i64"}, {"shape", {batch}}},
       {{"name", "positions"}, {"dtype", "i64"}, {"shape", {batch}}}});
  json states = json::array();
  for (const StateBuffer &state : plan.states) {
    json shape = {kSequencesDim};
    if (state.hasRing)
      shape.push_back(state.ring ? json(state.ring) : json(kCapacityDim));
    for (int64_t size : state.rest)
      shape.push_back(size);
    states.push_back(
        {{"name", state.name}, {"dtype", "f32"}, {"shape", shape}});
  }
  return {{"dims", dims}, {"inputs", inputs}, {"state", states}};
}

} // namespace kiln::model
