//===- Indexing.cpp - Shape rules of indexing and ops along one axis ------===//
//
// gather, take_along_axis, argmax, top_k, cumsum and arange: each works
// along one axis of x. cumsum and arange also run over packed batches,
// whose sequences lie along axis 1, T of `[B, T, ...]`.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/Checks.h"

namespace kiln::shapes {
namespace {

/// x (0) has at least one dim and `axis` is one of them.
Checks checkAlongAxis(const Shape &x, int64_t axis, const Naming &naming) {
  Checks checks(naming);
  checks.minRank(0, x, 1, "[...]").axis(x, axis, "axis");
  return checks;
}

/// x (0) along `axis`; with `seqOffsets` (1), a packed batch, the op runs
/// along T, axis 1 of x `[B, T, ...]`.
std::optional<RuleError> checkPackedAxis(const Shape &x,
                                         const Shape *seqOffsets, int64_t axis,
                                         const Naming &naming) {
  Checks checks = checkAlongAxis(x, axis, naming);
  if (!checks.ok())
    return checks.takeError();
  if (!seqOffsets)
    return std::nullopt;
  if (std::optional<RuleError> error = checkSeqOffsets(*seqOffsets, 1, naming))
    return error;
  if (axis == 1)
    return std::nullopt;
  return RuleError("axis " + std::to_string(axis) +
                       " with seq_offsets; expected 1, the sequence axis T "
                       "of " +
                       naming.subject(0) + " [B, T, ...]",
                   -1, "axis");
}

} // namespace

std::optional<RuleError> checkSeqOffsets(const Shape &seqOffsets,
                                         size_t operand, const Naming &naming) {
  if (seqOffsets.size() == 1)
    return std::nullopt;
  return rankError(naming, operand, seqOffsets, 1, "[N + 1]");
}

ShapeResult gatherShape(const Shape &x, const Shape &indices, int64_t axis,
                        const Naming &naming) {
  Checks checks = checkAlongAxis(x, axis, naming);
  if (!checks.ok())
    return checks.takeError();
  Shape out(x.begin(), x.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), x.begin() + axis + 1, x.end());
  return out;
}

ShapeResult takeAlongAxisShape(const Shape &x, const Shape &indices,
                               int64_t axis, const Naming &naming) {
  Checks checks = checkAlongAxis(x, axis, naming);
  if (!checks.ok())
    return checks.takeError();
  if (indices.size() != x.size())
    return rankError(naming, 1, indices, x.size(),
                     "(the rank of " + naming.role(0) + ")");
  Shape out;
  for (size_t d = 0; d < x.size(); ++d) {
    ShapeResult dim = broadcastShapes({x[d]}, {indices[d]}, naming);
    if (static_cast<int64_t>(d) == axis)
      out.push_back(indices[d]);
    else if (dim)
      out.push_back((*dim)[0]);
    else
      return RuleError{naming.subject(1) + " has shape " +
                           naming.format(indices) + "; expected dim " +
                           std::to_string(d) + " to broadcast with " +
                           naming.format(x[d]) + ", dim " + std::to_string(d) +
                           " of " + naming.role(0) + " " + naming.format(x),
                       1};
  }
  return out;
}

ShapeResult argmaxShape(const Shape &x, int64_t axis, bool keepdims,
                        const Naming &naming) {
  Checks checks = checkAlongAxis(x, axis, naming);
  if (!checks.ok())
    return checks.takeError();
  return reduceShape(x, {axis}, keepdims, naming);
}

ShapeResult topKShape(const Shape &x, int64_t axis, int64_t k,
                      const Naming &naming) {
  Checks checks = checkAlongAxis(x, axis, naming);
  if (!checks.ok())
    return checks.takeError();
  const Dim &size = x[axis];
  if (k <= 0 || (size.isStatic() && k > size.size()))
    return RuleError("k = " + std::to_string(k) + " for axis " +
                         std::to_string(axis) + " of size " +
                         naming.format(size) +
                         "; expected 1 <= k <= the size of the axis",
                     -1, "k");
  Shape out = x;
  out[axis] = Dim::fixed(k);
  return out;
}

ShapeResult cumsumShape(const Shape &x, const Shape *seqOffsets, int64_t axis,
                        const Naming &naming) {
  if (std::optional<RuleError> error =
          checkPackedAxis(x, seqOffsets, axis, naming))
    return *error;
  return x;
}

ShapeResult arangeShape(const Shape &x, const Shape *seqOffsets, int64_t axis,
                        const Naming &naming) {
  if (std::optional<RuleError> error =
          checkPackedAxis(x, seqOffsets, axis, naming))
    return *error;
  return Shape{x[axis]};
}

} // namespace kiln::shapes
