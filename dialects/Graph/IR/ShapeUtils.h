//===- ShapeUtils.h - Shape checks shared by Kiln verifiers -----*- C++ -*-===//
//
// Small helpers for verifiers that compare shapes in which any dimension may
// be dynamic: a dynamic dimension is compatible with everything, since the
// runtime binds it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_GRAPH_IR_SHAPEUTILS_H
#define KILN_DIALECTS_GRAPH_IR_SHAPEUTILS_H

#include "lib/ShapeRules/ShapeRules.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include <string>

namespace kiln {

/// True when the two sizes may be equal at run time.
inline bool dimsCompatible(int64_t a, int64_t b) {
  return mlir::ShapedType::isDynamic(a) || mlir::ShapedType::isDynamic(b) ||
         a == b;
}

/// The shape rules' view of an MLIR shape: a dynamic dimension is unknown.
shapes::Shape ruleShape(llvm::ArrayRef<int64_t> shape);

/// How an op's shape rule sees its operands. Type inference and verifiers
/// see a dynamic dim as unknown; shape reification builds it on the op's
/// operands, and then a dynamic dim also names its operand and axis
/// (shapes::Dim::unknownFrom), so the rule's result says which operand dim
/// each dynamic result dim is. Each op applies its rule in one function,
/// `shapeRule(Adaptor, const OperandShapes &)`, used by both.
class OperandShapes {
public:
  /// Dynamic dims unknown, as type inference and the verifiers see them.
  OperandShapes() = default;
  /// Dynamic dims of `operands` with their origins, for reification.
  explicit OperandShapes(mlir::ValueRange operands) : operands(operands) {}
  /// As above, and the shapes of values the op's rule sees that are not its
  /// operands: the values inside a graph.fused_elementwise body, whose ops'
  /// rules apply to the shapes their group's rule derived.
  OperandShapes(mlir::ValueRange operands,
                const llvm::DenseMap<mlir::Value, shapes::Shape> &derived)
      : operands(operands), derived(&derived) {}

  /// The shape of tensor `value`, an operand of the op.
  shapes::Shape operator()(mlir::Value value) const;
  /// The shape of an optional operand: nullptr when absent; `storage` keeps
  /// the shape.
  const shapes::Shape *optional(mlir::Value value,
                                std::optional<shapes::Shape> &storage) const;

private:
  mlir::ValueRange operands;
  const llvm::DenseMap<mlir::Value, shapes::Shape> *derived = nullptr;
};

/// The result shapes of `op` from its rule's result (an op's
/// ReifyRankedShapedTypeOpInterface): each dim static in the result type or
/// in the rule, or the operand dim whose origin the rule copied into it.
/// Fails when a dynamic result dim has no origin. A single shape is the
/// shape of every result.
mlir::LogicalResult reifyRuleShapes(mlir::Operation *op,
                                    mlir::OpBuilder &builder,
                                    const shapes::ShapesResult &rule,
                                    mlir::ReifiedRankedShapedTypeDims &dims);
mlir::LogicalResult reifyRuleShapes(mlir::Operation *op,
                                    mlir::OpBuilder &builder,
                                    const shapes::ShapeResult &rule,
                                    mlir::ReifiedRankedShapedTypeDims &dims);

/// reifyResultShapes of an op that defines `shapeRule`.
template <typename Op>
mlir::LogicalResult reifyFromRule(Op op, mlir::OpBuilder &builder,
                                  mlir::ReifiedRankedShapedTypeDims &dims) {
  return reifyRuleShapes(
      op, builder,
      Op::shapeRule(typename Op::Adaptor(op), OperandShapes(op->getOperands())),
      dims);
}
/// An MLIR shape from a rule's result: unknown (or symbolic) is dynamic.
llvm::SmallVector<int64_t> mlirShape(const shapes::Shape &shape);

/// Emits a failed rule's message as an op error, or checks the result of
/// single-result `op` against the rule's shape (for an op whose result type
/// holds more than its operands say, see verifyInferredType otherwise).
mlir::LogicalResult verifyShapeRule(mlir::Operation *op,
                                    const shapes::ShapeResult &rule);

/// The result types an op infers from a rule (InferTypeOpInterface): a
/// tensor of the rule's shape and `element`, or the rule's error reported at
/// `location` as the verifier of `opName` would report it.
mlir::LogicalResult inferRuleType(std::optional<mlir::Location> location,
                                  llvm::StringRef opName,
                                  const shapes::ShapeResult &rule,
                                  mlir::Type element,
                                  llvm::SmallVectorImpl<mlir::Type> &types);
/// True when each inferred type and the declared one are tensors of one
/// element type whose shapes may be equal at run time: a result may be more
/// or less static than the rule infers.
bool compatibleTensorTypes(mlir::TypeRange inferred, mlir::TypeRange actual);

/// The verifier of a single-result op that infers its result type: the
/// rule's error, or the declared type against the inferred one, each as one
/// diagnostic. It runs before InferTypeOpInterface's own check, which then
/// passes (that check adds "failed to infer returned types" to every error).
template <typename Op>
mlir::LogicalResult verifyInferredType(Op op) {
  llvm::SmallVector<mlir::Type, 1> inferred;
  if (failed(Op::inferReturnTypes(op->getContext(), op->getLoc(),
                                  op->getOperands(),
                                  op->getRawDictionaryAttrs(),
                                  op->getPropertiesStorage(), op->getRegions(),
                                  inferred)))
    return mlir::failure();
  if (!Op::isCompatibleReturnTypes(inferred, op->getResultTypes()))
    return op.emitOpError("result type ")
           << op->getResultTypes() << " does not match the inferred type "
           << inferred;
  return mlir::success();
}

/// True when every dimension pair is compatible and the ranks are equal.
bool shapesCompatible(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// Formats a shape as `[?, ?, 64]` for diagnostics.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Checks that all operands and results of `op` share one element type,
/// except the integer `seqOffsets` of a packed batch when given.
mlir::LogicalResult verifyUniformElementType(mlir::Operation *op,
                                             mlir::Value seqOffsets = {});

/// Checks the optional `seq_offsets` of a packed batch: `[N + 1]` sequence
/// boundaries along the sequence axis.
mlir::LogicalResult verifySeqOffsets(mlir::Operation *op,
                                     mlir::Value seqOffsets);

/// Checks each result of `op` against the shape its rule gives it.
mlir::LogicalResult verifyShapeRules(mlir::Operation *op,
                                     const shapes::ShapesResult &rule);

/// Checks the per-sequence state of a generation op (docs/compiler.md,
/// "Generation"): `state` is compatible with the shape of its rule
/// (lib/ShapeRules/State.cpp), and `slots` and `positions` (when given) are
/// `[batch]`.
mlir::LogicalResult verifyGenerationState(mlir::Operation *op,
                                          mlir::Value state,
                                          const shapes::ShapeResult &expected,
                                          mlir::Value slots,
                                          mlir::Value positions,
                                          int64_t batch);

/// Returns `value`'s type as a RankedTensorType (Kiln ops only take ranked
/// tensors, which ODS checks before the verifiers run).
inline mlir::RankedTensorType tensorType(mlir::Value value) {
  return llvm::cast<mlir::RankedTensorType>(value.getType());
}

} // namespace kiln

#endif // KILN_DIALECTS_GRAPH_IR_SHAPEUTILS_H
