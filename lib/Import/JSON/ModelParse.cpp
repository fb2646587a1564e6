//===- ModelParse.cpp - Structure, names and order of a JSON IR model -----===//
//
// Builds a Model from parsed JSON: checks the top-level object, tensor
// declarations and node objects against the op table, resolves value names,
// sorts the nodes topologically (reporting a node on any cycle), runs shape
// inference node by node and checks the graph outputs.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>

namespace kiln::model::detail {
namespace {

/// A node after the structural checks, before shape inference.
struct RawNode {
  const OpSpec *spec = nullptr;
  const json *attrs = nullptr;
  std::vector<std::string> inputNames; ///< "" for a skipped optional input.
  std::vector<std::string> inputPointers;
  std::vector<std::string> outputNames;
  std::vector<int> producers; ///< File index of each input's node, or -1.
};

/// Where a value name is defined.
struct Definition {
  std::string pointer;
  int node = -1; ///< File index of the producing node, or -1.
};

/// Checks that `object` has no key outside `allowed` (listed in the order
/// of docs/json-ir.md), then that it has every key of `required`.
bool checkKeys(Diag &diag, const json &object, const std::string &pointer,
               const std::vector<std::string> &allowed,
               const std::vector<std::string> &required, const char *what) {
  for (const auto &item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end())
      return diag.fail(pointer + "/" + escapePointer(item.key()),
                       "unknown key '" + item.key() + "' in " + what +
                           "; expected one of " + join(allowed));
  }
  for (const std::string &key : required)
    if (!object.contains(key))
      return diag.fail(pointer + "/" + key,
                       "missing required key '" + key + "' in " + what);
  return true;
}

bool expectType(Diag &diag, const json &value, const std::string &pointer,
                bool ok, const char *expected) {
  if (ok)
    return true;
  return diag.fail(pointer, std::string("expected ") + expected + ", got " +
                                jsonTypeName(value));
}

class Builder {
public:
  Builder(const json &root, const std::string &fileName, Diag &diag)
      : root(root), fileName(fileName), diag(diag) {}

  std::optional<Model> build() {
    if (!expectType(diag, root, "", root.is_object(), "a model object") ||
        !checkKeys(diag, root, "",
                   {"kiln", "name", "dims", "inputs", "params", "weights",
                    "nodes", "outputs"},
                   {"kiln", "name", "inputs", "nodes", "outputs"},
                   "the model object") ||
        !parseHeader() || !parseDims() ||
        !parseDecls("inputs", ValueKind::Input, model.inputs) ||
        !parseDecls("params", ValueKind::Param, model.params) ||
        !parseNodes() || !resolveInputs())
      return std::nullopt;
    std::vector<size_t> order;
    if (!sortNodes(order) || !inferNodes(order) || !parseOutputs() ||
        !checkBindable() || !parseWeights())
      return std::nullopt;
    return std::move(model);
  }

private:
  bool parseHeader() {
    const json &version = root["kiln"];
    if (asInt(version) != std::optional<int64_t>(1))
      return diag.fail("/kiln", "unsupported format version " + brief(version) +
                                    "; expected 1");
    const json &name = root["name"];
    if (!expectType(diag, name, "/name", name.is_string(), "a string"))
      return false;
    if (!isIdentifier(name.get<std::string>()))
      return diag.fail("/name", "invalid model name '" +
                                    name.get<std::string>() +
                                    "'; expected [A-Za-z_][A-Za-z0-9_.-]*");
    model.name = name.get<std::string>();
    return true;
  }

  bool parseDims() {
    if (!root.contains("dims"))
      return true;
    const json &dims = root["dims"];
    if (!expectType(diag, dims, "/dims", dims.is_array(),
                    "an array of dimension names"))
      return false;
    for (size_t i = 0; i < dims.size(); ++i) {
      std::string pointer = "/dims/" + std::to_string(i);
      if (!expectType(diag, dims[i], pointer, dims[i].is_string(),
                      "a dimension name"))
        return false;
      std::string name = dims[i].get<std::string>();
      if (!isIdentifier(name))
        return diag.fail(pointer, "invalid dimension name '" + name +
                                      "'; expected [A-Za-z_][A-Za-z0-9_.-]*");
      if (std::find(model.dims.begin(), model.dims.end(), name) !=
          model.dims.end())
        return diag.fail(pointer, "duplicate dimension '" + name + "'");
      model.dims.push_back(name);
    }
    return true;
  }

