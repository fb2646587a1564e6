//===- InferIndexing.cpp - Shape rules of the generation glue ops ---------===//
//
// Validation, attr normalization and shape inference for the ops that a
// language model needs around its layers (DESIGN.md §4, "Additions to v1"):
// constant and arange, gather and take_along_axis, argmax and top_k, cumsum,
// comparisons and where. Their shapes come from lib/ShapeRules.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

#include <cmath>

namespace kiln::model::detail {
namespace {

/// Reads an optional dtype attr.
bool readDTypeAttr(OpContext &c, const std::string &key, DType def,
                   DType &out) {
  const json *value = c.rawAttr(key);
  out = def;
  return !value || readDType(c.diag, *value, c.attrPointer(key), out);
}

/// A constant element: a number, or a boolean for a bool tensor; integers
/// and bools must be exact.
bool readElement(OpContext &c, const json &item, const std::string &pointer,
                 DType dtype, json &out) {
  if (dtype == DType::Bool) {
    if (item.is_boolean()) {
      out = item.get<bool>() ? 1 : 0;
      return true;
    }
    std::optional<int64_t> bit = asInt(item);
    if (bit && (*bit == 0 || *bit == 1)) {
      out = *bit;
      return true;
    }
    return c.diag.fail(pointer, "expected true, false, 0 or 1 for a bool "
                                "constant, got " +
                                    brief(item));
  }
  if (!item.is_number())
    return c.diag.fail(pointer, "expected a number, got " + jsonTypeName(item));
  if (isFloat(dtype)) {
    out = item.get<double>();
    return true;
  }
  std::optional<int64_t> number = asInt(item);
  int64_t limit = int64_t(1) << 31;
  if (!number ||
      (dtype == DType::I32 && (*number < -limit || *number >= limit)))
    return c.diag.fail(pointer, std::string("expected an integer in the range "
                                            "of ") +
                                    dtypeName(dtype) + ", got " + brief(item));
  out = *number;
  return true;
}

/// Flattens a nested array row-major into `flat`, recording its shape at
/// the first visit of each depth; every row must have that shape.
bool flattenValue(OpContext &c, const json &value, const std::string &pointer,
                  DType dtype, size_t depth, std::vector<int64_t> &shape,
                  json &flat) {
  if (!value.is_array()) {
    if (depth != shape.size())
      return c.diag.fail(pointer, "expected a nested array of shape " +
                                      brief(json(shape)) +
                                      ", got a scalar "
                                      "at depth " +
                                      std::to_string(depth));
    json element;
    if (!readElement(c, value, pointer, dtype, element))
      return false;
    flat.push_back(element);
    return true;
  }
  if (value.empty())
    return c.diag.fail(pointer, "empty array; expected a non-empty nested "
                                "array (zero-sized dims are rejected)");
  if (depth == kMaxRank)
    return c.diag.fail(pointer, "arrays nested deeper than the maximum rank " +
                                    std::to_string(kMaxRank));
  if (depth == shape.size() && flat.empty())
    shape.push_back((int64_t)value.size());
  else if (depth >= shape.size() || shape[depth] != (int64_t)value.size())
    return c.diag.fail(pointer, "ragged array: expected a nested array of "
                                "shape " +
                                    brief(json(shape)));
  for (size_t i = 0; i < value.size(); ++i)
    if (!flattenValue(c, value[i], pointer + "/" + std::to_string(i), dtype,
                      depth + 1, shape, flat))
      return false;
  return true;
}

} // namespace

bool inferConstant(OpContext &c) {
  const json *value = c.rawAttr("value");
  if (!value)
    return c.failAttr("value", "missing required attr 'value' of op "
                               "'constant'");
  DType dtype;
  if (!readDTypeAttr(c, "dtype", DType::F32, dtype))
    return false;
  std::vector<int64_t> shape;
  json flat = json::array();
  if (!flattenValue(c, *value, c.attrPointer("value"), dtype, 0, shape, flat))
    return false;
  if (const json *declared = c.rawAttr("shape")) {
    std::vector<int64_t> target;
    bool ok = declared->is_array();
    for (size_t i = 0; ok && i < declared->size(); ++i) {
      std::optional<int64_t> size = asInt((*declared)[i]);
      ok = size && *size > 0;
      if (ok)
        target.push_back(*size);
    }
    if (!ok)
      return c.failAttr("shape", "expected an array of positive sizes (a "
                                 "constant's shape is static), got " +
                                     brief(*declared));
    if (value->is_array() && target != shape)
      return c.failAttr("shape", "shape " + brief(*declared) +
                                     " differs from the shape " +
                                     brief(json(shape)) +
                                     " of 'value'; expected equal shapes, or "
                                     "a scalar 'value' to broadcast");
    shape = target;
  }
  // A scalar stays one element however large the shape: consumers splat it.
  c.attrs = {{"value", value->is_array() ? flat : flat[0]},
             {"dtype", dtypeName(dtype)},
             {"shape", shape}};
  Shape out;
  for (int64_t size : shape)
    out.push_back(Dim::fixed(size));
  return c.produce({dtype, out});
}

bool inferArange(OpContext &c) {
  int64_t axis;
  DType dtype;
  Shape shape;
  std::optional<shapes::Shape> offsets;
  if (!c.expectMinRank(0, 1, "[...]") ||
      !c.readAxis("axis", c.rank(0), std::nullopt, axis) ||
      (c.has(1) && !c.expectIndex(1)) ||
      !c.applyRule(shapes::arangeShape(ruleShape(c.shape(0)),
                                       c.ruleInput(1, offsets), axis,
                                       c.naming()),
                   shape) ||
      !readDTypeAttr(c, "dtype", DType::I64, dtype))
    return false;
  if (dtype == DType::Bool)
    return c.failAttr("dtype", "expected a numeric dtype (f32, f16, bf16, "
                               "i32 or i64) for op 'arange', got bool");
  json start = 0;
  if (const json *raw = c.rawAttr("start")) {
    bool ok = isFloat(dtype)
                  ? raw->is_number() && std::isfinite(raw->get<double>())
                  : asInt(*raw).has_value();
    if (!ok)
      return c.failAttr("start",
                        std::string("expected ") +
                            (isFloat(dtype) ? "a number" : "an integer") +
                            " for an arange of dtype " + dtypeName(dtype) +
                            ", got " + brief(*raw));
    start = *raw;
  }
  c.attrs = {{"axis", axis}, {"start", start}, {"dtype", dtypeName(dtype)}};
  return c.produce({dtype, shape});
}

bool inferGather(OpContext &c) {
  enum { X, Indices };
  int64_t axis;
  Shape out;
  if (!c.expectMinRank(X, 1, "[...]") || !c.expectIndex(Indices) ||
      !c.readAxis("axis", c.rank(X), std::nullopt, axis) ||
      !c.applyRule(shapes::gatherShape(ruleShape(c.shape(X)),
                                       ruleShape(c.shape(Indices)), axis,
                                       c.naming()),
                   out))
    return false;
  c.attrs = {{"axis", axis}};
  return c.produce({c.type(X).dtype, out});
}

bool inferTakeAlongAxis(OpContext &c) {
  enum { X, Indices };
  int64_t axis;
  if (!c.expectMinRank(X, 1, "[...]") || !c.expectIndex(Indices) ||
      !c.readAxis("axis", c.rank(X), std::nullopt, axis))
    return false;
  Shape out;
  if (!c.applyRule(shapes::takeAlongAxisShape(ruleShape(c.shape(X)),
                                              ruleShape(c.shape(Indices)), axis,
                                              c.naming()),
                   out))
    return false;
  c.attrs = {{"axis", axis}};
  return c.produce({c.type(X).dtype, out});
}

bool inferArgmax(OpContext &c) {
  int64_t axis;
  bool keepdims;
  if (!c.expectMinRank(0, 1, "[...]") || !c.expectNumeric(0) ||
      !c.readAxis("axis", c.rank(0), -1 + c.rank(0), axis) ||
      !c.readBool("keepdims", false, keepdims))
    return false;
  Shape out;
  if (!c.applyRule(shapes::argmaxShape(ruleShape(c.shape(0)), axis, keepdims,
                                       c.naming()),
                   out))
    return false;
  c.attrs = {{"axis", axis}, {"keepdims", keepdims}};
  return c.produce({DType::I64, out});
}

bool inferTopK(OpContext &c) {
  int64_t axis, k;
  if (!c.expectMinRank(0, 1, "[...]") || !c.expectNumeric(0) ||
      !c.readAxis("axis", c.rank(0), -1 + c.rank(0), axis))
    return false;
  const json *raw = c.rawAttr("k");
  if (!raw)
    return c.failAttr("k", "missing required attr 'k' of op 'top_k'");
  if (!c.readInt("k", 0, k))
    return false;
  Shape out;
  if (!c.applyRule(shapes::topKShape(ruleShape(c.shape(0)), axis, k,
                                     c.naming()),
                   out))
    return false;
  c.attrs = {{"k", k}, {"axis", axis}};
  c.outputs = {{c.type(0).dtype, out}};
  if (c.numOutputs == 2)
    c.outputs.push_back({DType::I64, out});
  return true;
}

bool inferCumsum(OpContext &c) {
  int64_t axis;
  bool exclusive, reverse;
  std::optional<shapes::Shape> offsets;
  TensorType type = c.type(0);
  if (!c.expectMinRank(0, 1, "[...]") || !c.expectNumeric(0) ||
      !c.readAxis("axis", c.rank(0), std::nullopt, axis) ||
      (c.has(1) && !c.expectIndex(1)) ||
      !c.applyRule(shapes::cumsumShape(ruleShape(c.shape(0)),
                                       c.ruleInput(1, offsets), axis,
                                       c.naming()),
                   type.shape) ||
      !c.readBool("exclusive", false, exclusive) ||
      !c.readBool("reverse", false, reverse))
    return false;
  c.attrs = {{"axis", axis}, {"exclusive", exclusive}, {"reverse", reverse}};
  // As torch.cumsum: integer sums are i64.
  if (isInteger(type.dtype))
    type.dtype = DType::I64;
  return c.produce(type);
}

bool inferComparison(OpContext &c) {
  if (!inferBinary(c))
    return false;
  return c.produce({DType::Bool, c.outputs[0].shape});
}

bool inferWhere(OpContext &c) {
  enum { Cond, A, B };
  if (c.type(Cond).dtype != DType::Bool)
    return c.failInput(Cond, c.describe(Cond) + " has dtype " +
                                 dtypeName(c.type(Cond).dtype) +
                                 "; expected bool (a comparison's result)");
  if (!c.expectSameDType(B, A))
    return false;
  Shape out;
  if (!c.applyRule(shapes::whereShape(ruleShape(c.shape(Cond)),
                                      ruleShape(c.shape(A)),
                                      ruleShape(c.shape(B)), c.naming()),
                   out))
    return false;
  c.attrs = json::object();
  return c.produce({c.type(A).dtype, out});
}

} // namespace kiln::model::detail
