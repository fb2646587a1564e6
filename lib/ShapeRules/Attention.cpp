//===- Attention.cpp - Shape rule of q, k and v ---------------------------===//
//
// Softmax and linear attention take q `[B, T, H, D]` and k, v
// `[B, S, Hkv, D]` / `[B, S, Hkv, Dv]`: k, v may have fewer heads (GQA)
// when the op allows it, and v its own head size, which the result takes.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/ShapeRules.h"

namespace kiln::shapes {

/// The heads of q against those of k and v: compatible, or (GQA) a static
/// multiple of a positive number.
static std::optional<RuleError> checkHeads(const Dim &queryHeads,
                                           const Dim &keyHeads,
                                           bool groupedHeads,
                                           const Naming &naming) {
  if (keyHeads.isStatic() && keyHeads.size() <= 0)
    return RuleError(naming.subject(1) + " has " + naming.format(keyHeads) +
                         " heads; expected a positive number of heads",
                     1);
  if (compatible(queryHeads, keyHeads))
    return std::nullopt;
  if (groupedHeads && queryHeads.isStatic() && keyHeads.isStatic() &&
      queryHeads.size() % keyHeads.size() == 0)
    return std::nullopt;
  return RuleError(naming.subject(1) + " has " + naming.format(keyHeads) +
                       " heads and " + naming.role(0) + " has " +
                       naming.format(queryHeads) + "; expected the heads of " +
                       naming.role(0) +
                       (groupedHeads ? " to be a multiple of" : " to equal") +
                       " the heads of " + naming.role(1) + " and " +
                       naming.role(2) + (groupedHeads ? " (GQA)" : ""),
                   1);
}

ShapeResult attentionShape(const Shape &q, const Shape &k, const Shape &v,
                           bool groupedHeads, const Naming &naming) {
  const Shape *operands[] = {&q, &k, &v};
  for (size_t i = 0; i < 3; ++i)
    if (operands[i]->size() != 4)
      return rankError(naming, i, *operands[i], 4, "[B, T, H, D]");
  if (!compatible(k[0], q[0]))
    return dimError(naming, 1, k, 0, q[0], "B of " + naming.role(0));
  if (!compatible(k[3], q[3]))
    return dimError(naming, 1, k, 3, q[3], "D of " + naming.role(0));
  if (std::optional<RuleError> error =
          checkHeads(q[2], k[2], groupedHeads, naming))
    return *error;
  if (!compatible(v[0], q[0]))
    return dimError(naming, 2, v, 0, q[0], "B of " + naming.role(0));
  if (!compatible(v[1], k[1]))
    return dimError(naming, 2, v, 1, k[1], "S of " + naming.role(1));
  if (!compatible(v[2], k[2]))
    return dimError(naming, 2, v, 2, k[2], "H of " + naming.role(1));
  return Shape{q[0], q[1], q[2], v[3]};
}

} // namespace kiln::shapes
