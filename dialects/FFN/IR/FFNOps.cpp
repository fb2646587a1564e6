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
  std::optional<shapes::Shape> bIn, bOut;
  return verifyBlock(
      *this, shapes::mlpShape(
                 ruleShape(getInput().getType().getShape()),
                 ruleShape(getWIn().getType().getShape()),
                 optionalRuleShape(getBIn(), bIn),
                 ruleShape(getWOut().getType().getShape()),
                 optionalRuleShape(getBOut(), bOut),
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
