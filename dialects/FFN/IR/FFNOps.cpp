//===- FFNOps.cpp - Kiln feed-forward operations --------------------------===//
//
// Verifiers of the feed-forward dialect. Every message is covered by
// test/dialects/FFN/invalid.mlir.
//
//===----------------------------------------------------------------------===//

#include "dialects/FFN/IR/FFNOps.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Graph/IR/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::ffn;

/// The rule's view of an optional operand: nullopt when absent.
static std::optional<shapes::Shape> optionalShape(Value value) {
  if (!value)
    return std::nullopt;
  return ruleShape(tensorType(value).getShape());
}

static const shapes::Shape *orNull(const std::optional<shapes::Shape> &shape) {
  return shape ? &*shape : nullptr;
}

/// Shared checks: element types, the rule's shapes, the norm prologue and
/// the result.
template <typename BlockOp>
static LogicalResult verifyBlock(BlockOp op, const shapes::ShapeResult &rule) {
  if (failed(verifyUniformElementType(op)))
    return failure();
  if (!rule)
    return op.emitOpError(rule.error().message);
  if (failed(graph::verifyNormPrologue(op, op.getInput(), op.getNormWeight(),
                                       op.getNormBias(), op.getNorm(),
                                       op.getNormEps())))
    return failure();
  return verifyShapeRule(op, rule);
}

LogicalResult MLPOp::verify() {
  return verifyBlock(
      *this, shapes::mlpShape(
                 ruleShape(getInput().getType().getShape()),
                 ruleShape(getWIn().getType().getShape()),
                 orNull(optionalShape(getBIn())),
                 ruleShape(getWOut().getType().getShape()),
                 orNull(optionalShape(getBOut())),
                 shapes::Naming{{"input", "w_in", "b_in", "w_out", "b_out"}}));
}

LogicalResult GLUOp::verify() {
  Activation act = getActivation();
  if (!isGluActivation(act))
    return emitOpError("activation must be ")
           << describeActivations(gluActivations()) << ", got "
           << activationName(act);
  return verifyBlock(
      *this,
      shapes::gluShape(ruleShape(getInput().getType().getShape()),
                       ruleShape(getWGate().getType().getShape()),
                       ruleShape(getWUp().getType().getShape()),
                       ruleShape(getWDown().getType().getShape()),
                       shapes::Naming{{"input", "w_gate", "w_up", "w_down"}}));
}

#define GET_OP_CLASSES
#include "dialects/FFN/IR/FFNOps.cpp.inc"
