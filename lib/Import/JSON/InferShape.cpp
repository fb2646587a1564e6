//===- InferShape.cpp - Shape rules of the data-movement ops --------------===//
//
// Validation, attr normalization and shape inference for reshape,
// transpose, slice, concat and split. Symbolic dims are never split or
// merged: reshape keeps the same symbols and only regroups static sizes,
// concat/split work on static axes, and slice keeps a static number of
// positions of a symbolic axis (or all of them).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

#include <algorithm>

namespace kiln::model::detail {
namespace {

/// The product of the static dims and the sorted symbols of a shape;
/// false if the product overflows.
bool factorize(const Shape &shape, int64_t &product, std::vector<int> &symbols) {
  product = 1;
  for (const Dim &dim : shape) {
    if (!dim.isStatic())
      symbols.push_back(dim.symbol);
    else if (__builtin_mul_overflow(product, dim.size, &product))
      return false;
  }
  std::sort(symbols.begin(), symbols.end());
  return true;
}

std::string symbolNames(const Model &model, const std::vector<int> &symbols) {
  std::vector<std::string> names;
  for (int symbol : symbols)
    names.push_back(model.dims[symbol]);
  return names.empty() ? "none" : join(names);
}

} // namespace

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
  int64_t inProduct, outProduct;
  std::vector<int> inSymbols, outSymbols;
  if (!factorize(c.shape(0), inProduct, inSymbols) ||
      !factorize(out, outProduct, outSymbols))
    return c.failAttr("shape", "static sizes overflow a 64-bit integer");
  std::string what = "cannot reshape " + c.describe(0) + " of shape " +
                     c.str(c.shape(0)) + " to " + brief(*target) + ": ";
  if (inSymbols != outSymbols)
    return c.failAttr("shape", what + "the symbolic dims differ (" +
                                   symbolNames(c.model, inSymbols) + " vs " +
                                   symbolNames(c.model, outSymbols) +
                                   "); expected the same symbolic dims");
  if (inferred >= 0) {
    if (inProduct % outProduct)
      return c.failAttr("shape", what + "static size " +
                                     std::to_string(inProduct) +
                                     " is not divisible by " +
                                     std::to_string(outProduct) +
                                     ", so -1 has no integer size");
    out[inferred] = Dim::fixed(inProduct / outProduct);
  } else if (inProduct != outProduct) {
    return c.failAttr("shape", what + "static sizes multiply to " +
                                   std::to_string(inProduct) + " vs " +
                                   std::to_string(outProduct) +
                                   "; expected equal products");
  }
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
  for (int64_t axis : perm)
    shape.push_back(c.shape(0)[axis]);
  c.attrs = {{"perm", perm}};
  return c.produce({c.type(0).dtype, shape});
}

/// A slice of a symbolic axis: both bounds counted from the same end, so
/// that the result's size is static, or the whole axis.
static bool inferSymbolicSlice(OpContext &c, int64_t axis) {
  int64_t start;
  if (!c.readInt("start", 0, start))
    return false;
  const json *rawEnd = c.rawAttr("end");
  json end = nullptr; // The end of the axis.
  int64_t last = 0;
  if (rawEnd && !c.readInt("end", 0, last))
    return false;
  if (rawEnd)
    end = last;
  // Bounds from different ends (or a positive start to the end) leave a
  // size that depends on the axis.
  if (rawEnd ? (start < 0) != (last < 0) : start > 0)
    return c.failAttr(rawEnd ? "end" : "start",
                      "slice [" + std::to_string(start) + ", " +
                          (rawEnd ? end.dump() : std::string("end")) +
                          ") of symbolic axis " + std::to_string(axis) + " (" +
                          c.str(c.shape(0)[axis]) +
                          ") has a size that depends on the axis; expected "
                          "both bounds counted from the same end (e.g. "
                          "start -1 for the last position), or the whole "
                          "axis");
  // 0: the whole (symbolic) axis.
  int64_t size = rawEnd ? last - start : -start;
  if (rawEnd && size <= 0)
    return c.failAttr("end", "empty slice [" + std::to_string(start) + ", " +
                                 end.dump() + ") of axis " +
                                 std::to_string(axis) +
                                 "; expected start < end");
  TensorType type = c.type(0);
  if (size > 0)
    type.shape[axis] = Dim::fixed(size);
  c.attrs = {{"axis", axis}, {"start", start}, {"end", end}};
  return c.produce(type);
}

