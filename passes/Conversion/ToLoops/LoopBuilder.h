//===- LoopBuilder.h - Helpers for emitting loop-nest kernels ---*- C++ -*-===//
//
// The small vocabulary every ToLoops pattern is written in: constants, sizes
// of buffers, buffer allocation, parallel and sequential loop nests,
// reductions carried through scf.for, scalar activations, and loads/stores
// that compute in f32 whatever the storage type (16-bit floats are storage
// only; arithmetic is f32, as DESIGN.md asks).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_LOOPBUILDER_H
#define KILN_PASSES_CONVERSION_TOLOOPS_LOOPBUILDER_H

#include "dialects/Graph/IR/GraphDialect.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace kiln {

using mlir::ImplicitLocOpBuilder;
using mlir::Value;
using mlir::ValueRange;

/// Body of a loop nest: receives the builder placed inside the innermost
/// loop and the induction variables, outermost first.
using LoopBody = llvm::function_ref<void(ImplicitLocOpBuilder &, ValueRange)>;

/// Scalar functions shared by elementwise ops and fused epilogues.
enum class ScalarFn {
  Relu,
  Relu2,
  Gelu,
  GeluTanh,
  Silu,
  QuickGelu,
  Sigmoid,
  Tanh,
  Exp,
  Softplus,
  Neg,
  Rsqrt
};

Value indexConst(ImplicitLocOpBuilder &b, int64_t value);
/// A float constant of `type`, splat when `type` is a vector.
Value floatConst(ImplicitLocOpBuilder &b, mlir::Type type, double value);
Value f32Const(ImplicitLocOpBuilder &b, double value);

/// ⌈size / divisor⌉ for an index `size`: blocks of `divisor` covering it.
Value ceilDiv(ImplicitLocOpBuilder &b, Value size, int64_t divisor);

/// Size of every dimension of `memref` as an index value.
llvm::SmallVector<Value> memrefSizes(ImplicitLocOpBuilder &b, Value memref);

/// Allocates a buffer of `type`; `sizes` holds a value for every dimension,
/// of which the dynamic ones are used.
Value allocBuffer(ImplicitLocOpBuilder &b, mlir::MemRefType type,
                  ValueRange sizes);

/// Allocates an f32 buffer of `sizes`, every dimension dynamic.
Value allocF32Buffer(ImplicitLocOpBuilder &b, ValueRange sizes);

/// The span [chunk·size, min((chunk + 1)·size, total)) of chunk `chunk` of
/// `total` steps cut into chunks of `size`.
std::pair<Value, Value> chunkBounds(ImplicitLocOpBuilder &b, Value chunk,
                                    int64_t size, Value total);

/// Views a contiguous buffer as `[prod(leading dims), last dim]`.
Value collapseToMatrix(ImplicitLocOpBuilder &b, Value memref);

/// Runs `body` over `[0, ubs)` with an scf.parallel loop (inline when `ubs`
/// is empty).
void parallelLoops(ImplicitLocOpBuilder &b, ValueRange ubs, LoopBody body);

/// On an scf.parallel: its iterations go to the threads in guided chunks
/// (kiln-parallel-to-openmp) rather than in one static share each.
inline constexpr llvm::StringLiteral kGuidedScheduleAttr =
    "kiln.guided_schedule";

/// parallelLoops for many heavy iterations (a GEMM's blocks): the threads
/// take them in guided chunks, so one that loses its core to another
/// process does not hold the others at the loop's end. Light loops keep the
/// static schedule, whose dispatch costs less than their work.
void balancedParallelLoops(ImplicitLocOpBuilder &b, ValueRange ubs,
                           LoopBody body);

/// Runs `body` on every item of [0, `items`) across threads that take the
/// items in order from a shared atomic counter: one scf.parallel iteration
/// per item, but each iteration takes items until none are left, so the
/// first iteration a thread runs does its share of the work whatever the
/// thread count, a thread slowed down by another process or given costlier
/// items takes fewer of them, and the other iterations find the counter
/// spent. `setup` runs once per iteration before it takes items: scratch it
/// allocates belongs to the iteration (the parallel body is an allocation
/// scope).
void parallelWorkQueue(
    ImplicitLocOpBuilder &b, Value items,
    llvm::function_ref<void(ImplicitLocOpBuilder &)> setup,
    llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body);

/// Runs `body` over `[0, ubs)` with nested scf.for loops.
void sequentialLoops(ImplicitLocOpBuilder &b, ValueRange ubs, LoopBody body);

