//===- ShapeUtils.cpp - Shape checks shared by Kiln verifiers -------------===//
//
// Implements the dynamic-aware shape helpers of ShapeUtils.h.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/IR/ShapeUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
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

shapes::Shape OperandShapes::operator()(Value value) const {
  if (derived)
    if (auto it = derived->find(value); it != derived->end())
      return it->second;
  ArrayRef<int64_t> sizes = tensorType(value).getShape();
  shapes::Shape shape = ruleShape(sizes);
  auto it = llvm::find(operands, value);
  if (it == operands.end())
    return shape;
  int64_t operand = std::distance(operands.begin(), it);
  for (auto [axis, dim] : llvm::enumerate(shape))
    if (dim.isUnknown())
      dim = shapes::Dim::unknownFrom(operand, axis);
  return shape;
}

const shapes::Shape *
OperandShapes::optional(Value value,
                        std::optional<shapes::Shape> &storage) const {
  if (!value)
    return nullptr;
  storage = (*this)(value);
  return &*storage;
}

LogicalResult reifyRuleShapes(Operation *op, OpBuilder &builder,
                              const shapes::ShapesResult &rule,
                              ReifiedRankedShapedTypeDims &dims) {
  // A rule may give shapes for optional results the op does not have.
  if (!rule || (*rule).size() < op->getNumResults())
    return failure();
  ReifiedRankedShapedTypeDims reified;
  for (auto [result, shape] : llvm::zip(op->getResults(), *rule)) {
    RankedTensorType type = tensorType(result);
    if (static_cast<int64_t>(shape.size()) != type.getRank())
      return failure();
    SmallVector<OpFoldResult> &sizes = reified.emplace_back();
    for (auto [axis, dim] : llvm::enumerate(shape)) {
      if (!type.isDynamicDim(axis)) {
        sizes.push_back(builder.getIndexAttr(type.getDimSize(axis)));
      } else if (dim.isStatic()) {
        sizes.push_back(builder.getIndexAttr(dim.size()));
      } else if (dim.hasOrigin()) {
        Value operand = op->getOperand(dim.originOperand());
        sizes.push_back(builder.createOrFold<tensor::DimOp>(
            op->getLoc(), operand, dim.originAxis()));
      } else {
        return failure();
      }
    }
  }
  dims = std::move(reified);
  return success();
}

LogicalResult reifyRuleShapes(Operation *op, OpBuilder &builder,
                              const shapes::ShapeResult &rule,
                              ReifiedRankedShapedTypeDims &dims) {
  if (!rule)
    return failure();
  std::vector<shapes::Shape> shapes(op->getNumResults(), *rule);
  return reifyRuleShapes(op, builder, shapes::ShapesResult(shapes), dims);
}

SmallVector<int64_t> mlirShape(const shapes::Shape &shape) {
  SmallVector<int64_t> sizes;
  for (const shapes::Dim &dim : shape)
    sizes.push_back(dim.isStatic() ? dim.size() : ShapedType::kDynamic);
  return sizes;
}

LogicalResult verifyShapeRule(Operation *op, const shapes::ShapeResult &rule) {
  if (!rule)
    return op->emitOpError(rule.error().message);
  ArrayRef<int64_t> actual = tensorType(op->getResult(0)).getShape();
  SmallVector<int64_t> expected = mlirShape(*rule);
  if (!shapesCompatible(actual, expected))
    return op->emitOpError("result shape ")
           << formatShape(actual) << " does not match the inferred shape "
           << formatShape(expected);
  return success();
}

LogicalResult verifyShapeRules(Operation *op, const shapes::ShapesResult &rule) {
  if (!rule)
    return op->emitOpError(rule.error().message);
  for (auto [result, shape] : llvm::zip(op->getResults(), *rule)) {
    ArrayRef<int64_t> actual = tensorType(result).getShape();
    SmallVector<int64_t> expected = mlirShape(shape);
    if (!shapesCompatible(actual, expected))
      return op->emitOpError("result ")
             << result.getResultNumber() << " shape " << formatShape(actual)
             << " does not match the inferred shape " << formatShape(expected);
  }
  return success();
}

LogicalResult inferRuleType(std::optional<Location> location, StringRef opName,
                            const shapes::ShapeResult &rule, Type element,
                            SmallVectorImpl<Type> &types) {
  if (!rule)
    return emitOptionalError(location, "'", opName, "' op ",
                             rule.error().message);
  types.push_back(RankedTensorType::get(mlirShape(*rule), element));
  return success();
}

bool compatibleTensorTypes(TypeRange inferred, TypeRange actual) {
  return inferred.size() == actual.size() &&
         llvm::all_of(llvm::zip(inferred, actual), [](auto pair) {
           auto lhs = dyn_cast<RankedTensorType>(std::get<0>(pair));
           auto rhs = dyn_cast<RankedTensorType>(std::get<1>(pair));
           return lhs && rhs && lhs.getElementType() == rhs.getElementType() &&
                  shapesCompatible(lhs.getShape(), rhs.getShape());
         });
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
  if (!seqOffsets)
    return success();
  if (std::optional<shapes::RuleError> error = shapes::checkSeqOffsets(
          ruleShape(tensorType(seqOffsets).getShape()), 0,
          shapes::Naming{{"seq_offsets"}}))
    return op->emitOpError(error->message);
  return success();
}

LogicalResult verifyGenerationState(Operation *op, Value state,
                                    const shapes::ShapeResult &rule,
                                    Value slots, Value positions,
                                    int64_t batch) {
  if (!rule)
    return op->emitOpError(rule.error().message);
  ArrayRef<int64_t> shape = tensorType(state).getShape();
  SmallVector<int64_t> expected = mlirShape(*rule);
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