  bool parseDim(const json &value, const std::string &pointer, bool isParam,
                Dim &dim) {
    if (value.is_string()) {
      std::string name = value.get<std::string>();
      auto it = std::find(model.dims.begin(), model.dims.end(), name);
      if (it == model.dims.end())
        return diag.fail(pointer,
                         "undeclared dimension '" + name + "'; " +
                             (model.dims.empty()
                                  ? std::string("the model declares no dims")
                                  : "declared dims are " + join(model.dims)));
      if (isParam)
        return diag.fail(pointer, "parameter shapes must be static, got the "
                                  "symbolic dimension '" + name + "'");
      dim = Dim::symbolic(int(it - model.dims.begin()));
      return true;
    }
    std::optional<int64_t> size = asInt(value);
    if (!size || *size <= 0)
      return diag.fail(pointer, "expected a positive integer size or a "
                                "dimension name, got " + brief(value));
    dim = Dim::fixed(*size);
    return true;
  }

  bool define(const std::string &name, const std::string &pointer, int node) {
    // Names become file names (kiln-run --output) and C strings.
    if (std::any_of(name.begin(), name.end(),
                    [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; }))
      return diag.fail(pointer, "value name " + brief(json(name)) +
                                    " contains a control character; expected "
                                    "printable characters");
    auto [it, inserted] = defs.insert({name, {pointer, node}});
    if (!inserted)
      return diag.fail(pointer, "duplicate value name '" + name +
                                    "'; already defined at " +
                                    it->second.pointer);
    return true;
  }

  bool parseDecls(const char *key, ValueKind kind, std::vector<int> &ids) {
    if (!root.contains(key))
      return true;
    std::string base = std::string("/") + key;
    const json &decls = root[key];
    if (!expectType(diag, decls, base, decls.is_array(),
                    "an array of tensor declarations"))
      return false;
    for (size_t i = 0; i < decls.size(); ++i) {
      const json &decl = decls[i];
      std::string pointer = base + "/" + std::to_string(i);
      if (!expectType(diag, decl, pointer, decl.is_object(),
                      "a tensor declaration object") ||
          !checkKeys(diag, decl, pointer, {"name", "dtype", "shape"},
                     {"name", "dtype", "shape"}, "a tensor declaration"))
        return false;
      Value value;
      value.kind = kind;
      const json &name = decl["name"];
      if (!expectType(diag, name, pointer + "/name",
                      name.is_string() && !name.get<std::string>().empty(),
                      "a non-empty string"))
        return false;
      value.name = name.get<std::string>();
      if (!readDType(diag, decl["dtype"], pointer + "/dtype", value.type.dtype))
        return false;
      const json &shape = decl["shape"];
      if (!expectType(diag, shape, pointer + "/shape", shape.is_array(),
                      "an array of sizes and dimension names"))
        return false;
      for (size_t d = 0; d < shape.size(); ++d) {
        Dim dim;
        if (!parseDim(shape[d], pointer + "/shape/" + std::to_string(d),
                      kind == ValueKind::Param, dim))
          return false;
        value.type.shape.push_back(dim);
      }
      if (std::string problem = tensorTypeProblem(value.type); !problem.empty())
        return diag.fail(pointer + "/shape", "invalid shape: " + problem);
      if (!define(value.name, pointer, -1))
        return false;
      ids.push_back((int)model.values.size());
      model.values.push_back(std::move(value));
    }
    return true;
  }

  bool parseNodes() {
    const json &nodes = root["nodes"];
    if (!expectType(diag, nodes, "/nodes", nodes.is_array(),
                    "an array of nodes"))
      return false;
    for (size_t i = 0; i < nodes.size(); ++i)
      if (!parseNode(nodes[i], i))
        return false;
    return true;
  }

