//===- VectorBuilder.h - Helpers for explicit vector kernels ----*- C++ -*-===//
//
// The vector vocabulary of the register-tiled kernels: f32 vectors of the
// target's width loaded from and stored to buffers of any float storage type
// (16-bit floats are widened on load and rounded on store), masked forms for
// the remainders that no tile size divides, broadcasts, FMAs and horizontal
// reductions. Everything is vector-dialect code, so one kernel serves every
// x86-64: LLVM legalizes a vector wider than the CPU's registers.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_VECTORBUILDER_H
#define KILN_PASSES_CONVERSION_TOLOOPS_VECTORBUILDER_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace kiln {

/// `vector<width x f32>`.
mlir::VectorType f32Vector(ImplicitLocOpBuilder &b, int64_t width);

/// Loads `width` consecutive elements along the last dimension of `memref`
/// starting at `indices`, as f32.
Value loadVector(ImplicitLocOpBuilder &b, Value memref, ValueRange indices,
                 int64_t width);

/// Stores the f32 vector `value` at `indices`, rounding to the buffer's
/// element type.
void storeVector(ImplicitLocOpBuilder &b, Value value, Value memref,
                 ValueRange indices);

/// The mask of the first `count` lanes of a `width`-lane vector (all of them
/// when `count >= width`).
Value laneMask(ImplicitLocOpBuilder &b, Value count, int64_t width);

/// Emits `whole` where `remaining` elements fill a `width`-lane vector and
/// `partial` (the masked form) where they do not, as the two branches of an
/// scf.if: a whole vector needs no mask, which AVX2 makes costly.
void ifWholeVector(ImplicitLocOpBuilder &b, Value remaining, int64_t width,
                   llvm::function_ref<void(ImplicitLocOpBuilder &)> whole,
                   llvm::function_ref<void(ImplicitLocOpBuilder &)> partial);

/// Loads the lanes of `mask` (others read as `padding`), as f32.
Value maskedLoadVector(ImplicitLocOpBuilder &b, Value memref,
                       ValueRange indices, Value mask, int64_t width,
                       double padding = 0.0);

/// Stores the lanes of `mask`, rounding to the buffer's element type.
void maskedStoreVector(ImplicitLocOpBuilder &b, Value value, Value memref,
                       ValueRange indices, Value mask);

/// `scalar` (converted to f32 when it is a narrower float) in every lane.
Value splat(ImplicitLocOpBuilder &b, Value scalar, int64_t width);

/// `a * x + acc`, fused into one FMA where the target has it.
Value fma(ImplicitLocOpBuilder &b, Value a, Value x, Value acc);

/// Sum and maximum of the lanes of an f32 vector (the sum reassociates; the
/// maximum assumes no NaN lane, whose NaN the caller propagates otherwise).
Value reduceAdd(ImplicitLocOpBuilder &b, Value vector);
Value reduceMax(ImplicitLocOpBuilder &b, Value vector);

/// Lane-wise maximum that ignores NaN semantics, so x86 gets one `vmaxps`
/// (arith.maximumf lowers to a NaN-propagating sequence).
Value fastMax(ImplicitLocOpBuilder &b, Value lhs, Value rhs);

/// The `width`-lane vectors covering a static number of elements along the
/// last dimension of a buffer: their offsets, and the mask of the last one
/// when `width` does not divide the count (a constant, so the other vectors
/// need none).
struct StaticChunks {
  StaticChunks(ImplicitLocOpBuilder &b, int64_t count, int64_t width);

  size_t size() const { return offsets.size(); }
  /// The mask of chunk `i`, null when it is whole.
  Value mask(size_t i) const;
  /// Chunk `i` of the row at `indices` (the chunk's offset is appended), as
  /// f32; lanes past the count read 0.
  Value load(ImplicitLocOpBuilder &b, Value memref,
             llvm::SmallVector<Value> indices, size_t i) const;
  /// Stores chunk `i` of the row at `indices`, lanes past the count kept.
  void store(ImplicitLocOpBuilder &b, Value value, Value memref,
             llvm::SmallVector<Value> indices, size_t i) const;

  llvm::SmallVector<Value> offsets;
  Value lastMask;
  int64_t width;
};

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_VECTORBUILDER_H
