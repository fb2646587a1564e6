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

/// Checks that `value` is compatible with `expected`; `name` is for messages.
static LogicalResult expectShape(Operation *op, Value value, StringRef name,
                                 ArrayRef<int64_t> expected) {
  ArrayRef<int64_t> shape = tensorType(value).getShape();
  if (!shapesCompatible(shape, expected))
    return op->emitOpError() << name << " must have shape "
                             << formatShape(expected) << ", got "
                             << formatShape(shape);
  return success();
}

LogicalResult SelectiveScanOp::verify() {
  if (failed(verifyUniformElementType(*this, getSeqOffsets())) ||
      failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  if (getSeqOffsets() && getFinalState())
    return emitOpError("has no final state with seq_offsets (one state per "
                       "batch row cannot hold one per sequence)");
  ArrayRef<int64_t> u = getU().getType().getShape();
  ArrayRef<int64_t> a = getA().getType().getShape();
  if (u.size() != 3)
    return emitOpError("u must be [batch, seq, channels], got ")
           << formatShape(u);
  if (a.size() != 2)
    return emitOpError("A must be [channels, state], got ") << formatShape(a);
  int64_t channels = u[2], state = a[1];
  SmallVector<int64_t> stateSeq = {u[0], u[1], state};
  if (failed(expectShape(*this, getDelta(), "delta", u)) ||
      failed(expectShape(*this, getA(), "A", {channels, state})) ||
      failed(expectShape(*this, getB(), "B", stateSeq)) ||
      failed(expectShape(*this, getC(), "C", stateSeq)) ||
      (getD() && failed(expectShape(*this, getD(), "D", {channels}))) ||
      (getZ() && failed(expectShape(*this, getZ(), "z", u))) ||
      (getDeltaBias() &&
       failed(expectShape(*this, getDeltaBias(), "delta_bias", {channels}))) ||
      failed(expectShape(*this, getY(), "y", u)) ||
      (getFinalState() && failed(expectShape(*this, getFinalState(),
                                             "final_state",
                                             {u[0], channels, state}))))
    return failure();
  return success();
}

LogicalResult LinearRecurrenceOp::verify() {
  if (failed(verifyUniformElementType(*this, getSeqOffsets())) ||
      failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  ArrayRef<int64_t> a = getA().getType().getShape();
  if (a.size() != 3)
    return emitOpError("a must be [batch, seq, channels], got ")
           << formatShape(a);
  if (failed(expectShape(*this, getB(), "b", a)) ||
      failed(expectShape(*this, getResult(), "result", a)) ||
      (getH0() && failed(expectShape(*this, getH0(), "h0", {a[0], a[2]}))))
    return failure();
  return success();
}

LogicalResult SelectiveScanStepOp::verify() {
  ArrayRef<int64_t> u = getU().getType().getShape();
  ArrayRef<int64_t> a = getA().getType().getShape();
  if (u.size() != 3 || a.size() != 2)
    return emitOpError("u must be [batch, seq, channels] and A "
                       "[channels, states]");
  if (failed(expectShape(*this, getDelta(), "delta", u)) ||
      failed(expectShape(*this, getY(), "y", u)))
    return failure();
  return verifyGenerationState(*this, getState(),
                               {ShapedType::kDynamic, u[2], a[1]}, getSlots(),
                               Value(), u[0]);
}

LogicalResult LinearRecurrenceStepOp::verify() {
  ArrayRef<int64_t> a = getA().getType().getShape();
  if (a.size() != 3)
    return emitOpError("a must be [batch, seq, channels], got ")
           << formatShape(a);
  if (failed(expectShape(*this, getB(), "b", a)) ||
      failed(expectShape(*this, getResult(), "result", a)))
    return failure();
  return verifyGenerationState(*this, getState(), {ShapedType::kDynamic, a[2]},
                               getSlots(), Value(), a[0]);
}

#define GET_OP_CLASSES
#include "dialects/Scan/IR/ScanOps.cpp.inc"
