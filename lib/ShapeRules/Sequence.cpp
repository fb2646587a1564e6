//===- Sequence.cpp - Shape rules of rope and conv1d ----------------------===//
//
// The position-wise sequence ops: both keep x's shape, and their weights or
// positions follow x's layout.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/Checks.h"

namespace kiln::shapes {

ShapeResult ropeShape(const Shape &x, const Shape *positions,
                      std::optional<int64_t> rotaryDim, const Naming &naming) {
  enum { X, Positions };
  Checks checks(naming);
  checks.rank(X, x, 4, "[B, T, H, D]");
  // A symbol is sized only at run time; an unknown dim may still be static.
  if (checks.ok() && x[3].isSymbol())
    checks.isStatic(X, x, 3, "(the head size D that rope rotates)");
  if (checks.ok() && positions)
    checks.rank(Positions, *positions, 2, "[B, T]");
  if (checks.ok() && positions) {
    std::string ofX = " of " + naming.role(X);
    checks.dim(Positions, *positions, 0, x[0], "B" + ofX)
        .dim(Positions, *positions, 1, x[1], "T" + ofX);
  }
  if (!checks.ok())
    return checks.takeError();
  const Dim &headSize = x[3];
  if (rotaryDim) {
    if (*rotaryDim <= 0 || *rotaryDim % 2)
      return RuleError("rotary_dim must be a positive even number, got " +
                           std::to_string(*rotaryDim),
                       -1, "rotary_dim");
    if (headSize.isStatic() && *rotaryDim > headSize.size())
      return RuleError("rotary_dim " + std::to_string(*rotaryDim) +
                           " exceeds the head size D = " +
                           std::to_string(headSize.size()) +
                           "; expected at most D",
                       -1, "rotary_dim");
  } else if (headSize.isStatic() && headSize.size() % 2) {
    return RuleError(naming.subject(X) + " has an odd head size " +
                         std::to_string(headSize.size()) +
                         "; expected an even D, or an even 'rotary_dim'",
                     X);
  }
  return x;
}

ShapeResult conv1dShape(const Shape &x, const Shape &w, const Shape *bias,
                        const Naming &naming) {
  enum { X, W, Bias };
  Checks checks(naming);
  checks.rank(X, x, 3, "[B, T, C]").rank(W, w, 2, "[C, K]");
  if (!checks.ok())
    return checks.takeError();
  std::string channels = "C of " + naming.role(X);
  // The taps are unrolled, so the kernel size must be known.
  checks.dim(W, w, 0, x[2], channels)
      .isStatic(W, w, 1, "(the kernel size K)")
      .vector(Bias, bias, x[2], "[C]", channels);
  if (!checks.ok())
    return checks.takeError();
  return x;
}

} // namespace kiln::shapes