bool inferSlice(OpContext &c) {
  int64_t axis, start, end;
  if (!c.expectMinRank(0, 1, "[...]") ||
      !c.readAxis("axis", c.rank(0), std::nullopt, axis))
    return false;
  if (!c.shape(0)[axis].isStatic())
    return inferSymbolicSlice(c, axis);
  int64_t size = c.shape(0)[axis].size;
  if (!c.readInt("start", 0, start) || !c.readInt("end", size, end))
    return false;
  // Python slice bounds: negative counts from the end, then clamp.
  auto clamp = [size](int64_t v) {
    return std::min(std::max(v < 0 ? v + size : v, (int64_t)0), size);
  };
  start = clamp(start);
  end = clamp(end);
  if (start >= end)
    return c.failAttr("end", "empty slice [" + std::to_string(start) + ", " +
                                 std::to_string(end) + ") of axis " +
                                 std::to_string(axis) + " with size " +
                                 std::to_string(size) +
                                 "; expected start < end after clamping");
  TensorType type = c.type(0);
  type.shape[axis] = Dim::fixed(end - start);
  c.attrs = {{"axis", axis}, {"start", start}, {"end", end}};
  return c.produce(type);
}

bool inferConcat(OpContext &c) {
  int64_t axis;
  if (!c.expectMinRank(0, 1, "[...]") ||
      !c.readAxis("axis", c.rank(0), std::nullopt, axis))
    return false;
  TensorType type = c.type(0);
  int64_t total = 0;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.expectSameDType(i, 0) ||
        !c.expectRank(i, c.rank(0), "like input x0") ||
        !c.expectStatic(i, axis, "(the concatenated axis)"))
      return false;
    for (int64_t d = 0; d < c.rank(0); ++d)
      if (d != axis && !c.expectDim(i, d, type.shape[d], "as in input x0"))
        return false;
    if (__builtin_add_overflow(total, c.shape(i)[axis].size, &total))
      return c.failInput(i, "the concatenated size overflows");
  }
  type.shape[axis] = Dim::fixed(total);
  c.attrs = {{"axis", axis}};
  return c.produce(type);
}

bool inferSplit(OpContext &c) {
  int64_t axis;
  if (!c.expectMinRank(0, 1, "[...]") ||
      !c.readAxis("axis", c.rank(0), std::nullopt, axis) ||
      !c.expectStatic(0, axis, "(the split axis)"))
    return false;
  int64_t size = c.shape(0)[axis].size;
  int64_t parts = (int64_t)c.numOutputs;
  std::vector<int64_t> sizes;
  if (const json *value = c.rawAttr("sizes")) {
    if (!value->is_array() || (int64_t)value->size() != parts)
      return c.failAttr("sizes", "expected an array of " +
                                     std::to_string(parts) +
                                     " positive sizes (one per output), got " +
                                     brief(*value));
    int64_t sum = 0;
    for (size_t i = 0; i < value->size(); ++i) {
      std::optional<int64_t> part = asInt((*value)[i]);
      if (!part || *part <= 0 || __builtin_add_overflow(sum, *part, &sum))
        return c.diag.fail(c.attrPointer("sizes") + "/" + std::to_string(i),
                           "expected a positive size, got " +
                               brief((*value)[i]));
      sizes.push_back(*part);
    }
    if (sum != size)
      return c.failAttr("sizes", "sizes add up to " + std::to_string(sum) +
                                     "; expected " + std::to_string(size) +
                                     ", the size of axis " +
                                     std::to_string(axis) + " of " +
                                     c.str(c.shape(0)));
  } else {
    if (size % parts)
      return c.failInput(0, c.describe(0) + " has shape " + c.str(c.shape(0)) +
                                "; expected axis " + std::to_string(axis) +
                                " to divide into " + std::to_string(parts) +
                                " equal parts (or give 'sizes')");
    sizes.assign(parts, size / parts);
  }
  for (int64_t part : sizes) {
    TensorType type = c.type(0);
    type.shape[axis] = Dim::fixed(part);
    c.outputs.push_back(type);
  }
  c.attrs = {{"axis", axis}, {"sizes", sizes}};
  return true;
}

} // namespace kiln::model::detail
