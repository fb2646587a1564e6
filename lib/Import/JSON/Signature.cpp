//===- Signature.cpp - The compiled-model signature -----------------------===//
//
// Builds the signature JSON that a compiled model carries (docs/abi.md): the
// names, dtypes and symbolic shapes of its tensors, and the bounds the
// runtime checks index inputs against.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/Importer.h"
#include "lib/Import/JSON/Generation.h"

#include <algorithm>
#include <filesystem>
#include <map>

using nlohmann::json;

namespace kiln {

static json describe(const model::Model &model, int id) {
  const model::Value &value = model.value(id);
  json shape = json::array();
  for (const model::Dim &dim : value.type.shape)
    shape.push_back(dim.isStatic() ? json(dim.size)
                                   : json(model.dims[dim.symbol]));
  return {{"name", value.name},
          {"dtype", model::dtypeName(value.type.dtype)},
          {"shape", shape}};
}

/// The least size a symbolic dim must have for `node`: a slice with a static
/// size of a symbolic axis ([s, e) needs e, [-a, ...) needs a), top_k's k
/// on one. Null when the node needs none.
static json dimCheck(const model::Model &model, const model::Node &node) {
  if (node.op != "slice" && node.op != "top_k")
    return nullptr;
  int64_t axis = node.attrs["axis"].get<int64_t>();
  const model::Dim &dim = model.value(node.inputs[0]).type.shape[axis];
  if (dim.isStatic())
    return nullptr;
  int64_t least;
  std::string why;
  if (node.op == "top_k") {
    least = node.attrs["k"].get<int64_t>();
    why = "top_k with k = " + std::to_string(least);
  } else {
    int64_t start = node.attrs["start"].get<int64_t>();
    const json &end = node.attrs["end"];
    if (end.is_null() && start >= 0)
      return nullptr; // The whole axis.
    least = start < 0 ? -start : end.get<int64_t>();
    why = "slice [" + std::to_string(start) + ", " +
          (end.is_null() ? std::string("end") : end.dump()) + ")";
  }
  why += " of axis " + std::to_string(axis);
  return {{"dim", model.dims[dim.symbol]},
          {"min", least},
          {"node", node.pointer},
          {"why", why}};
}

std::string buildSignature(const model::Model &model) {
  json signature = {{"abi", 2}, {"name", model.name}, {"dims", model.dims}};
  // Where the model's weights were when it was compiled, so that kiln-run
  // finds them wherever the library is written.
  if (!model.weights.empty()) {
    std::error_code ec;
    std::filesystem::path absolute =
        std::filesystem::absolute(model.weights, ec);
    signature["weights"] = ec ? model.weights : absolute.string();
  }
  for (auto [key, ids] : {std::pair{"inputs", &model.inputs},
                          std::pair{"params", &model.params},
                          std::pair{"outputs", &model.outputs}}) {
    json list = json::array();
    for (int id : *ids)
      list.push_back(describe(model, id));
    signature[key] = list;
  }
  // Graph inputs used directly as embedding ids must index the table.
  std::map<int, int64_t> bounds;
  for (const model::Node &node : model.nodes) {
    if (node.op != "embedding")
      continue;
    int ids = node.inputs[0];
    if (model.value(ids).kind != model::ValueKind::Input)
      continue;
    const model::Dim &rows = model.value(node.inputs[1]).type.shape[0];
    if (!rows.isStatic())
      continue;
    int64_t vocab = rows.size;
    auto [it, inserted] = bounds.emplace(ids, vocab);
    if (!inserted)
      it->second = std::min(it->second, vocab);
  }
  json checks = json::array();
  for (auto [id, bound] : bounds)
    checks.push_back({{"input", model.value(id).name}, {"bound", bound}});
  signature["index_checks"] = checks;
  // Graph inputs used as seq_offsets must partition the sequence axis T of
  // the op's first input [B, T, ...]: non-decreasing values in [0, T].
  json offsetChecks = json::array();
  for (const model::Node &node : model.nodes) {
    int position = model::seqOffsetsInput(node.op);
    if (position < 0 || (int)node.inputs.size() <= position ||
        node.inputs[position] < 0 ||
        model.value(node.inputs[position]).kind != model::ValueKind::Input)
      continue;
    const model::Dim &seq = model.value(node.inputs[0]).type.shape[1];
    offsetChecks.push_back(
        {{"input", model.value(node.inputs[position]).name},
         {"bound", seq.isStatic() ? json(seq.size) : json(model.dims[seq.symbol])}});
  }
  signature["offset_checks"] = offsetChecks;
  // Ops that read a static number of entries of a symbolic axis.
  json dimChecks = json::array();
  for (const model::Node &node : model.nodes)
    if (json check = dimCheck(model, node); !check.is_null())
      dimChecks.push_back(check);
  signature["dim_checks"] = dimChecks;
  signature["generation"] =
      model::describeGeneration(model, model::planGeneration(model));
  return signature.dump();
}

} // namespace kiln