/// Runs every dimension of `ubs` but the last in parallel and the last one
/// sequentially inside, so the innermost, contiguous loop can vectorize.
void rowParallelLoops(ImplicitLocOpBuilder &b, ValueRange ubs, LoopBody body);

/// Folds `step(acc, iv)` over `[lb, ub)` with scf.for iter_args; returns the
/// final accumulators.
using ReduceStep = llvm::function_ref<llvm::SmallVector<Value>(
    ImplicitLocOpBuilder &, Value iv, ValueRange acc)>;
llvm::SmallVector<Value> forReduce(ImplicitLocOpBuilder &b, Value lb, Value ub,
                                   ValueRange init, ReduceStep step);
/// forReduce with `unroll` steps per iteration of the main loop, then a
/// loop over the rest.
llvm::SmallVector<Value> forReduceUnrolled(ImplicitLocOpBuilder &b, Value lb,
                                           Value ub, int64_t unroll,
                                           ValueRange init, ReduceStep step);

/// Sum over `[0, size)` of the f32 `term(i)`, reassociable so that LLVM
/// vectorizes it into lanes.
Value sumOver(ImplicitLocOpBuilder &b, Value size,
              llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)> term);

/// Loads an element and converts floats to f32 for computing.
Value loadF32(ImplicitLocOpBuilder &b, Value memref, ValueRange indices);
/// Stores `value` (an f32 when the buffer holds floats), converting it to
/// the buffer's element type.
void storeF32(ImplicitLocOpBuilder &b, Value value, Value memref,
              ValueRange indices);

/// Emits `acc + x * y` for a reduction step, allowing reassociation and
/// contraction so that LLVM vectorizes the reduction and forms FMAs.
Value multiplyAccumulate(ImplicitLocOpBuilder &b, Value acc, Value x, Value y);

/// Emits `1 / sqrt(x)`.
Value reciprocalSqrt(ImplicitLocOpBuilder &b, Value x);

/// Emits `fn(x)` for an f32 scalar or vector (or an integer, for Neg).
Value emitScalarFn(ImplicitLocOpBuilder &b, ScalarFn fn, Value x);

/// The scalar function of a graph activation.
ScalarFn activationFn(Activation activation);

/// Stack buffer of f32 with the given sizes (static where they are
/// constants). Placed in a parallel body, which is an automatic allocation
/// scope, it is per-iteration scratch.
Value scratch(ImplicitLocOpBuilder &b, ValueRange sizes);

/// Zero-filled scratch, for accumulators.
Value zeroScratch(ImplicitLocOpBuilder &b, ValueRange sizes);

/// `num / den`, or 0 when `den` is 0 (an empty or all-zero weight sum).
Value divideOrZero(ImplicitLocOpBuilder &b, Value num, Value den);

/// Indices into an operand of shape `operandShape` broadcast (NumPy style,
/// right-aligned) against result induction variables `ivs`.
llvm::SmallVector<Value> broadcastIndices(ImplicitLocOpBuilder &b,
                                          llvm::ArrayRef<int64_t> operandShape,
                                          ValueRange ivs);

/// Size of each dimension of the (first) result of the Kiln op `op` being
/// converted, reified from its shape rule (ReifyRankedShapedTypeOpInterface):
/// constants, and tensor.dim of its operands, which the conversion turns
/// into memref.dim of their buffers. Fails for an op that cannot reify.
mlir::FailureOr<llvm::SmallVector<Value>> resultSizes(ImplicitLocOpBuilder &b,
                                                      mlir::Operation *op);

/// Clamps an integer index value (any integer type) into `[0, bound)` and
/// returns it as `index`.
Value clampIndex(ImplicitLocOpBuilder &b, Value id, Value bound);

/// Runs `body(begin, end)` once per sequence of a packed batch, the tokens
/// [offsets[i], offsets[i+1]) of an axis of `steps` tokens (clamped into
/// it), or once over [0, steps) when `offsets` is null.
using SequenceBody =
    llvm::function_ref<void(ImplicitLocOpBuilder &, Value begin, Value end)>;
void forEachSequence(ImplicitLocOpBuilder &b, Value offsets, Value steps,
                     SequenceBody body);

/// Stores zeros into every element of `buffer` (float or integer).
void fillZero(ImplicitLocOpBuilder &b, Value buffer);

/// min/max of index values.
Value indexMin(ImplicitLocOpBuilder &b, Value lhs, Value rhs);
Value indexMax(ImplicitLocOpBuilder &b, Value lhs, Value rhs);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_LOOPBUILDER_H
