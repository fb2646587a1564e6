//===- Reduction.cpp - Shape rules of the ops along axes ------------------===//
//
// softmax and the reductions take normalized axes (in [0, rank)); the JSON
// front end normalizes negative ones before it calls these.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/ShapeRules.h"

namespace kiln::shapes {

ShapeResult softmaxShape(const Shape &x, int64_t axis, const Naming &naming) {
  if (x.empty())
    return minRankError(naming, 0, x, 1, "[..., D]");
  if (std::optional<RuleError> error = checkAxis(axis, x.size(), "axis"))
    return *error;
  return x;
}

ShapeResult reduceShape(const Shape &x, const std::vector<int64_t> &axes,
                        bool keepdims, const Naming &naming) {
  if (x.empty())
    return minRankError(naming, 0, x, 1, "[...]");
  std::vector<bool> reduced(x.size(), false);
  for (int64_t axis : axes) {
    if (std::optional<RuleError> error = checkAxis(axis, x.size(), "axes"))
      return *error;
    if (reduced[axis])
      return RuleError("axis " + std::to_string(axis) +
                           " is listed twice; expected unique axes",
                       -1, "axes");
    reduced[axis] = true;
  }
  Shape out;
  for (size_t d = 0; d < x.size(); ++d) {
    if (!reduced[d])
      out.push_back(x[d]);
    else if (keepdims)
      out.push_back(Dim::fixed(1));
  }
  return out;
}

} // namespace kiln::shapes
