//===- FFNOps.cpp - Kiln feed-forward operations --------------------------===//
//
// Verifiers of the feed-forward dialect and the result types its ops infer
// from lib/ShapeRules. Every message is covered by
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

/// The mlp rule on an op's operands, or on those of an op being built.
template <typename OpOrAdaptor>
static shapes::ShapeResult mlpShape(OpOrAdaptor op) {
  std::optional<shapes::Shape> bIn, bOut;
  return shapes::mlpShape(
      ruleShape(tensorType(op.getInput()).getShape()),
      ruleShape(tensorType(op.getWIn()).getShape()),
      optionalRuleShape(op.getBIn(), bIn),
      ruleShape(tensorType(op.getWOut()).getShape()),
      optionalRuleShape(op.getBOut(), bOut),
      shapes::Naming{{"input", "w_in", "b_in", "w_out", "b_out"}});
}

/// The glu rule, as mlpShape.
template <typename OpOrAdaptor>
static shapes::ShapeResult gluShape(OpOrAdaptor op) {
  return shapes::gluShape(
      ruleShape(tensorType(op.getInput()).getShape()),
      ruleShape(tensorType(op.getWGate()).getShape()),
      ruleShape(tensorType(op.getWUp()).getShape()),
      ruleShape(tensorType(op.getWDown()).getShape()),
      shapes::Naming{{"input", "w_gate", "w_up", "w_down"}});
}

/// Shared checks: element types, the rule's shapes and the result, and the
/// norm prologue.
template <typename BlockOp> static LogicalResult verifyBlock(BlockOp op) {
  if (failed(verifyUniformElementType(op)) ||
      failed(verifyInferredType(op)))
    return failure();
  return graph::verifyNormPrologue(op, op.getInput(), op.getNormWeight(),
                                   op.getNormBias(), op.getNorm(),
                                   op.getNormEps());
}

LogicalResult MLPOp::verify() { return verifyBlock(*this); }

LogicalResult GLUOp::verify() {
  Activation act = getActivation();
  if (!isGluActivation(act))
    return emitOpError("activation must be ")
           << describeActivations(gluActivations()) << ", got "
           << activationName(act);
  return verifyBlock(*this);
}

#define GET_OP_CLASSES
#include "dialects/FFN/IR/FFNOps.cpp.inc"
