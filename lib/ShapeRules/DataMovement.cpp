//===- DataMovement.cpp - Shape rules of reshape, transpose, slice, ... ---===//
//
// reshape, transpose, slice, concat and split. A symbolic dim's size is
// unknown until run time, so it is never split or merged: reshape keeps the
// same symbols and regroups static sizes only, and the axis that concat,
// split or a static slice cuts must be static.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/Checks.h"

#include <algorithm>

namespace kiln::shapes {
namespace {

/// "[1, 0, 2]".
std::string formatInts(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

/// A shape as reshape sees it: the product of its static sizes and its
/// symbols, sorted.
struct Factors {
  int64_t product = 1;
  std::vector<int64_t> symbols;
  bool unknown = false;
  bool overflow = false;
};

/// The factors of `shape`, leaving out dim `skip` (reshape's -1).
Factors factorize(const Shape &shape, std::optional<size_t> skip) {
  Factors factors;
  for (size_t i = 0; i < shape.size(); ++i) {
    const Dim &dim = shape[i];
    if (skip == i)
      continue;
    if (dim.isUnknown())
      factors.unknown = true;
    else if (dim.isSymbol())
      factors.symbols.push_back(dim.symbolId());
    else if (__builtin_mul_overflow(factors.product, dim.size(),
                                    &factors.product))
      factors.overflow = true;
  }
  std::sort(factors.symbols.begin(), factors.symbols.end());
  return factors;
}

/// "batch, seq", or "none".
std::string symbolNames(const std::vector<int64_t> &symbols,
                        const Naming &naming) {
  std::string text;
  for (size_t i = 0; i < symbols.size(); ++i)
    text += (i ? ", " : "") + naming.format(Dim::symbol(symbols[i]));
  return symbols.empty() ? "none" : text;
}

/// A reshape target as the rules write it: its -1 as -1.
std::string formatTarget(const Shape &target, std::optional<size_t> inferred,
                         const Naming &naming) {
  std::string text = "[";
  for (size_t i = 0; i < target.size(); ++i)
    text += (i ? ", " : "") +
            (inferred == i ? std::string("-1") : naming.format(target[i]));
  return text + "]";
}

} // namespace

ShapeResult reshapeShape(const Shape &x, Shape target,
                         std::optional<size_t> inferred, const Naming &naming) {
  Factors in = factorize(x, std::nullopt), out = factorize(target, inferred);
  if (in.overflow || out.overflow)
    return RuleError("static sizes overflow a 64-bit integer", -1, "shape");
  // An unknown dim may be any size: neither the symbols nor the products
  // can be compared, and -1 stays unknown.
  if (in.unknown || out.unknown) {
    if (inferred)
      target[*inferred] = Dim::unknown();
    return target;
  }
  std::string what =
      "cannot reshape " + naming.subject(0) + " of shape " + naming.format(x) +
      " to " +
      naming.attrText("shape", formatTarget(target, inferred, naming)) + ": ";
  if (in.symbols != out.symbols)
    return RuleError(what + "the symbolic dims differ (" +
                         symbolNames(in.symbols, naming) + " vs " +
                         symbolNames(out.symbols, naming) +
                         "); expected the same symbolic dims",
                     -1, "shape");
  if (inferred) {
    // A zero-sized dim (a symbol bound to 0 at run time) leaves -1 open.
    if (out.product == 0 || in.product % out.product)
      return RuleError(what + "static size " + std::to_string(in.product) +
                           " is not divisible by " +
                           std::to_string(out.product) +
                           ", so -1 has no integer size",
                       -1, "shape");
    target[*inferred] = Dim::fixed(in.product / out.product);
  } else if (in.product != out.product) {
    return RuleError(what + "static sizes multiply to " +
                         std::to_string(in.product) + " vs " +
                         std::to_string(out.product) +
                         "; expected equal products",
                     -1, "shape");
  }
  return target;
}

ShapeResult transposeShape(const Shape &x, const std::vector<int64_t> &perm,
                           const Naming &naming) {
  std::vector<bool> used(x.size(), false);
  bool permutation = perm.size() == x.size();
  for (size_t i = 0; permutation && i < perm.size(); ++i) {
    permutation = perm[i] >= 0 &&
                  perm[i] < static_cast<int64_t>(x.size()) && !used[perm[i]];
    if (permutation)
      used[perm[i]] = true;
  }
  if (!permutation)
    return RuleError("expected a permutation of the " +
                         std::to_string(x.size()) + " axes of " +
                         naming.format(x) + ", got " + formatInts(perm),
                     -1, "perm");
  Shape out;
  for (int64_t axis : perm)
    out.push_back(x[axis]);
  return out;
}

ShapeResult sliceShape(const Shape &x, int64_t axis, int64_t start,
                       std::optional<int64_t> end, const Naming &naming) {
  Checks checks(naming);
  checks.minRank(0, x, 1, "[...]").axis(x, axis, "axis");
  if (!checks.ok())
    return checks.takeError();
  const Dim &dim = x[axis];
  std::string range = "[" + std::to_string(start) + ", " +
                      (end ? std::to_string(*end) : "end") + ")";
  Shape out = x;
  if (dim.isStatic()) {
    int64_t size = dim.size();
    std::string where =
        " of axis " + std::to_string(axis) + " with size " + std::to_string(size);
    if (!end || start < 0 || *end > size)
      return RuleError("slice " + range + where +
                           " is out of bounds; expected 0 <= start < end <= " +
                           std::to_string(size),
                       -1, start < 0 ? "start" : "end");
    // The JSON front end clamps Python bounds into [0, size] first.
    if (start >= *end)
      return RuleError("empty slice " + range + where +
                           "; expected start < end after clamping",
                       -1, "end");
    out[axis] = Dim::fixed(*end - start);
    return out;
  }
  // Bounds from different ends (or a non-negative start to the end) leave a
  // size that depends on the axis.
  if (end ? (start < 0) != (*end < 0) : start >= 0)
    return RuleError("slice " + range + " of " +
                         (dim.isSymbol() ? "symbolic" : "dynamic") + " axis " +
                         std::to_string(axis) + " (" + naming.format(dim) +
                         ") has a size that depends on the axis; expected "
                         "both bounds counted from the same end (e.g. start "
                         "-1 for the last position), or the whole axis",
                     -1, end ? "end" : "start");
  int64_t size;
  if (__builtin_sub_overflow(end ? *end : 0, start, &size))
    return RuleError("slice " + range + " of axis " + std::to_string(axis) +
                         " has a size beyond int64",
                     -1, "start");
  if (size <= 0)
    return RuleError("empty slice " + range + " of axis " +
                         std::to_string(axis) + "; expected start < end",
                     -1, "end");
  out[axis] = Dim::fixed(size);
  return out;
}

ShapeResult concatShape(const std::vector<Shape> &inputs, int64_t axis,
                        const Naming &naming) {
  if (inputs.empty())
    return RuleError("expected at least one input");
  const Shape &first = inputs[0];
  Checks checks(naming);
  checks.minRank(0, first, 1, "[...]").axis(first, axis, "axis");
  Shape out = first;
  int64_t total = 0;
  for (size_t i = 0; checks.ok() && i < inputs.size(); ++i) {
    const Shape &x = inputs[i];
    checks.rank(i, x, first.size(), "like input x0")
        .isStatic(i, x, axis, "(the concatenated axis)");
    for (size_t d = 0; checks.ok() && d < x.size(); ++d)
      if (static_cast<int64_t>(d) != axis)
        checks.dim(i, x, d, first[d], "as in input x0");
    if (checks.ok() && __builtin_add_overflow(total, x[axis].size(), &total))
      checks.fail(RuleError("the concatenated size overflows", i));
  }
  if (!checks.ok())
    return checks.takeError();
  out[axis] = Dim::fixed(total);
  return out;
}

ShapesResult splitShapes(const Shape &x, int64_t axis,
                         const std::optional<std::vector<int64_t>> &sizes,
                         size_t parts, const Naming &naming) {
  Checks checks(naming);
  checks.minRank(0, x, 1, "[...]").axis(x, axis, "axis");
  if (checks.ok())
    checks.isStatic(0, x, axis, "(the split axis)");
  if (!checks.ok())
    return checks.takeError();
  int64_t size = x[axis].size();
  std::vector<int64_t> partSizes;
  if (sizes) {
    int64_t sum = 0;
    for (int64_t part : *sizes)
      if (part <= 0 || __builtin_add_overflow(sum, part, &sum))
        return RuleError("expected positive sizes, got " + formatInts(*sizes),
                         -1, "sizes");
    if (sum != size)
      return RuleError("sizes add up to " + std::to_string(sum) +
                           "; expected " + std::to_string(size) +
                           ", the size of axis " + std::to_string(axis) +
                           " of " + naming.format(x),
                       -1, "sizes");
    partSizes = *sizes;
  } else {
    if (parts == 0 || size % static_cast<int64_t>(parts))
      return RuleError(naming.subject(0) + " has shape " + naming.format(x) +
                           "; expected axis " + std::to_string(axis) +
                           " to divide into " + std::to_string(parts) +
                           " equal parts (or give 'sizes')",
                       0);
    partSizes.assign(parts, size / static_cast<int64_t>(parts));
  }
  std::vector<Shape> out;
  for (int64_t part : partSizes) {
    out.push_back(x);
    out.back()[axis] = Dim::fixed(part);
  }
  return out;
}

} // namespace kiln::shapes
