//===- State.cpp - Shapes of the generation entries' per-sequence state ---===//
//
// What each stateful op keeps between the prefill and decode calls, one
// entry per sequence of a session (an unknown leading dim): the JSON front
// end sizes the state buffers of the signature with these, and the verifiers
// of the step ops check their state operands against them.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/Checks.h"

namespace kiln::shapes {

ShapeResult ringStateShape(const Shape &values, const Dim &ring,
                           const Naming &naming) {
  if (values.size() < 2)
    return minRankError(naming, 0, values, 2, "[B, T, ...]");
  Shape out = {Dim::unknown(), ring};
  out.insert(out.end(), values.begin() + 2, values.end());
  return out;
}

ShapesResult linearAttentionStateShapes(const Shape &k, const Shape &v,
                                        const Naming &naming) {
  Checks checks(naming);
  checks.rank(0, k, 4, "[B, S, H, D]").rank(1, v, 4, "[B, S, H, Dv]");
  if (!checks.ok())
    return checks.takeError();
  return std::vector<Shape>{{Dim::unknown(), k[2], k[3], v[3]},
                            {Dim::unknown(), k[2], k[3]}};
}

ShapeResult selectiveScanStateShape(const Shape &u, const Shape &a,
                                    const Naming &naming) {
  Checks checks(naming);
  checks.rank(0, u, 3, "[B, T, D]").rank(1, a, 2, "[D, N]");
  if (!checks.ok())
    return checks.takeError();
  return Shape{Dim::unknown(), u[2], a[1]};
}

ShapeResult linearRecurrenceStateShape(const Shape &a, const Naming &naming) {
  if (a.size() != 3)
    return rankError(naming, 0, a, 3, "[B, T, D]");
  return Shape{Dim::unknown(), a[2]};
}

ShapeResult conv1dStateShape(const Shape &x, const Shape &w,
                             const Naming &naming) {
  Checks checks(naming);
  checks.rank(0, x, 3, "[B, T, C]").rank(1, w, 2, "[C, K]");
  if (!checks.ok())
    return checks.takeError();
  checks.dim(1, w, 0, x[2], "C of " + naming.role(0));
  // A kernel of one tap keeps no past inputs.
  if (checks.ok() && !(w[1].isStatic() && w[1].size() >= 2))
    checks.fail(RuleError(naming.subject(1) + " has shape " + naming.format(w) +
                              "; expected dim 1, the kernel size K, to be "
                              "static and at least 2",
                          1));
  if (!checks.ok())
    return checks.takeError();
  return Shape{Dim::unknown(), Dim::fixed(w[1].size() - 1), x[2]};
}

} // namespace kiln::shapes
