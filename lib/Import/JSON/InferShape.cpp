//===- InferShape.cpp - Attrs and shapes of the data-movement ops ---------===//
//
// Reading and normalizing the attrs of reshape, transpose, slice, concat
// and split, each at its own JSON pointer; their shapes come from the rules
// of lib/ShapeRules/DataMovement.cpp.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

#include <algorithm>

namespace kiln::model::detail {

bool inferReshape(OpContext &c) {
  const json *target = c.rawAttr("shape");
  if (!target)
    return c.failAttr("shape", "missing required attr 'shape' of op 'reshape'");
  if (!target->is_array())
    return c.failAttr("shape", "expected an array of sizes, dimension names "
                               "and at most one -1, got " +
                                   jsonTypeName(*target));
  Shape out;
  int inferred = -1;
  for (size_t i = 0; i < target->size(); ++i) {
    const json &item = (*target)[i];
    std::string pointer = c.attrPointer("shape") + "/" + std::to_string(i);
    if (item.is_string()) {
      const std::vector<std::string> &dims = c.model.dims;
      auto it = std::find(dims.begin(), dims.end(), item.get<std::string>());
      if (it == dims.end())
        return c.diag.fail(pointer, "undeclared dimension '" +
                                        item.get<std::string>() +
                                        "'; declared dims are " +
                                        (dims.empty() ? "none" : join(dims)));
      out.push_back(Dim::symbolic(int(it - dims.begin())));
      continue;
    }
    std::optional<int64_t> size = asInt(item);
    if (size == std::optional<int64_t>(-1) && inferred < 0) {
      inferred = (int)i;
      out.push_back(Dim::fixed(1));
      continue;
    }
    if (!size || *size <= 0)
      return c.diag.fail(pointer, "expected a positive size, a dimension "
                                  "name or a single -1, got " + brief(item));
    out.push_back(Dim::fixed(*size));
  }
  shapes::Naming naming = c.naming();
  naming.spellAttr = [target](const std::string &) { return brief(*target); };
  if (!c.applyRule(shapes::reshapeShape(ruleShape(c.shape(0)), ruleShape(out),
                                        inferred >= 0 ? std::optional<size_t>(
                                                            inferred)
                                                      : std::nullopt,
                                        naming),
                   out))
    return false;
  json normalized = json::array();
  for (const Dim &dim : out) {
    if (dim.isStatic())
      normalized.push_back(dim.size);
    else
      normalized.push_back(c.model.dims[dim.symbol]);
  }
  c.attrs = {{"shape", normalized}};
  return c.produce({c.type(0).dtype, out});
}

bool inferTranspose(OpContext &c) {
  int64_t rank = c.rank(0);
  std::vector<int64_t> perm;
  if (const json *value = c.rawAttr("perm")) {
    if (!value->is_array() || (int64_t)value->size() != rank)
      return c.failAttr("perm", "expected a permutation of the " +
                                    std::to_string(rank) + " axes of " +
                                    c.str(c.shape(0)) + ", got " +
                                    brief(*value));
    std::vector<bool> used(rank, false);
    for (int64_t i = 0; i < rank; ++i) {
      std::optional<int64_t> axis = asInt((*value)[i]);
      if (axis && *axis < 0)
        *axis += rank;
      if (!axis || *axis < 0 || *axis >= rank || used[*axis])
        return c.diag.fail(c.attrPointer("perm") + "/" + std::to_string(i),
                           "expected a permutation of the " +
                               std::to_string(rank) + " axes, got " +
                               brief(*value));
      used[*axis] = true;
      perm.push_back(*axis);
    }
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  Shape shape;
  if (!c.applyRule(shapes::transposeShape(ruleShape(c.shape(0)), perm,
                                          c.naming()),
                   shape))
    return false;
  c.attrs = {{"perm", perm}};
  return c.produce({c.type(0).dtype, shape});
}

/// Reads the bounds of a slice of `axis` in the IR's canonical form: Python
/// bounds clamped to a static axis; on a symbolic axis both as given, a
/// missing end being the end of the axis.
static bool readSliceBounds(OpContext &c, int64_t axis, int64_t &start,
                            std::optional<int64_t> &end) {
  const Dim &dim = c.shape(0)[axis];
  if (!dim.isStatic()) {
    int64_t last = 0;
    if (!c.readInt("start", 0, start) ||
        (c.rawAttr("end") && !c.readInt("end", 0, last)))
      return false;
    if (c.rawAttr("end"))
      end = last;
    return true;
  }
  int64_t size = dim.size, last;
  if (!c.readInt("start", 0, start) || !c.readInt("end", size, last))
    return false;
  // Python slice bounds: negative counts from the end, then clamp.
  auto clamp = [size](int64_t v) {
    return std::min(std::max(v < 0 ? v + size : v, (int64_t)0), size);
  };
  start = clamp(start);
  end = clamp(last);
  return true;
}

bool inferSlice(OpContext &c) {
  int64_t axis, start;
  std::optional<int64_t> end;
  if (!c.expectMinRank(0, 1, "[...]") ||
      !c.readAxis("axis", c.rank(0), std::nullopt, axis) ||
      !readSliceBounds(c, axis, start, end))
    return false;
  TensorType type = c.type(0);
  // The whole of a symbolic axis, which the importer leaves out.
  bool whole = !c.shape(0)[axis].isStatic() && start == 0 && !end;
  if (!whole &&
      !c.applyRule(shapes::sliceShape(ruleShape(c.shape(0)), axis, start, end,
                                      c.naming()),
                   type.shape))
    return false;
  c.attrs = {{"axis", axis},
             {"start", start},
             {"end", end ? json(*end) : json(nullptr)}};
  return c.produce(type);
}

bool inferConcat(OpContext &c) {
  int64_t axis;
  if (!c.expectMinRank(0, 1, "[...]") ||
      !c.readAxis("axis", c.rank(0), std::nullopt, axis))
    return false;
  std::vector<shapes::Shape> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.expectSameDType(i, 0))
      return false;
    inputs.push_back(ruleShape(c.shape(i)));
  }
  TensorType type = c.type(0);
  if (!c.applyRule(shapes::concatShape(inputs, axis, c.naming()), type.shape))
    return false;
  c.attrs = {{"axis", axis}};
  return c.produce(type);
}

