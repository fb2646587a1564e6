//===- ShapeUtils.cpp - Shape checks shared by Kiln verifiers -------------===//
//
// Implements the dynamic-aware shape helpers of ShapeUtils.h.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/IR/ShapeUtils.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace kiln {

FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t b = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (a == 1)
      result[i] = b;
    else if (b == 1)
      result[i] = a;
    else if (ShapedType::isDynamic(a))
      result[i] = b;
    else if (ShapedType::isDynamic(b) || a == b)
      result[i] = a;
    else
      return failure();
  }
  return result;
}

bool shapesCompatible(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  return lhs.size() == rhs.size() &&
         llvm::all_of(llvm::zip(lhs, rhs), [](auto pair) {
           return dimsCompatible(std::get<0>(pair), std::get<1>(pair));
         });
}

LogicalResult verifyUniformElementType(Operation *op, Value seqOffsets) {
  Type element = getElementTypeOrSelf(op->getOperand(0).getType());
  auto differs = [&](Value value) {
    return value != seqOffsets &&
           getElementTypeOrSelf(value.getType()) != element;
  };
  if (llvm::any_of(op->getOperands(), differs) ||
      llvm::any_of(op->getResults(), differs))
    return op->emitOpError("requires one element type for all operands "
                           "and results");
  return success();
}

LogicalResult verifySeqOffsets(Operation *op, Value seqOffsets) {
  if (seqOffsets && tensorType(seqOffsets).getRank() != 1)
    return op->emitOpError("seq_offsets must be a 1-D tensor of sequence "
                           "boundaries");
  return success();
}

LogicalResult verifyGenerationState(Operation *op, Value state,
                                    ArrayRef<int64_t> expected, Value slots,
                                    Value positions, int64_t batch) {
  ArrayRef<int64_t> shape = tensorType(state).getShape();
  if (!shapesCompatible(shape, expected))
    return op->emitOpError("state must have shape ")
           << formatShape(expected) << ", got " << formatShape(shape);
  for (Value index : {slots, positions}) {
    if (!index)
      continue;
    ArrayRef<int64_t> indexShape = tensorType(index).getShape();
    if (indexShape.size() != 1 || !dimsCompatible(indexShape[0], batch))
      return op->emitOpError("slots and positions must be [batch] with batch = ")
             << batch << ", got " << formatShape(indexShape);
  }
  return success();
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
  }
  return text + "]";
}

} // namespace kiln
