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
///
/// An unknown dim may also say where it comes from: dim `axis` of operand
/// `operand` of the rule's caller. Rules copy dims, so a result dim that
/// carries an origin is that operand dim's size at run time (the MLIR
/// layer reifies result shapes this way); the origin never changes what a
/// rule accepts.
class Dim {
public:
  static Dim fixed(int64_t size) { return {Kind::Static, size}; }
  static Dim symbol(int64_t id) { return {Kind::Symbol, id}; }
  static Dim unknown() { return {Kind::Unknown, 0}; }
  static Dim unknownFrom(int64_t operand, int64_t axis) {
    return {Kind::Unknown, 1 + operand * kOriginAxes + axis};
  }

  bool isStatic() const { return kind == Kind::Static; }
  bool isSymbol() const { return kind == Kind::Symbol; }
  bool isUnknown() const { return kind == Kind::Unknown; }
  bool isOne() const { return isStatic() && value == 1; }
  /// The size of a static dim.
  int64_t size() const { return value; }
  /// The id of a symbol.
  int64_t symbolId() const { return value; }
  /// Whether this is an unknown dim with an origin, and its operand and axis.
  bool hasOrigin() const { return isUnknown() && value > 0; }
  int64_t originOperand() const { return (value - 1) / kOriginAxes; }
  int64_t originAxis() const { return (value - 1) % kOriginAxes; }

  bool operator==(const Dim &other) const {
    return kind == other.kind && (isUnknown() || value == other.value);
  }
  bool operator!=(const Dim &other) const { return !(*this == other); }

private:
  enum class Kind { Static, Symbol, Unknown };
  /// Axes per operand in an origin's encoding (ranks are far below it).
  static constexpr int64_t kOriginAxes = 1 << 16;
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
  /// How the value of an attr is written in a message (the JSON front end
  /// quotes the node's own text); the rule's formatting when unset.
  std::function<std::string(const std::string &)> spellAttr;

