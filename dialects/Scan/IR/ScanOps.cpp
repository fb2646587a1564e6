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

/// The rule of a selective scan and of its step form (on an op or on the
/// adaptor of one being built); their B and C are named differently.
template <typename OpOrAdaptor>
static shapes::ShapesResult selectiveScanShapes(OpOrAdaptor op, Value b,
                                                Value c) {
  std::optional<shapes::Shape> d, z, deltaBias;
  auto shape = [](Value value) {
    return ruleShape(tensorType(value).getShape());
  };
  return shapes::selectiveScanShapes(
      shape(op.getU()), shape(op.getDelta()), shape(op.getA()), shape(b),
      shape(c), optionalRuleShape(op.getD(), d),
      optionalRuleShape(op.getZ(), z),
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
  return verifyShapeRules(*this, selectiveScanShapes(*this, getB(), getC()));
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
  // y, the first of the full scan's results; the state is an operand.
  shapes::ShapesResult rule =
      selectiveScanShapes(adaptor, adaptor.getBm(), adaptor.getCm());
  return inferRuleType(location, getOperationName(),
                       rule ? shapes::ShapeResult((*rule)[0])
                            : shapes::ShapeResult(rule.error()),
                       tensorType(adaptor.getU()).getElementType(), types);
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
  return inferRuleType(
      location, getOperationName(),
      linearRecurrenceShape(adaptor.getA(), adaptor.getB(), Value()),
      tensorType(adaptor.getA()).getElementType(), types);
}

#define GET_OP_CLASSES
#include "dialects/Scan/IR/ScanOps.cpp.inc"
