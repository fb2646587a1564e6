//===- Broadcast.cpp - NumPy broadcasting, once for every layer -----------===//
//
// The broadcast rule of elementwise binary ops, comparisons, where and the
// attention bias. Symbols follow the JSON IR: a symbol broadcasts only with
// itself or 1, since its run-time size is unknown to the importer.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/ShapeRules.h"

#include <algorithm>

namespace kiln::shapes {

ShapeResult broadcastShapes(const Shape &a, const Shape &b,
                            const Naming &naming) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, Dim::fixed(1));
  for (size_t k = 0; k < rank; ++k) {
    const Dim *x = k < a.size() ? &a[a.size() - 1 - k] : nullptr;
    const Dim *y = k < b.size() ? &b[b.size() - 1 - k] : nullptr;
    Dim &o = out[rank - 1 - k];
    if (!x || (y && x->isOne()))
      o = *y;
    else if (!y || y->isOne())
      o = *x;
    else if (x->isUnknown())
      o = *y;
    else if (y->isUnknown() || *x == *y)
      o = *x;
    else
      return RuleError{"cannot broadcast " + naming.format(a) + " with " +
                       naming.format(b) + ": " + naming.format(*x) + " vs " +
                       naming.format(*y) +
                       " (dims must be equal or one of them 1)"};
  }
  return out;
}

/// Broadcasts `a` with `b`; an error concerns `operand`, named first.
static ShapeResult broadcastOperand(const Shape &a, const Shape &b,
                                    size_t operand, const Naming &naming) {
  ShapeResult result = broadcastShapes(a, b, naming);
  if (result)
    return result;
  return RuleError{naming.subject(operand) + ": " + result.error().message,
                   static_cast<int>(operand)};
}

ShapeResult elementwiseShape(const Shape &a, const Shape &b,
                             const Naming &naming) {
  return broadcastOperand(a, b, 1, naming);
}

ShapeResult whereShape(const Shape &cond, const Shape &a, const Shape &b,
                       const Naming &naming) {
  ShapeResult values = broadcastOperand(a, b, 2, naming);
  if (!values)
    return values;
  return broadcastOperand(cond, *values, 0, naming);
}

ShapeResult broadcastToShape(const Shape &shape, const Shape &target,
                             size_t operand, const std::string &targetName,
                             const Naming &naming) {
  bool fits = shape.size() <= target.size();
  for (size_t k = 0; fits && k < shape.size(); ++k) {
    const Dim &d = shape[shape.size() - 1 - k];
    fits = d.isOne() || compatible(d, target[target.size() - 1 - k]);
  }
  if (fits)
    return target;
  return RuleError{naming.subject(operand) + " has shape " +
                       naming.format(shape) +
                       "; expected a shape broadcastable to " + targetName +
                       " = " + naming.format(target),
                   static_cast<int>(operand)};
}

} // namespace kiln::shapes
