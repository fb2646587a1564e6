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

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_ATTNMASK_H
