//===- InferSupport.cpp - Checks shared by the shape-inference rules ------===//
//
// The OpContext helpers that every op's inference uses: input rank, dtype
// and dim checks with uniform messages, typed attr readers that fill
// defaults, and NumPy broadcasting.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

#include <algorithm>
#include <cmath>

namespace kiln::model::detail {

std::string formatDim(const Model &model, const Dim &dim) {
  std::string text = formatShape(model, {dim});
  return text.substr(1, text.size() - 2);
}

std::string OpContext::describe(size_t i) const {
  return "input " + spec.role(i) + " ('" + inputs[i]->name + "')";
}

bool OpContext::failInput(size_t i, const std::string &message) {
  return diag.fail(inputPointers[i], message);
}

bool OpContext::expectRank(size_t i, int64_t wanted, const char *layout) {
  if (rank(i) == wanted)
    return true;
  return failRule(
      shapes::rankError(naming(), i, ruleShape(shape(i)), wanted, layout));
}

bool OpContext::expectMinRank(size_t i, int64_t wanted, const char *layout) {
  if (rank(i) >= wanted)
    return true;
  return failRule(
      shapes::minRankError(naming(), i, ruleShape(shape(i)), wanted, layout));
}

bool OpContext::expectFloat(size_t i) {
  if (isFloat(type(i).dtype))
    return true;
  return failInput(i, describe(i) + " has dtype " + dtypeName(type(i).dtype) +
                          "; expected a floating-point tensor (f32, f16 or "
                          "bf16) for op '" + spec.name + "'");
}

bool OpContext::expectNumeric(size_t i) {
  if (type(i).dtype != DType::Bool)
    return true;
  return failInput(i, describe(i) +
                          " has dtype bool; expected a numeric "
                          "tensor for op '" +
                          spec.name + "' (cast it first)");
}

bool OpContext::expectIndex(size_t i) {
  DType t = type(i).dtype;
  if (t == DType::I32 || t == DType::I64)
    return true;
  return failInput(i, describe(i) + " has dtype " + dtypeName(t) +
                          "; expected an index tensor (i32 or i64)");
}

bool OpContext::expectSameDType(size_t i, size_t j) {
  if (type(i).dtype == type(j).dtype)
    return true;
  return failInput(i, describe(i) + " has dtype " + dtypeName(type(i).dtype) +
                          "; expected " + dtypeName(type(j).dtype) +
                          ", the dtype of " + describe(j));
}

bool OpContext::expectDim(size_t i, int64_t axis, Dim expected,
                          const std::string &what) {
  if (shape(i)[axis] == expected)
    return true;
  return failRule(shapes::dimError(naming(), i, ruleShape(shape(i)), axis,
                                   ruleDim(expected), what));
}

bool OpContext::expectSameShape(size_t i, size_t j) {
  if (shape(i) == shape(j))
    return true;
  return failRule(shapes::sameShapeError(naming(), i, ruleShape(shape(i)), j,
                                         ruleShape(shape(j))));
}

bool OpContext::expectStatic(size_t i, int64_t axis, const std::string &why) {
  if (shape(i)[axis].isStatic())
    return true;
  return failRule(
      shapes::staticError(naming(), i, ruleShape(shape(i)), axis, why));
}

std::string OpContext::attrPointer(const std::string &key) const {
  return pointer + "/attrs/" + escapePointer(key);
}

bool OpContext::failAttr(const std::string &key, const std::string &message) {
  return diag.fail(attrPointer(key), message);
}

const json *OpContext::rawAttr(const std::string &key) const {
  auto it = rawAttrs.find(key);
  return it == rawAttrs.end() ? nullptr : &*it;
}

bool OpContext::readBool(const std::string &key, bool def, bool &out) {
  const json *value = rawAttr(key);
  out = def;
  if (!value)
    return true;
  if (!value->is_boolean())
    return failAttr(key, "expected a boolean, got " + jsonTypeName(*value));
  out = value->get<bool>();
  return true;
}

bool OpContext::readInt(const std::string &key, int64_t def, int64_t &out) {
  const json *value = rawAttr(key);
  out = def;
  if (!value)
    return true;
  std::optional<int64_t> number = asInt(*value);
  if (!number)
    return failAttr(key, "expected an integer, got " + brief(*value));
  out = *number;
  return true;
}

bool OpContext::readPositiveNumber(const std::string &key, double def,
                                   double &out) {
  const json *value = rawAttr(key);
  out = def;
  if (!value)
    return true;
  if (!value->is_number() || !(value->get<double>() > 0) ||
      !std::isfinite(value->get<double>()))
    return failAttr(key, "expected a positive number, got " + brief(*value));
  out = value->get<double>();
  return true;
}

bool OpContext::readEnum(const std::string &key,
                         const std::vector<std::string> &names, const char *def,
                         std::string &out) {
  const json *value = rawAttr(key);
  out = def;
  if (!value)
    return true;
  if (!value->is_string())
    return failAttr(key, "expected one of " + join(names) + ", got " +
                             jsonTypeName(*value));
  out = value->get<std::string>();
  if (std::find(names.begin(), names.end(), out) == names.end())
    return failAttr(key, "unknown " + key + " '" + out + "'; expected one of " +
                             join(names));
  return true;
}

bool OpContext::readAxis(const std::string &key, int64_t rank,
                         std::optional<int64_t> def, int64_t &out) {
  const json *value = rawAttr(key);
  if (!value) {
    if (!def)
      return failAttr(key, "missing required attr '" + key + "' of op '" +
                               spec.name + "'");
    out = *def;
    return true;
  }
  std::optional<int64_t> axis = asInt(*value);
  if (!axis || *axis < -rank || *axis >= rank)
    return failAttr(key, "expected an axis in [" + std::to_string(-rank) +
                             ", " + std::to_string(rank) + ") for rank " +
                             std::to_string(rank) + ", got " + brief(*value));
  out = *axis < 0 ? *axis + rank : *axis;
  return true;
}

bool OpContext::produce(const TensorType &type) {
  outputs.assign(numOutputs, type);
  return true;
}

shapes::Dim ruleDim(const Dim &dim) {
  return dim.isStatic() ? shapes::Dim::fixed(dim.size)
                        : shapes::Dim::symbol(dim.symbol);
}

shapes::Shape ruleShape(const Shape &shape) {
  shapes::Shape rule;
  for (const Dim &dim : shape)
    rule.push_back(ruleDim(dim));
  return rule;
}

Shape modelShape(const shapes::Shape &shape) {
  Shape out;
  for (const shapes::Dim &dim : shape)
    out.push_back(dim.isStatic() ? Dim::fixed(dim.size())
                                 : Dim::symbolic(dim.symbolId()));
  return out;
}

shapes::Naming OpContext::naming() const {
  shapes::Naming naming;
  for (size_t i = 0; i < inputs.size(); ++i)
    naming.roles.push_back(spec.role(i));
  naming.describe = [this](size_t i) { return describe(i); };
  naming.symbols = model.dims;
  return naming;
}

std::optional<shapes::Shape> OpContext::ruleInput(size_t i) const {
  if (!has(i))
    return std::nullopt;
  return ruleShape(shape(i));
}

const shapes::Shape *
OpContext::ruleInput(size_t i, std::optional<shapes::Shape> &storage) const {
  storage = ruleInput(i);
  return storage ? &*storage : nullptr;
}

bool OpContext::failRule(const shapes::RuleError &error) {
  if (error.operand >= 0)
    return failInput(error.operand, error.message);
  if (!error.attr.empty())
    return failAttr(error.attr, error.message);
  return diag.fail(pointer, error.message);
}

bool OpContext::applyRule(const shapes::ShapeResult &rule, Shape &out) {
  if (!rule)
    return failRule(rule.error());
  out = modelShape(*rule);
  return true;
}

} // namespace kiln::model::detail
