//===- ShapeRules.h - One shape rule per op, for every layer ----*- C++ -*-===//
//
// The shape rules of Kiln's ops, written once and called by the JSON front
// end (symbolic dims, errors at JSON pointers), the dialect verifiers
// (dynamic dims, emitOpError) and the reference evaluator (static sizes).
// A rule takes its operands' shapes in a fixed order and returns the result
// shape, or an error that names the operand or attr it concerns so that
// each caller can locate it. No MLIR or LLVM dependency: the evaluator and
// kiln-run link this without the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SHAPERULES_SHAPERULES_H
#define KILN_SHAPERULES_SHAPERULES_H

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiln::shapes {

/// One dimension: a static size, a symbol bound at run time (a JSON model's
/// `dims`, by id), or unknown (MLIR's `?`). A symbol equals only itself; an
/// unknown dim may be anything.
class Dim {
public:
  static Dim fixed(int64_t size) { return {Kind::Static, size}; }
  static Dim symbol(int64_t id) { return {Kind::Symbol, id}; }
  static Dim unknown() { return {Kind::Unknown, 0}; }

  bool isStatic() const { return kind == Kind::Static; }
  bool isSymbol() const { return kind == Kind::Symbol; }
  bool isUnknown() const { return kind == Kind::Unknown; }
  bool isOne() const { return isStatic() && value == 1; }
  /// The size of a static dim.
  int64_t size() const { return value; }
  /// The id of a symbol.
  int64_t symbolId() const { return value; }

  bool operator==(const Dim &other) const {
    return kind == other.kind && (isUnknown() || value == other.value);
  }
  bool operator!=(const Dim &other) const { return !(*this == other); }

private:
  enum class Kind { Static, Symbol, Unknown };
  Dim(Kind kind, int64_t value) : kind(kind), value(value) {}
  Kind kind;
  int64_t value;
};

using Shape = std::vector<Dim>;

/// True when the two dims may be equal at run time: either is unknown, or
/// they are the same size or the same symbol.
bool compatible(const Dim &a, const Dim &b);
/// Equal ranks and every dim pair compatible.
bool compatible(const Shape &a, const Shape &b);

/// A shape of static sizes (the reference evaluator's tensors).
Shape staticShape(const std::vector<int64_t> &sizes);
/// The sizes of a static shape.
std::vector<int64_t> sizesOf(const Shape &shape);

/// How a caller names the things a message mentions. Operands are numbered
/// in the rule's order (documented on each rule).
struct Naming {
  Naming(std::vector<std::string> roles = {}) : roles(std::move(roles)) {}

  /// Short names of the operands, used inside a phrase ("D of x").
  std::vector<std::string> roles;
  /// The subject of a message about operand i ("input w ('l0.w')" in the
  /// JSON front end); the role when unset.
  std::function<std::string(size_t)> describe;
  /// Names of symbolic dims by id.
  std::vector<std::string> symbols;

  std::string role(size_t operand) const;
  std::string subject(size_t operand) const;
  /// "seq", "64" or "?".
  std::string format(const Dim &dim) const;
  /// "[batch, seq, 64]".
  std::string format(const Shape &shape) const;
};

/// Why a rule failed: a message that reads on its own, and the operand
/// (or attr) it is about, for the caller to locate it.
struct RuleError {
  RuleError(std::string message, int operand = -1, std::string attr = {})
      : message(std::move(message)), operand(operand), attr(std::move(attr)) {}

  std::string message;
  int operand = -1; ///< Operand position in the rule's order, or -1.
  std::string attr; ///< Attribute name, or empty.
};

/// A rule's answer: the result shape or the error.
class ShapeResult {
public:
  ShapeResult(Shape shape) : result(std::move(shape)) {}
  ShapeResult(RuleError error) : failure(std::move(error)) {}

  explicit operator bool() const { return result.has_value(); }
  const Shape &operator*() const { return *result; }
  const RuleError &error() const { return failure; }

private:
  std::optional<Shape> result;
  RuleError failure{""};
};

//===----------------------------------------------------------------------===//
// Messages shared by the rules and by the callers' own checks
//===----------------------------------------------------------------------===//

/// "<operand> has shape [..]; expected <rank> dims <layout>".
RuleError rankError(const Naming &naming, size_t operand, const Shape &shape,
                    int64_t rank, const std::string &layout);
/// "<operand> has shape [..]; expected at least <rank> dims <layout>".
RuleError minRankError(const Naming &naming, size_t operand, const Shape &shape,
                       int64_t rank, const std::string &layout);
/// "<operand> has shape [..]; expected dim <axis> to be <expected> (<what>)".
RuleError dimError(const Naming &naming, size_t operand, const Shape &shape,
                   int64_t axis, const Dim &expected, const std::string &what);
/// "<operand> has shape [..]; expected [..], the shape of <other>".
RuleError sameShapeError(const Naming &naming, size_t operand,
                         const Shape &shape, size_t other,
                         const Shape &otherShape);

//===----------------------------------------------------------------------===//
// Broadcasting (Broadcast.cpp)
//===----------------------------------------------------------------------===//

/// NumPy broadcasting of two shapes, right-aligned: a static 1 takes the
/// other dim, an unknown dim takes a known one, anything else must be
/// equal. The error names no operand.
ShapeResult broadcastShapes(const Shape &a, const Shape &b,
                            const Naming &naming);

/// Elementwise binary ops and comparisons: a (0), b (1) broadcast; an error
/// concerns b.
ShapeResult elementwiseShape(const Shape &a, const Shape &b,
                             const Naming &naming);

/// where: cond (0), a (1), b (2); a and b broadcast (an error concerns b),
/// then cond with both (an error concerns cond).
ShapeResult whereShape(const Shape &cond, const Shape &a, const Shape &b,
                       const Naming &naming);

/// Operand `operand` of shape `shape` broadcasts to `target` without
/// growing it (an attention bias onto its scores); `targetName` is the
/// target's layout ("[B, H, T, S]"). Returns the target.
ShapeResult broadcastToShape(const Shape &shape, const Shape &target,
                             size_t operand, const std::string &targetName,
                             const Naming &naming);

/// take_along_axis: x (0), indices (1) of x's rank; every dim but `axis`
/// (in range) broadcasts, `axis` takes the indices' size.
ShapeResult takeAlongAxisShape(const Shape &x, const Shape &indices,
                               int64_t axis, const Naming &naming);

//===----------------------------------------------------------------------===//
// Ops on features (Dense.cpp)
//===----------------------------------------------------------------------===//

/// matmul: a (0) `[..., M, K]`, b (1) `[..., K, N]` → `[batch..., M, N]`,
/// the batch dims broadcast.
ShapeResult matmulShape(const Shape &a, const Shape &b, const Naming &naming);

/// linear: x (0) `[..., in]`, w (1) `[out, in]`, optional bias (2) `[out]`
/// → `[..., out]`.
ShapeResult linearShape(const Shape &x, const Shape &w, const Shape *bias,
                        const Naming &naming);

/// mlp: x (0), w_in (1) `[hidden, in]`, optional b_in (2), w_out (3)
/// `[out, hidden]`, optional b_out (4) → `[..., out]`.
ShapeResult mlpShape(const Shape &x, const Shape &wIn, const Shape *bIn,
                     const Shape &wOut, const Shape *bOut,
                     const Naming &naming);

/// glu: x (0), w_gate (1) `[hidden, in]`, w_up (2) of w_gate's shape,
/// w_down (3) `[out, hidden]` → `[..., out]`.
ShapeResult gluShape(const Shape &x, const Shape &wGate, const Shape &wUp,
                     const Shape &wDown, const Naming &naming);

/// layer_norm, rms_norm: x (0) `[..., D]`, weight (1) `[D]`, optional
/// bias (2) `[D]` → x's shape.
ShapeResult normShape(const Shape &x, const Shape &weight, const Shape *bias,
                      const Naming &naming);

/// embedding: ids (0) of any shape, table (1) `[V, D]` → `[ids..., D]`.
ShapeResult embeddingShape(const Shape &ids, const Shape &table,
                           const Naming &naming);

//===----------------------------------------------------------------------===//
// Ops along axes (Reduction.cpp)
//===----------------------------------------------------------------------===//

/// softmax: x (0) `[..., D]` along `axis` (attr "axis") → x's shape.
ShapeResult softmaxShape(const Shape &x, int64_t axis, const Naming &naming);

/// reduce_sum, reduce_mean, reduce_max: x (0) of rank ≥ 1 over unique
/// `axes` (attr "axes", any order); reduced dims are dropped, or kept as 1
/// with `keepdims`.
ShapeResult reduceShape(const Shape &x, const std::vector<int64_t> &axes,
                        bool keepdims, const Naming &naming);

//===----------------------------------------------------------------------===//
// Attention (Attention.cpp)
//===----------------------------------------------------------------------===//

/// attention, linear_attention: q (0) `[B, T, H, D]`, k (1) `[B, S, Hkv, D]`,
/// v (2) `[B, S, Hkv, Dv]` → `[B, T, H, Dv]`. With `groupedHeads` (GQA) H
/// is a multiple of Hkv, else equal to it.
ShapeResult attentionShape(const Shape &q, const Shape &k, const Shape &v,
                           bool groupedHeads, const Naming &naming);

} // namespace kiln::shapes

#endif // KILN_SHAPERULES_SHAPERULES_H