bool inferSplit(OpContext &c) {
  int64_t axis;
  if (!c.expectMinRank(0, 1, "[...]") ||
      !c.readAxis("axis", c.rank(0), std::nullopt, axis))
    return false;
  size_t parts = c.numOutputs;
  std::optional<std::vector<int64_t>> sizes;
  if (const json *value = c.rawAttr("sizes")) {
    if (!value->is_array() || value->size() != parts)
      return c.failAttr("sizes", "expected an array of " +
                                     std::to_string(parts) +
                                     " positive sizes (one per output), got " +
                                     brief(*value));
    sizes.emplace();
    int64_t sum = 0;
    for (size_t i = 0; i < value->size(); ++i) {
      std::optional<int64_t> part = asInt((*value)[i]);
      if (!part || *part <= 0 || __builtin_add_overflow(sum, *part, &sum))
        return c.diag.fail(c.attrPointer("sizes") + "/" + std::to_string(i),
                           "expected a positive size, got " +
                               brief((*value)[i]));
      sizes->push_back(*part);
    }
  }
  shapes::ShapesResult rule = shapes::splitShapes(ruleShape(c.shape(0)), axis,
                                                  sizes, parts, c.naming());
  if (!rule)
    return c.failRule(rule.error());
  std::vector<int64_t> normalized;
  for (const shapes::Shape &part : *rule) {
    normalized.push_back(part[axis].size());
    c.outputs.push_back({c.type(0).dtype, modelShape(part)});
  }
  c.attrs = {{"axis", axis}, {"sizes", normalized}};
  return true;
}

} // namespace kiln::model::detail
