//===- ThreadBlock.h - The GPU's thread-block form, as loops ------*- C++
//-*-===//
//
// The pieces of the kernels written as thread blocks (docs/compiler.md,
// "GPU (NVPTX)", Mapping): a top-level scf.parallel whose iteration is one
// block, its workgroup buffers, and phases, nested scf.parallel loops over
// the block's threads that complete one before the next starts
// (kiln-gpu-map-parallel-loops puts a barrier between them; the CPU's
// --gpu-emulation runs them in order).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_THREADBLOCK_H
#define KILN_PASSES_CONVERSION_TOLOOPS_THREADBLOCK_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace kiln {

/// Threads per block of the thread-block kernels.
constexpr int64_t kThreadBlockSize = 128;

/// The type of an f32 buffer of `shape` in GPU memory `space`.
mlir::MemRefType f32MemoryType(llvm::ArrayRef<int64_t> shape,
                               mlir::MLIRContext *context,
                               mlir::gpu::AddressSpace space);

/// Runs `body(ivs)` over [0, bounds) as a loop of thread blocks, one block
/// per iteration. Where every bound is statically 1, the last bound becomes
/// 2, so that the loop survives canonicalization: the body must skip
/// iterations past the real bounds.
void blockLoops(ImplicitLocOpBuilder &b, llvm::SmallVector<Value> bounds,
                LoopBody body);

/// `buffer`[thread], the thread's rank-reduced slice of a per-thread
/// buffer [threads, ...] (private memory).
Value threadSlice(ImplicitLocOpBuilder &b, Value buffer, Value thread);

/// Runs `body(thread)` as one phase: an scf.parallel over the block's
/// threads.
void threadPhase(ImplicitLocOpBuilder &b,
                 llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_THREADBLOCK_H
