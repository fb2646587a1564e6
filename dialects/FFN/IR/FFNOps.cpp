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

/// The mlp rule on the operands of an op.
static shapes::ShapeResult mlpShape(MLPOp::Adaptor op,
                                    const OperandShapes &shapes) {
  std::optional<shapes::Shape> bIn, bOut;
  return shapes::mlpShape(
      shapes(op.getInput()), shapes(op.getWIn()),
      shapes.optional(op.getBIn(), bIn), shapes(op.getWOut()),
      shapes.optional(op.getBOut(), bOut),
      shapes::Naming{{"input", "w_in", "b_in", "w_out", "b_out"}});
}

/// The glu rule, as mlpShape.
static shapes::ShapeResult gluShape(GLUOp::Adaptor op,
                                    const OperandShapes &shapes) {
  return shapes::gluShape(
      shapes(op.getInput()), shapes(op.getWGate()), shapes(op.getWUp()),
      shapes(op.getWDown()),
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
