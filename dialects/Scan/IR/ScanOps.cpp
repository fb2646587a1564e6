//===- ScanOps.cpp - Kiln scan operations ---------------------------------===//
//
// Verifiers of the scan dialect. Every message is covered by
// test/dialects/Scan/invalid.mlir.
//
//===----------------------------------------------------------------------===//

#include "dialects/Scan/IR/ScanOps.h"
#include "dialects/Graph/IR/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::scan;

/// The rule of a selective scan and its step form, whose first five
/// operands are u, delta, A, B and C.
template <typename Op>
static shapes::ShapesResult selectiveScanShapes(Op op) {
  std::optional<shapes::Shape> d, z, deltaBias;
  auto operand = [&](unsigned i) {
    return ruleShape(tensorType(op->getOperand(i)).getShape());
  };
  return shapes::selectiveScanShapes(
      operand(0), operand(1), operand(2), operand(3), operand(4),
      optionalRuleShape(op.getD(), d), optionalRuleShape(op.getZ(), z),
      optionalRuleShape(op.getDeltaBias(), deltaBias),
      shapes::Naming{{"u", "delta", "A", "B", "C", "D", "z", "delta_bias"}});
}

LogicalResult SelectiveScanOp::verify() {
  if (failed(verifyUniformElementType(*this, getSeqOffsets())) ||
      failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  if (getSeqOffsets() && getFinalState())
    return emitOpError("has no final state with seq_offsets (one state per "
                       "batch row cannot hold one per sequence)");
  return verifyShapeRules(*this, selectiveScanShapes(*this));
}

LogicalResult LinearRecurrenceOp::verify() {
  if (failed(verifyUniformElementType(*this, getSeqOffsets())) ||
      failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  return verifyInferredType(*this);
}

/// The rule of a linear recurrence and its step form.
static shapes::ShapeResult linearRecurrenceShape(Value a, Value b, Value h0) {
  std::optional<shapes::Shape> init;
  return shapes::linearRecurrenceShape(
      ruleShape(tensorType(a).getShape()), ruleShape(tensorType(b).getShape()),
      optionalRuleShape(h0, init), shapes::Naming{{"a", "b", "h0"}});
}

LogicalResult LinearRecurrenceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferRuleType(
      location, getOperationName(),
      linearRecurrenceShape(adaptor.getA(), adaptor.getB(), adaptor.getH0()),
      tensorType(adaptor.getA()).getElementType(), types);
}

bool LinearRecurrenceOp::isCompatibleReturnTypes(TypeRange inferred,
                                                 TypeRange actual) {
  return compatibleTensorTypes(inferred, actual);
}

LogicalResult SelectiveScanStepOp::verify() {
  if (failed(verifyShapeRules(*this, selectiveScanShapes(*this))))
    return failure();
  ArrayRef<int64_t> u = getU().getType().getShape();
  return verifyGenerationState(
      *this, getState(),
      shapes::selectiveScanStateShape(ruleShape(u),
                                      ruleShape(getA().getType().getShape()),
                                      shapes::Naming{{"u", "A"}}),
      getSlots(), Value(), u[0]);
}

LogicalResult LinearRecurrenceStepOp::verify() {
  if (failed(verifyShapeRule(*this,
                             linearRecurrenceShape(getA(), getB(), Value()))))
    return failure();
  ArrayRef<int64_t> a = getA().getType().getShape();
  return verifyGenerationState(
      *this, getState(),
      shapes::linearRecurrenceStateShape(ruleShape(a), shapes::Naming{{"a"}}),
      getSlots(), Value(), a[0]);
}

#define GET_OP_CLASSES
#include "dialects/Scan/IR/ScanOps.cpp.inc"
