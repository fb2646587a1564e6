//===- PositionMask.h - Attention masks built from positions ----*- C++ -*-===//
//
// A model written with primitives builds its causal, sliding-window or
// block-diagonal mask from positions: arange, reshape, comparisons, where,
// constants. Raising attention recognizes such a mask by what it computes, not
// by how it is written: the mask expression is evaluated at sampled (query,
// key) positions and compared with the mask kinds of attn.attention.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_FUSION_POSITIONMASK_H
#define KILN_PASSES_FUSION_POSITIONMASK_H

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace kiln {

/// An attn.attention mask: its kind, the size of a sliding window or of a
/// block-diagonal mask's blocks, and whether the blocks are causal.
struct PositionMask {
  attn::MaskKind kind = attn::MaskKind::none;
  int64_t window = 0;
  int64_t block = 0;
  bool causalBlocks = false;
  /// The ops computing the mask whose every user is in the mask or the
  /// attention chain: they die with it and belong to its fusion group.
  llvm::SmallVector<mlir::Operation *> ops;
};

/// Classifies `cond`, a bool tensor broadcastable to the scores
/// `[batch, heads, queries, keys]` that is `seenWhere` where the query sees
/// the key, when it depends on the query and key positions alone.
std::optional<PositionMask> classifyVisibility(mlir::Value cond,
                                               bool seenWhere,
                                               mlir::Operation *consumer);

/// A value at most this hides a score: its softmax weight beside any shown
/// score is 0 in f32.
constexpr double kHidingValue = -1e4;

/// Classifies an additive mask: 0 where the key is visible and, times
/// `scale` (the constant scalings applied after it), at most kHidingValue
/// where it is hidden.
std::optional<PositionMask> classifyAdditiveMask(mlir::Value mask,
                                                 mlir::Operation *consumer,
                                                 double scale = 1.0);

/// The value of `value` when it is a scalar computed from constants alone
/// (a constant, or casts, reshapes and arithmetic of constants).
std::optional<double> constantScalarValue(mlir::Value value);

} // namespace kiln

#endif // KILN_PASSES_FUSION_POSITIONMASK_H
