//===- GraphOps.h - Kiln graph dialect operations ---------------*- C++ -*-===//
//
// Declares the graph dialect's operations.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_GRAPH_IR_GRAPHOPS_H
#define KILN_DIALECTS_GRAPH_IR_GRAPHOPS_H

#include "dialects/Graph/IR/GraphDialect.h"
#include "dialects/Graph/IR/ShapeUtils.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Graph/IR/GraphOps.h.inc"

namespace kiln::graph {
/// Whether `op` computes each result element from the elements of its
/// operands at the same (broadcast) index alone: the ops a
/// graph.fused_elementwise body may hold.
bool isElementwise(mlir::Operation *op);

/// Verifies the fused norm prologue of a GEMM op (linear, ffn.mlp,
/// ffn.glu) over its `input`: `norm`, `normWeight` and `eps` come together,
/// `normBias` only with layer_norm, both vectors of the input's features
/// and of its element type, and eps positive.
mlir::LogicalResult verifyNormPrologue(mlir::Operation *op, mlir::Value input,
                                       mlir::Value normWeight,
                                       mlir::Value normBias,
                                       std::optional<NormKind> norm,
                                       std::optional<llvm::APFloat> eps);
} // namespace kiln::graph

#endif // KILN_DIALECTS_GRAPH_IR_GRAPHOPS_H