  std::string role(size_t operand) const;
  std::string subject(size_t operand) const;
  /// "seq", "64" or "?".
  std::string format(const Dim &dim) const;
  /// "[batch, seq, 64]".
  std::string format(const Shape &shape) const;
  /// Attr `attr` as spellAttr writes it, else `formatted`.
  std::string attrText(const std::string &attr,
                       const std::string &formatted) const;
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

/// A rule's answer: the result (one shape, or one per result of an op with
/// several) or the error.
template <typename T> class RuleResult {
public:
  RuleResult(T value) : result(std::move(value)) {}
  RuleResult(RuleError error) : failure(std::move(error)) {}

  explicit operator bool() const { return result.has_value(); }
  const T &operator*() const { return *result; }
  const RuleError &error() const { return failure; }

private:
  std::optional<T> result;
  RuleError failure{""};
};

using ShapeResult = RuleResult<Shape>;
using ShapesResult = RuleResult<std::vector<Shape>>;

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
/// "<operand> has shape [..]; expected dim <axis> to be static <why>".
RuleError staticError(const Naming &naming, size_t operand, const Shape &shape,
                      int64_t axis, const std::string &why);
/// "axis <axis> is out of range for rank <rank>", about attr `attr`, unless
/// `axis` is a dim of a `rank`-D operand.
std::optional<RuleError> checkAxis(int64_t axis, size_t rank,
                                   const std::string &attr);

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

/// The soft caps attention takes: the kernels cap scores kept in base 2 as
/// c₂ · tanh(x · (1 / c₂)), c₂ = softcap · log2 e, whose factors must be
/// finite in f32: from the smallest normal f32 (1/c₂ then stays below
/// FLT_MAX) to 1e38.
constexpr double kMinAttentionSoftCap = 1.1754943508222875e-38;
constexpr double kMaxAttentionSoftCap = 1e38;

//===----------------------------------------------------------------------===//
// Data movement (DataMovement.cpp)
//
// Symbolic dims are never split or merged, and an axis that concat, split
// or a static slice cuts must be static.
//===----------------------------------------------------------------------===//

/// reshape: x (0) to `target` (attr "shape"), whose dim `inferred` (the
/// JSON IR's -1) takes the size that keeps the element count. Both sides
/// have the same symbols and their static sizes the same product; where
/// either side has an unknown dim only the target's rank is known.
ShapeResult reshapeShape(const Shape &x, Shape target,
                         std::optional<size_t> inferred, const Naming &naming);

/// transpose: result dim i is dim `perm[i]` of x (0); `perm` (attr "perm")
/// is a permutation of x's axes.
ShapeResult transposeShape(const Shape &x, const std::vector<int64_t> &perm,
                           const Naming &naming);

/// slice: positions [start, end) of `axis` of x (0), in the IR's canonical
/// bounds. On a static axis 0 <= start < end <= size (the JSON front end
/// clamps Python bounds first). On a symbolic or unknown axis the result's
/// size is static: both bounds count from the same end, a missing `end`
/// being the end of the axis.
ShapeResult sliceShape(const Shape &x, int64_t axis, int64_t start,
                       std::optional<int64_t> end, const Naming &naming);

/// concat: inputs x0, x1, ... (operands 0, 1, ...) of one rank, equal but
/// along the static `axis`, which adds up.
ShapeResult concatShape(const std::vector<Shape> &inputs, int64_t axis,
                        const Naming &naming);

/// split: x (0) cut along its static `axis` into parts of `sizes` (attr
/// "sizes"), or into `parts` equal parts without them. One shape per part.
ShapesResult splitShapes(const Shape &x, int64_t axis,
                         const std::optional<std::vector<int64_t>> &sizes,
                         size_t parts, const Naming &naming);

//===----------------------------------------------------------------------===//
// Indexing and ops along one axis (Indexing.cpp)
//===----------------------------------------------------------------------===//

/// gather (NumPy take): x (0), indices (1) of any shape →
/// `x[:axis] + indices + x[axis+1:]`.
ShapeResult gatherShape(const Shape &x, const Shape &indices, int64_t axis,
                        const Naming &naming);

/// take_along_axis: x (0), indices (1) of x's rank; every dim but `axis`
/// broadcasts, `axis` takes the indices' size.
ShapeResult takeAlongAxisShape(const Shape &x, const Shape &indices,
                               int64_t axis, const Naming &naming);

/// argmax: x (0) without `axis`, or with it as 1 under `keepdims`.
ShapeResult argmaxShape(const Shape &x, int64_t axis, bool keepdims,
                        const Naming &naming);

/// top_k: x (0) with `axis` cut to `k` (attr "k", 1 <= k <= its size); the
/// values and the indices have this shape.
ShapeResult topKShape(const Shape &x, int64_t axis, int64_t k,
                      const Naming &naming);

/// cumsum: x (0) along `axis`; with `seq_offsets` (1) of a packed batch,
/// `axis` is 1, the sequence axis T of x `[B, T, ...]`. Returns x's shape.
ShapeResult cumsumShape(const Shape &x, const Shape *seqOffsets, int64_t axis,
                        const Naming &naming);

/// arange: `[n]` for n the size of `axis` of x (0); `seq_offsets` (1) as in
/// cumsum.
ShapeResult arangeShape(const Shape &x, const Shape *seqOffsets, int64_t axis,
                        const Naming &naming);

/// The `seq_offsets` of a packed batch (operand `operand`): `[N + 1]`
/// sequence boundaries.
std::optional<RuleError> checkSeqOffsets(const Shape &seqOffsets,
                                         size_t operand, const Naming &naming);

//===----------------------------------------------------------------------===//
// Scans (Scan.cpp)
//===----------------------------------------------------------------------===//

/// selective_scan: u (0) `[B, T, D]`, delta (1) of u's shape, A (2)
/// `[D, N]`, Bm (3) `[B, T, N]`, Cm (4) of Bm's shape, optional Dskip (5)
/// `[D]`, z (6) of u's shape, delta_bias (7) `[D]` → y `[B, T, D]` and the
/// final state `[B, D, N]`.
ShapesResult selectiveScanShapes(const Shape &u, const Shape &delta,
                                 const Shape &a, const Shape &bm,
                                 const Shape &cm, const Shape *dskip,
                                 const Shape *z, const Shape *deltaBias,
                                 const Naming &naming);

/// linear_recurrence: a (0) `[B, T, D]`, b (1) of a's shape, optional h0
/// (2) `[B, D]` → a's shape.
ShapeResult linearRecurrenceShape(const Shape &a, const Shape &b,
                                  const Shape *h0, const Naming &naming);

//===----------------------------------------------------------------------===//
// Position-wise sequence ops (Sequence.cpp)
//===----------------------------------------------------------------------===//

/// rope: x (0) `[B, T, H, D]` with a D that is not symbolic (the rotation
/// depends on it), optional positions (1) `[B, T]`; `rotaryDim` (attr
/// "rotary_dim", even, at most D) defaults to D, which must then be even.
/// Returns x's shape.
ShapeResult ropeShape(const Shape &x, const Shape *positions,
                      std::optional<int64_t> rotaryDim, const Naming &naming);

/// conv1d (causal, depthwise): x (0) `[B, T, C]`, w (1) `[C, K]` with a
/// static K, optional bias (2) `[C]` → x's shape.
ShapeResult conv1dShape(const Shape &x, const Shape &w, const Shape *bias,
                        const Naming &naming);

//===----------------------------------------------------------------------===//
// Per-sequence state of the generation entries (State.cpp)
//
// Each state is `[S, ...]`, S the sequences of a session (unknown here),
// and holds what a stateful op carries from one call to the next.
//===----------------------------------------------------------------------===//

/// A ring of past values (attention's key and value caches): values (0)
/// `[B, T, ...]` → `[S, ring, ...]`, `ring` the positions kept (unknown:
/// the session's capacity).
ShapeResult ringStateShape(const Shape &values, const Dim &ring,
                           const Naming &naming);

/// linear_attention's running sums: k (0) `[B, S, H, D]`, v (1)
/// `[B, S, H, Dv]` → Σ φ(k) vᵀ `[S, H, D, Dv]` and Σ φ(k) `[S, H, D]`.
ShapesResult linearAttentionStateShapes(const Shape &k, const Shape &v,
                                        const Naming &naming);

/// selective_scan's state: u (0) `[B, T, D]`, A (1) `[D, N]` → `[S, D, N]`.
ShapeResult selectiveScanStateShape(const Shape &u, const Shape &a,
                                    const Naming &naming);

/// linear_recurrence's state: a (0) `[B, T, D]` → `[S, D]`.
ShapeResult linearRecurrenceStateShape(const Shape &a, const Naming &naming);

/// conv1d's past inputs: x (0) `[B, T, C]`, w (1) `[C, K]` with a static
/// K >= 2 → `[S, K - 1, C]`.
ShapeResult conv1dStateShape(const Shape &x, const Shape &w,
                             const Naming &naming);

} // namespace kiln::shapes

#endif // KILN_SHAPERULES_SHAPERULES_H