  /// Reads an array of value names (node inputs and outputs, graph
  /// outputs); empty names are judged by the caller.
  bool parseNames(const json &names, const std::string &pointer,
                  std::vector<std::string> &out) {
    if (!expectType(diag, names, pointer, names.is_array(),
                    "an array of value names"))
      return false;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!expectType(diag, names[i], pointer + "/" + std::to_string(i),
                      names[i].is_string(), "a value name (string)"))
        return false;
      out.push_back(names[i].get<std::string>());
    }
    return true;
  }

  bool parseNode(const json &node, size_t index) {
    std::string pointer = "/nodes/" + std::to_string(index);
    if (!expectType(diag, node, pointer, node.is_object(), "a node object") ||
        !checkKeys(diag, node, pointer,
                   {"op", "inputs", "outputs", "attrs", "name"},
                   {"op", "outputs"}, "a node"))
      return false;
    RawNode raw;
    const json &op = node["op"];
    if (!expectType(diag, op, pointer + "/op", op.is_string(), "an op name"))
      return false;
    raw.spec = findOp(op.get<std::string>());
    if (!raw.spec)
      return diag.fail(pointer + "/op", "unknown op '" +
                                            op.get<std::string>() +
                                            "'; expected one of " +
                                            join(opNames()));
    const OpSpec &spec = *raw.spec;
    if (node.contains("name") &&
        !expectType(diag, node["name"], pointer + "/name",
                    node["name"].is_string(), "a string"))
      return false;
    // Only an op without inputs (constant) may leave the list out.
    if (!node.contains("inputs") && spec.minInputs() > 0)
      return diag.fail(pointer + "/inputs",
                       "missing required key 'inputs' in a node");
    raw.attrs = node.contains("attrs") ? &node["attrs"] : &emptyAttrs;
    if (!parseAttrKeys(*raw.attrs, pointer + "/attrs", spec) ||
        (node.contains("inputs") &&
         !parseNames(node["inputs"], pointer + "/inputs", raw.inputNames)))
      return false;
    for (size_t i = 0; i < raw.inputNames.size(); ++i)
      raw.inputPointers.push_back(pointer + "/inputs/" + std::to_string(i));
    if (!moveSeqOffsets(raw, pointer) || !checkInputCount(raw, pointer) ||
        !parseNames(node["outputs"], pointer + "/outputs", raw.outputNames) ||
        !checkOutputCount(raw, pointer))
      return false;
    for (size_t i = 0; i < raw.outputNames.size(); ++i) {
      std::string out = pointer + "/outputs/" + std::to_string(i);
      if (raw.outputNames[i].empty())
        return diag.fail(out, "empty output name; expected a value name");
      if (!define(raw.outputNames[i], out, (int)index))
        return false;
    }
    rawNodes.push_back(std::move(raw));
    return true;
  }

  bool parseAttrKeys(const json &attrs, const std::string &pointer,
                     const OpSpec &spec) {
    if (!expectType(diag, attrs, pointer, attrs.is_object(), "an attrs object"))
      return false;
    for (const auto &item : attrs.items()) {
      if (std::find(spec.attrs.begin(), spec.attrs.end(), item.key()) !=
          spec.attrs.end())
        continue;
      std::string where = pointer + "/" + escapePointer(item.key());
      if (spec.attrs.empty())
        return diag.fail(where, "unknown attr '" + item.key() + "': op '" +
                                    spec.name + "' takes no attrs");
      return diag.fail(where, "unknown attr '" + item.key() + "' for op '" +
                                  spec.name + "'; expected one of " +
                                  join(spec.attrs));
    }
    return true;
  }

  /// `seq_offsets` of a packed batch may name its value as an attr; it
  /// becomes the op's seq_offsets input so that consumers see one form.
  bool moveSeqOffsets(RawNode &raw, const std::string &pointer) {
    if (!raw.attrs->contains("seq_offsets"))
      return true;
    std::string where = pointer + "/attrs/seq_offsets";
    const json &name = (*raw.attrs)["seq_offsets"];
    if (!expectType(diag, name, where,
                    name.is_string() && !name.get<std::string>().empty(),
                    "a value name"))
      return false;
    size_t position = raw.spec->seqOffsetsPosition();
    if (raw.inputNames.size() > position && !raw.inputNames[position].empty())
      return diag.fail(where, "seq_offsets is given both as input " +
                                  std::to_string(position) +
                                  " and as an attr; expected one of them");
    raw.inputNames.resize(position + 1);
    raw.inputPointers.resize(position + 1, pointer + "/inputs");
    raw.inputNames[position] = name.get<std::string>();
    raw.inputPointers[position] = where;
    return true;
  }

  bool checkInputCount(const RawNode &raw, const std::string &pointer) {
    const OpSpec &spec = *raw.spec;
    size_t count = raw.inputNames.size(), min = spec.minInputs();
    size_t max = spec.variadic ? SIZE_MAX : spec.inputs.size();
    if (count < min || count > max) {
      std::string expected =
          spec.variadic ? "at least 1 input"
          : min == max  ? std::to_string(min) + " input" + (min == 1 ? "" : "s")
                        : std::to_string(min) + " to " + std::to_string(max) +
                             " inputs";
      if (!spec.variadic)
        expected += " (" + join(spec.inputs) + ")";
      return diag.fail(pointer + "/inputs", "op '" + std::string(spec.name) +
                                                "' takes " + expected +
                                                ", got " +
                                                std::to_string(count));
    }
    for (size_t i = 0; i < count; ++i)
      if (raw.inputNames[i].empty() && !spec.isOptional(i))
        return diag.fail(raw.inputPointers[i],
                         "empty name for the required input '" +
                             spec.role(i) + "' of op '" + spec.name + "'");
    return true;
  }

  bool checkOutputCount(const RawNode &raw, const std::string &pointer) {
    const OpSpec &spec = *raw.spec;
    size_t count = raw.outputNames.size();
    if (count >= spec.minOutputs && (spec.maxOutputs == 0 || count <= spec.maxOutputs))
      return true;
    std::string expected =
        spec.maxOutputs == 0 ? "at least " + std::to_string(spec.minOutputs)
        : spec.minOutputs == spec.maxOutputs
            ? std::to_string(spec.minOutputs)
            : std::to_string(spec.minOutputs) + " or " +
                  std::to_string(spec.maxOutputs);
    return diag.fail(pointer + "/outputs",
                     "op '" + std::string(spec.name) + "' produces " + expected +
                         " output" + (spec.maxOutputs == 1 ? "" : "s") +
                         ", got " + std::to_string(count));
  }

  bool resolveInputs() {
    for (RawNode &raw : rawNodes) {
      for (size_t i = 0; i < raw.inputNames.size(); ++i) {
        const std::string &name = raw.inputNames[i];
        int producer = -1;
        if (!name.empty()) {
          auto it = defs.find(name);
          if (it == defs.end())
            return diag.fail(raw.inputPointers[i],
                             "undefined value '" + name +
                                 "'; expected a graph input, parameter or "
                                 "node output");
          producer = it->second.node;
        }
        raw.producers.push_back(producer);
      }
    }
    return true;
  }

  /// Kahn's algorithm, always taking the lowest file index that is ready,
  /// so that a file already in order keeps its order.
  bool sortNodes(std::vector<size_t> &order) {
    size_t n = rawNodes.size();
    std::vector<size_t> pending(n, 0);
    std::vector<std::vector<size_t>> users(n);
    for (size_t i = 0; i < n; ++i)
      for (int producer : rawNodes[i].producers)
        if (producer >= 0) {
          ++pending[i];
          users[producer].push_back(i);
        }
    std::set<size_t> ready;
    for (size_t i = 0; i < n; ++i)
      if (!pending[i])
        ready.insert(i);
    while (!ready.empty()) {
      size_t next = *ready.begin();
      ready.erase(ready.begin());
      order.push_back(next);
      for (size_t user : users[next])
        if (--pending[user] == 0)
          ready.insert(user);
    }
    if (order.size() == n)
      return true;
    return reportCycle(pending);
  }

  /// Every node left with pending inputs depends on another such node, so
  /// following those edges from the first one must close a cycle.
  bool reportCycle(const std::vector<size_t> &pending) {
    size_t start = 0;
    while (!pending[start])
      ++start;
    std::vector<size_t> path;
    std::vector<size_t> viaInput;
    std::vector<int> seenAt(rawNodes.size(), -1);
    size_t node = start;
    while (seenAt[node] < 0) {
      seenAt[node] = (int)path.size();
      path.push_back(node);
      const RawNode &raw = rawNodes[node];
      size_t input = 0;
      while (raw.producers[input] < 0 || !pending[raw.producers[input]])
        ++input;
      viaInput.push_back(input);
      node = raw.producers[input];
    }
    // path[seenAt[node]..] is the cycle; report its earliest node in the file.
    size_t first = seenAt[node];
    size_t best = first;
    for (size_t k = first; k < path.size(); ++k)
      if (path[k] < path[best])
        best = k;
    // Walk the cycle from `best` against the data flow, then print the
    // value names in data-flow order.
    std::vector<std::string> chain;
    size_t length = path.size() - first;
    for (size_t step = 0; step < length; ++step) {
      size_t k = first + (best - first + step) % length;
      chain.insert(chain.begin(), rawNodes[path[k]].inputNames[viaInput[k]]);
    }
    const RawNode &raw = rawNodes[path[best]];
    std::string arrow;
    for (size_t k = 0; k < chain.size(); ++k)
      arrow += (k ? " -> " : "") + chain[k];
    return diag.fail(raw.inputPointers[viaInput[best]],
                     "cycle: input '" + raw.inputNames[viaInput[best]] +
                         "' depends on this node's own output (" + arrow +
                         " -> this node)");
  }

  bool inferNodes(const std::vector<size_t> &order) {
    std::map<std::string, int> ids;
    for (size_t v = 0; v < model.values.size(); ++v)
      ids[model.values[v].name] = (int)v;
    for (size_t index : order) {
      const RawNode &raw = rawNodes[index];
      const OpSpec &spec = *raw.spec;
      OpContext c(model, diag, spec, "/nodes/" + std::to_string(index),
                  *raw.attrs);
      c.numOutputs = raw.outputNames.size();
      c.inputPointers = raw.inputPointers;
      Node node;
      node.op = spec.name;
      node.pointer = c.pointer;
      for (const std::string &name : raw.inputNames) {
        int id = name.empty() ? -1 : ids.at(name);
        node.inputs.push_back(id);
        c.inputs.push_back(id < 0 ? nullptr : &model.values[id]);
      }
      if (!spec.variadic)
        node.inputs.resize(spec.inputs.size(), -1);
      if (!spec.infer(c))
        return false;
      node.attrs = std::move(c.attrs);
      for (size_t i = 0; i < raw.outputNames.size(); ++i) {
        if (std::string problem = tensorTypeProblem(c.outputs[i]);
            !problem.empty())
          return diag.fail(
              c.pointer,
              "output '" + raw.outputNames[i] + "'" +
                  (c.outputs[i].shape.size() <= kMaxRank
                       ? " has shape " + formatShape(model, c.outputs[i].shape)
                       : "") +
                  ": " + problem);
        Value value;
        value.name = raw.outputNames[i];
        value.type = c.outputs[i];
        value.kind = ValueKind::NodeOutput;
        value.producer = (int)model.nodes.size();
        ids[value.name] = (int)model.values.size();
        node.outputs.push_back((int)model.values.size());
        model.values.push_back(std::move(value));
      }
      model.nodes.push_back(std::move(node));
    }
    return true;
  }

  bool parseOutputs() {
    std::vector<std::string> names;
    if (!parseNames(root["outputs"], "/outputs", names))
      return false;
    if (names.empty())
      return diag.fail("/outputs", "the model has no outputs; expected at "
                                   "least one value name");
    for (size_t i = 0; i < names.size(); ++i) {
      std::string pointer = "/outputs/" + std::to_string(i);
      int id = model.lookup(names[i]);
      if (id < 0)
        return diag.fail(pointer, "undefined value '" + names[i] +
                                      "'; expected a graph input, parameter "
                                      "or node output");
      if (std::find(model.outputs.begin(), model.outputs.end(), id) !=
          model.outputs.end())
        return diag.fail(pointer, "output '" + names[i] + "' is listed twice");
      if (model.values[id].kind != ValueKind::NodeOutput)
        return diag.fail(pointer,
                         "output '" + names[i] + "' is a graph " +
                             (model.values[id].kind == ValueKind::Input
                                  ? "input"
                                  : "parameter") +
                             ", which the caller already holds; expected a "
                             "node output");
      model.outputs.push_back(id);
    }
    return true;
  }

  /// The runtime binds symbolic dims from the graph inputs' shapes only.
  bool checkBindable() {
    std::set<int> bound;
    for (int id : model.inputs)
      for (const Dim &dim : model.values[id].type.shape)
        if (!dim.isStatic())
          bound.insert(dim.symbol);
    for (size_t i = 0; i < model.outputs.size(); ++i) {
      const Value &value = model.values[model.outputs[i]];
      for (const Dim &dim : value.type.shape)
        if (!dim.isStatic() && !bound.count(dim.symbol))
          return diag.fail("/outputs/" + std::to_string(i),
                           "output '" + value.name + "' has shape " +
                               formatShape(model, value.type.shape) +
                               " but no graph input's shape contains '" +
                               model.dims[dim.symbol] +
                               "'; expected every symbolic dimension of an "
                               "output to be bindable from the inputs");
    }
    return true;
  }

  bool parseWeights() {
    if (!root.contains("weights"))
      return true;
    const json &weights = root["weights"];
    if (!expectType(diag, weights, "/weights",
                    weights.is_string() && !weights.get<std::string>().empty(),
                    "a non-empty path string"))
      return false;
    std::filesystem::path path = weights.get<std::string>();
    if (path.is_relative())
      path = std::filesystem::path(fileName).parent_path() / path;
    model.weights = path.lexically_normal().string();
    return true;
  }

  const json &root;
  const std::string &fileName;
  Diag &diag;
  Model model;
  std::vector<RawNode> rawNodes;
  std::map<std::string, Definition> defs;
  const json emptyAttrs = json::object();
};

} // namespace

std::optional<Model> buildModel(const json &root, const std::string &fileName,
                                Diag &diag) {
  return Builder(root, fileName, diag).build();
}

} // namespace kiln::model::detail
