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

namespace kiln::graph {
/// Graph_BufferView: the op's result, bufferized, is a view of its input's
/// buffer.
template <typename ConcreteType>
class BufferView : public mlir::OpTrait::TraitBase<ConcreteType, BufferView> {};
} // namespace kiln::graph

#define GET_OP_CLASSES
#include "dialects/Graph/IR/GraphOps.h.inc"

namespace kiln::graph {
/// Whether `op` computes each result element from the elements of its
/// operands at the same (broadcast) index alone.
bool isElementwise(mlir::Operation *op);

/// Whether `op` moves data without computing and the fused elementwise
/// kernel can read through it: a slice of a static axis, a concat, or a
/// transpose that keeps the last axis last (the kernel's vector lanes run
/// along it).
bool isGroupDataMovement(mlir::Operation *op);

/// The ops a graph.fused_elementwise body may hold: elementwise ops and
/// data movement the kernel reads through.
inline bool isGroupMember(mlir::Operation *op) {
  return isElementwise(op) || isGroupDataMovement(op);
}

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
