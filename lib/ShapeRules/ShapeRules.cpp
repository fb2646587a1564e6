//===- ShapeRules.cpp - Dims, naming and shared messages ------------------===//
//
// The pieces every rule uses: dim compatibility, how dims and operands are
// named in messages, and the wording of rank and dim errors, which the JSON
// front end's own checks share.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/ShapeRules.h"

namespace kiln::shapes {

bool compatible(const Dim &a, const Dim &b) {
  return a.isUnknown() || b.isUnknown() || a == b;
}

bool compatible(const Shape &a, const Shape &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!compatible(a[i], b[i]))
      return false;
  return true;
}

Shape staticShape(const std::vector<int64_t> &sizes) {
  Shape shape;
  for (int64_t size : sizes)
    shape.push_back(Dim::fixed(size));
  return shape;
}

std::vector<int64_t> sizesOf(const Shape &shape) {
  std::vector<int64_t> sizes;
  for (const Dim &dim : shape)
    sizes.push_back(dim.size());
  return sizes;
}

std::string Naming::role(size_t operand) const {
  return operand < roles.size() ? roles[operand]
                                : "operand " + std::to_string(operand);
}

std::string Naming::subject(size_t operand) const {
  return describe ? describe(operand) : role(operand);
}

std::string Naming::format(const Dim &dim) const {
  if (dim.isUnknown())
    return "?";
  if (dim.isSymbol())
    return dim.symbolId() < static_cast<int64_t>(symbols.size())
               ? symbols[dim.symbolId()]
               : "$" + std::to_string(dim.symbolId());
  return std::to_string(dim.size());
}

std::string Naming::format(const Shape &shape) const {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + format(shape[i]);
  return text + "]";
}

std::string Naming::attrText(const std::string &attr,
                             const std::string &formatted) const {
  return spellAttr ? spellAttr(attr) : formatted;
}

/// "<operand> has shape [..]; expected " + `expected`.
static RuleError shapeError(const Naming &naming, size_t operand,
                            const Shape &shape, const std::string &expected) {
  return {naming.subject(operand) + " has shape " + naming.format(shape) +
              "; expected " + expected,
          static_cast<int>(operand)};
}

RuleError rankError(const Naming &naming, size_t operand, const Shape &shape,
                    int64_t rank, const std::string &layout) {
  return shapeError(naming, operand, shape,
                    std::to_string(rank) + " dims " + layout);
}

RuleError minRankError(const Naming &naming, size_t operand, const Shape &shape,
                       int64_t rank, const std::string &layout) {
  return shapeError(naming, operand, shape,
                    "at least " + std::to_string(rank) + " dims " + layout);
}

RuleError dimError(const Naming &naming, size_t operand, const Shape &shape,
                   int64_t axis, const Dim &expected, const std::string &what) {
  return shapeError(naming, operand, shape,
                    "dim " + std::to_string(axis) + " to be " +
                        naming.format(expected) + " (" + what + ")");
}

RuleError sameShapeError(const Naming &naming, size_t operand,
                         const Shape &shape, size_t other,
                         const Shape &otherShape) {
  return shapeError(naming, operand, shape,
                    naming.format(otherShape) + ", the shape of " +
                        naming.subject(other));
}

RuleError staticError(const Naming &naming, size_t operand, const Shape &shape,
                      int64_t axis, const std::string &why) {
  return shapeError(naming, operand, shape,
                    "dim " + std::to_string(axis) + " to be static " + why);
}

std::optional<RuleError> checkAxis(int64_t axis, size_t rank,
                                   const std::string &attr) {
  if (axis >= 0 && axis < static_cast<int64_t>(rank))
    return std::nullopt;
  return RuleError("axis " + std::to_string(axis) +
                       " is out of range for rank " + std::to_string(rank),
                   -1, attr);
}

} // namespace kiln::shapes
