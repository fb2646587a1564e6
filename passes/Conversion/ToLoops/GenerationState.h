//===- GenerationState.h - State rows of the generation ops -----*- C++ -*-===//
//
// Shared by the lowerings of the stateful generation ops (GenerationToLoops,
// DecodeAttentionToLoops, ScanStepToLoops): row `b` of a batch works on
// state row `slots[b]`, which the runtime guarantees distinct and in range;
// the kernels still clamp it, so that a bad value can never address outside
// the state.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_GENERATIONSTATE_H
#define KILN_PASSES_CONVERSION_TOLOOPS_GENERATIONSTATE_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace kiln {

/// The state row of batch row `row`: slots[row] clamped into `state`.
inline Value stateRow(ImplicitLocOpBuilder &b, Value slots, Value row,
                      Value state) {
  Value slot = b.create<mlir::memref::LoadOp>(slots, row);
  return clampIndex(b, slot, b.create<mlir::memref::DimOp>(state, 0));
}

/// The position of batch row `row`'s first token, as an index.
inline Value firstPosition(ImplicitLocOpBuilder &b, Value positions,
                           Value row) {
  Value position = b.create<mlir::memref::LoadOp>(positions, row);
  return b.create<mlir::arith::IndexCastOp>(b.getIndexType(), position);
}

/// `lhs mod rhs` for non-negative indices: a ring entry.
inline Value ringEntry(ImplicitLocOpBuilder &b, Value position, Value ring) {
  return b.create<mlir::arith::RemUIOp>(position, ring);
}

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_GENERATIONSTATE_H
