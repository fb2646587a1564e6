//===- ResultBuffers.h - Where each Kiln op writes its results --*- C++ -*-===//
//
// The contract between kiln-bufferize-ops, which chooses the buffer of
// every result, and the lowering of kiln-convert-to-loops, which writes it.
// A result with a buffer has exactly one use: the
// bufferization.materialize_in_destination that names its buffer; its
// readers read that buffer through bufferization.to_tensor.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_RESULTBUFFERS_H
#define KILN_PASSES_CONVERSION_TOLOOPS_RESULTBUFFERS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

namespace kiln {

/// The buffer type of a ranked tensor: an identity-layout memref of the
/// same shape and element type.
mlir::MemRefType bufferType(mlir::RankedTensorType tensor);

/// Whether `func` still takes or returns tensors: kiln-bufferize-boundaries
/// has not run, so neither step after it may.
bool hasTensorBoundary(mlir::func::FuncOp func);

/// Whether kiln-bufferize-ops gives `op` buffers for its results: an op of
/// the graph, attn, scan or ffn dialects at the top level of a function
/// body (ops inside a fused op's body are lowered with it), unless its
/// result is a view of its input's buffer (graph::BufferView).
bool writesResultBuffers(mlir::Operation *op);

/// The buffer kiln-bufferize-ops chose for result `index` of `op`; null
/// when it chose none. The lowering writes it instead of allocating one.
mlir::Value resultBuffer(mlir::Operation *op, unsigned index = 0);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_RESULTBUFFERS_H
