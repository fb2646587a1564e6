//===- AttnMask.h - The keys a query row of attention sees ------*- C++ -*-===//
//
// Every mask of attn.attention, and the sequence of a packed batch, shows a
// query row one contiguous interval of keys. Both lowerings of the op (the
// CPU's blocks of rows, the GPU's row per thread) skip keys by it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_ATTNMASK_H
#define KILN_PASSES_CONVERSION_TOLOOPS_ATTNMASK_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "dialects/Attn/IR/AttnOps.h"

namespace kiln {

/// The interval `[lo, hi)` of the `keys` keys that query `row` of `op` sees
/// (`offsets`: the op's converted seq_offsets, or null). A row outside
/// every packed sequence gets `[0, 0)`.
std::pair<Value, Value> visibleKeys(ImplicitLocOpBuilder &b,
                                    attn::AttentionOp op, Value offsets,
                                    Value row, Value keys);

/// `[lo, hi)` without the keys before the first and after the last that an
/// additive `bias` shows, to whole `width`-key vectors counted from `lo`:
/// the bias hides a key with a value of at most -1e4, whose softmax weight
/// beside any shown key is 0 in f32 (the threshold the fusion passes take
/// for masks built from constants; NaN counts as shown). A row whose every
/// key the bias hides keeps `[lo, hi)`: softmax of equal fills is uniform.
/// `row` holds the batch, head and query indices of the row; the bias is
/// broadcastable to [B, H, T, S] and not broadcast along the keys.
std::pair<Value, Value> narrowToBias(ImplicitLocOpBuilder &b, Value bias,
                                     ValueRange row, Value lo, Value hi,
                                     int64_t width);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_ATTNMASK_H
