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
using kiln::graph::Activation;
using kiln::graph::stringifyActivation;

/// Checks `weight` is [rows, cols] (either may be dynamic in `expected`).
static LogicalResult expectMatrix(Operation *op, Value weight, StringRef name,
                                  int64_t rows, int64_t cols) {
  ArrayRef<int64_t> shape = tensorType(weight).getShape();
  if (shape.size() != 2 || !dimsCompatible(shape[0], rows) ||
      !dimsCompatible(shape[1], cols))
    return op->emitOpError()
           << name << " must have shape " << formatShape({rows, cols})
           << ", got " << formatShape(shape);
  return success();
}

/// Shared checks: element types and the [..., out] result.
static LogicalResult verifyBlock(Operation *op, Value input, Value result,
                                 int64_t outFeatures) {
  if (failed(verifyUniformElementType(op)))
    return failure();
  SmallVector<int64_t> expected(tensorType(input).getShape().drop_back());
  expected.push_back(outFeatures);
  if (!shapesCompatible(tensorType(result).getShape(), expected))
    return op->emitOpError("result shape ")
           << formatShape(tensorType(result).getShape())
           << " does not match the inferred shape " << formatShape(expected);
  return success();
}

/// The feature size of `input`, or failure (with a message) for a scalar.
static FailureOr<int64_t> inputFeatures(Operation *op, Value input) {
  ArrayRef<int64_t> shape = tensorType(input).getShape();
  if (shape.empty())
    return op->emitOpError("input must have rank at least 1");
  return shape.back();
}

LogicalResult MLPOp::verify() {
  FailureOr<int64_t> features = inputFeatures(*this, getInput());
  if (failed(features))
    return failure();
  ArrayRef<int64_t> wIn = getWIn().getType().getShape();
  ArrayRef<int64_t> wOut = getWOut().getType().getShape();
  if (wIn.size() != 2 || wOut.size() != 2)
    return emitOpError("w_in and w_out must have rank 2");
  int64_t hidden = wIn[0];
  if (failed(expectMatrix(*this, getWIn(), "w_in", hidden, *features)) ||
      failed(expectMatrix(*this, getWOut(), "w_out", wOut[0], hidden)))
    return failure();
  auto expectVector = [&](Value bias, StringRef name,
                          int64_t size) -> LogicalResult {
    ArrayRef<int64_t> shape = tensorType(bias).getShape();
    if (shape.size() == 1 && dimsCompatible(shape[0], size))
      return success();
    return emitOpError() << name << " must have shape [" << size << "], got "
                         << formatShape(shape);
  };
  if ((getBIn() && failed(expectVector(getBIn(), "b_in", hidden))) ||
      (getBOut() && failed(expectVector(getBOut(), "b_out", wOut[0]))))
    return failure();
  if (failed(graph::verifyNormPrologue(*this, getInput(), getNormWeight(),
                                       getNormBias(), getNorm(),
                                       getNormEps())))
    return failure();
  return verifyBlock(*this, getInput(), getResult(), wOut[0]);
}

LogicalResult GLUOp::verify() {
  Activation act = getActivation();
  if (act != Activation::silu && act != Activation::gelu &&
      act != Activation::relu)
    return emitOpError("activation must be silu, gelu or relu, got ")
           << stringifyActivation(act);
  FailureOr<int64_t> features = inputFeatures(*this, getInput());
  if (failed(features))
    return failure();
  ArrayRef<int64_t> gate = getWGate().getType().getShape();
  ArrayRef<int64_t> down = getWDown().getType().getShape();
  if (gate.size() != 2 || down.size() != 2)
    return emitOpError("w_gate and w_down must have rank 2");
  int64_t hidden = gate[0];
  if (failed(expectMatrix(*this, getWGate(), "w_gate", hidden, *features)) ||
      failed(expectMatrix(*this, getWUp(), "w_up", hidden, *features)) ||
      failed(expectMatrix(*this, getWDown(), "w_down", down[0], hidden)))
    return failure();
  if (failed(graph::verifyNormPrologue(*this, getInput(), getNormWeight(),
                                       getNormBias(), getNorm(),
                                       getNormEps())))
    return failure();
  return verifyBlock(*this, getInput(), getResult(), down[0]);
}

#define GET_OP_CLASSES
#include "dialects/FFN/IR/FFNOps.cpp.inc"
