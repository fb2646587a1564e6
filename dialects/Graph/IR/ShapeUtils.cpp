//===- ShapeUtils.cpp - Shape checks shared by Kiln verifiers -------------===//
//
// Implements the dynamic-aware shape helpers of ShapeUtils.h.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/IR/ShapeUtils.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace kiln {

shapes::Shape ruleShape(ArrayRef<int64_t> shape) {
  shapes::Shape rule;
  for (int64_t size : shape)
    rule.push_back(ShapedType::isDynamic(size) ? shapes::Dim::unknown()
                                               : shapes::Dim::fixed(size));
  return rule;
}

SmallVector<int64_t> mlirShape(const shapes::Shape &shape) {
  SmallVector<int64_t> sizes;
  for (const shapes::Dim &dim : shape)
    sizes.push_back(dim.isStatic() ? dim.size() : ShapedType::kDynamic);
  return sizes;
}

LogicalResult verifyResultShape(Operation *op, ArrayRef<int64_t> expected) {
  ArrayRef<int64_t> actual = tensorType(op->getResult(0)).getShape();
  if (!shapesCompatible(actual, expected))
    return op->emitOpError("result shape ")
           << formatShape(actual) << " does not match the inferred shape "
           << formatShape(expected);
  return success();
}

LogicalResult verifyShapeRule(Operation *op, const shapes::ShapeResult &rule) {
  if (!rule)
    return op->emitOpError(rule.error().message);
  return verifyResultShape(op, mlirShape(*rule));
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
