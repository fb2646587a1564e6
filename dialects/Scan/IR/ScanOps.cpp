//===- ScanOps.cpp - Kiln scan operations ---------------------------------===//
//
// Verifiers of the scan dialect and the result types its ops infer from
// lib/ShapeRules. Every message is covered by
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

/// The rule of a selective scan and of its step form (on the adaptor of
/// either); their B and C are named differently.
template <typename Adaptor>
static shapes::ShapesResult selectiveScanShapes(Adaptor op, Value b, Value c,
                                                const OperandShapes &shapes) {
  std::optional<shapes::Shape> d, z, deltaBias;
  return shapes::selectiveScanShapes(
      shapes(op.getU()), shapes(op.getDelta()), shapes(op.getA()), shapes(b),
      shapes(c), shapes.optional(op.getD(), d), shapes.optional(op.getZ(), z),
      shapes.optional(op.getDeltaBias(), deltaBias),
      shapes::Naming{{"u", "delta", "A", "B", "C", "D", "z", "delta_bias"}});
}

shapes::ShapesResult SelectiveScanOp::shapeRule(Adaptor adaptor,
                                                const OperandShapes &shapes) {
  return selectiveScanShapes(adaptor, adaptor.getB(), adaptor.getC(), shapes);
}

LogicalResult SelectiveScanOp::verify() {
  if (failed(verifyUniformElementType(*this, getSeqOffsets())) ||
      failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  if (getSeqOffsets() && getFinalState())
    return emitOpError("has no final state with seq_offsets (one state per "
                       "batch row cannot hold one per sequence)");
  return verifyShapeRules(*this, shapeRule(Adaptor(*this)));
}

LogicalResult LinearRecurrenceOp::verify() {
  if (failed(verifyUniformElementType(*this, getSeqOffsets())) ||
      failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  return verifyInferredType(*this);
}

/// The rule of a linear recurrence and its step form.
static shapes::ShapeResult
linearRecurrenceShape(Value a, Value b, Value h0,
                      const OperandShapes &shapes = {}) {
  std::optional<shapes::Shape> init;
  return shapes::linearRecurrenceShape(shapes(a), shapes(b),
                                       shapes.optional(h0, init),
                                       shapes::Naming{{"a", "b", "h0"}});
}

LogicalResult LinearRecurrenceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getA()).getElementType(), types);
}

shapes::ShapeResult LinearRecurrenceOp::shapeRule(Adaptor adaptor,
                                                  const OperandShapes &shapes) {
  return linearRecurrenceShape(adaptor.getA(), adaptor.getB(), adaptor.getH0(),
                               shapes);
}

LogicalResult SelectiveScanStepOp::verify() {
  if (failed(verifyInferredType(*this)))
    return failure();
  ArrayRef<int64_t> u = getU().getType().getShape();
  return verifyGenerationState(
      *this, getState(),
      shapes::selectiveScanStateShape(ruleShape(u),
                                      ruleShape(getA().getType().getShape()),
                                      shapes::Naming{{"u", "A"}}),
      getSlots(), Value(), u[0]);
}

LogicalResult SelectiveScanStepOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getU()).getElementType(), types);
}

shapes::ShapeResult
SelectiveScanStepOp::shapeRule(Adaptor adaptor, const OperandShapes &shapes) {
  // y, the first of the full scan's results; the state is an operand.
  shapes::ShapesResult rule =
      selectiveScanShapes(adaptor, adaptor.getBm(), adaptor.getCm(), shapes);
  return rule ? shapes::ShapeResult((*rule)[0])
              : shapes::ShapeResult(rule.error());
}

LogicalResult LinearRecurrenceStepOp::verify() {
  if (failed(verifyInferredType(*this)))
    return failure();
  ArrayRef<int64_t> a = getA().getType().getShape();
  return verifyGenerationState(
      *this, getState(),
      shapes::linearRecurrenceStateShape(ruleShape(a), shapes::Naming{{"a"}}),
      getSlots(), Value(), a[0]);
}

LogicalResult LinearRecurrenceStepOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getA()).getElementType(), types);
}

shapes::ShapeResult
LinearRecurrenceStepOp::shapeRule(Adaptor adaptor,
                                  const OperandShapes &shapes) {
  return linearRecurrenceShape(adaptor.getA(), adaptor.getB(), Value(), shapes);
}

#define GET_OP_CLASSES
#include "dialects/Scan/IR/ScanOps.cpp.inc"
