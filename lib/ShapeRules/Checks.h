//===- Checks.h - The first failing check of a rule -------------*- C++ -*-===//
//
// Rules check their operands in a fixed order and report the first
// failure; Checks chains those checks. Internal to lib/ShapeRules.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SHAPERULES_CHECKS_H
#define KILN_SHAPERULES_CHECKS_H

#include "lib/ShapeRules/ShapeRules.h"

namespace kiln::shapes {

/// Collects the first error of a rule's checks.
class Checks {
public:
  explicit Checks(const Naming &naming) : naming(naming) {}

  bool ok() const { return !error; }
  RuleError takeError() { return std::move(*error); }

  /// Operand `i` has at least `rank` dims.
  Checks &minRank(size_t i, const Shape &shape, int64_t rank,
                  const char *layout) {
    if (ok() && static_cast<int64_t>(shape.size()) < rank)
      error = minRankError(naming, i, shape, rank, layout);
    return *this;
  }
  /// Operand `i` has exactly `rank` dims.
  Checks &rank(size_t i, const Shape &shape, int64_t rank, const char *layout) {
    if (ok() && static_cast<int64_t>(shape.size()) != rank)
      error = rankError(naming, i, shape, rank, layout);
    return *this;
  }
  /// Dim `axis` of operand `i` (of sufficient rank) may equal `expected`.
  Checks &dim(size_t i, const Shape &shape, int64_t axis, const Dim &expected,
              const std::string &what) {
    if (ok() && !compatible(shape[axis], expected))
      error = dimError(naming, i, shape, axis, expected, what);
    return *this;
  }
  /// A weight `[out, in]` whose `in` is `in`.
  Checks &weight(size_t i, const Shape &shape, const Dim &in,
                 const std::string &what) {
    rank(i, shape, 2, "[out, in]");
    return ok() ? dim(i, shape, 1, in, what) : *this;
  }
  /// An optional vector (`layout` "[out]" or "[D]") of `size` elements.
  Checks &vector(size_t i, const Shape *shape, const Dim &size,
                 const char *layout, const std::string &what) {
    if (!shape)
      return *this;
    rank(i, *shape, 1, layout);
    return ok() ? dim(i, *shape, 0, size, what) : *this;
  }
  Checks &bias(size_t i, const Shape *shape, const Dim &out,
               const std::string &what) {
    return vector(i, shape, out, "[out]", what);
  }
  /// Operand `i`, when given, may have the shape of operand `other`.
  Checks &sameShape(size_t i, const Shape *shape, size_t other,
                    const Shape &otherShape) {
    if (ok() && shape && !compatible(*shape, otherShape))
      error = sameShapeError(naming, i, *shape, other, otherShape);
    return *this;
  }
  /// Dim `axis` of operand `i` is static, for the reason `why`.
  Checks &isStatic(size_t i, const Shape &shape, int64_t axis,
                   const std::string &why) {
    if (ok() && !shape[axis].isStatic())
      error = staticError(naming, i, shape, axis, why);
    return *this;
  }
  /// `axis` (attr `attr`) is a dim of `shape`.
  Checks &axis(const Shape &shape, int64_t axis, const std::string &attr) {
    if (ok())
      error = checkAxis(axis, shape.size(), attr);
    return *this;
  }
  /// Records `failure` unless an earlier check failed.
  Checks &fail(RuleError failure) {
    if (ok())
      error = std::move(failure);
    return *this;
  }

private:
  const Naming &naming;
  std::optional<RuleError> error;
};

} // namespace kiln::shapes

#endif // KILN_SHAPERULES_CHECKS_H
