//===- ThreadBlock.cpp - The GPU's thread-block form, as loops ------------===//

#include "passes/Conversion/ToLoops/ThreadBlock.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace kiln {

namespace {

/// The value of the index `value` where the arith ops and memref.dim
/// computing it fold to a constant (static shapes), as the canonicalizer
/// will find it.
std::optional<int64_t> foldedIndex(Value value) {
  if (std::optional<int64_t> constant = getConstantIntValue(value))
    return constant;
  Operation *op = value.getDefiningOp();
  if (auto dim = dyn_cast_or_null<memref::DimOp>(op)) {
    auto type = dyn_cast<MemRefType>(dim.getSource().getType());
    std::optional<int64_t> d = getConstantIntValue(dim.getIndex());
    if (!type || !d || type.isDynamicDim(*d))
      return std::nullopt;
    return type.getDimSize(*d);
  }
  if (!op || op->getNumResults() != 1 ||
      !isa<arith::ArithDialect>(op->getDialect()))
    return std::nullopt;
  // Folded only with every operand constant: a partial fold may rewrite the
  // op in place (commutative operands reordered), under the conversion.
  SmallVector<Attribute> operands;
  for (Value operand : op->getOperands()) {
    std::optional<int64_t> folded =
        operand.getType().isIndex() ? foldedIndex(operand) : std::nullopt;
    if (!folded)
      return std::nullopt;
    operands.push_back(IntegerAttr::get(operand.getType(), *folded));
  }
  SmallVector<OpFoldResult> results;
  if (failed(op->fold(operands, results)) || results.size() != 1)
    return std::nullopt;
  return getConstantIntValue(results.front());
}

} // namespace

MemRefType f32MemoryType(ArrayRef<int64_t> shape, MLIRContext *context,
                         gpu::AddressSpace space) {
  return MemRefType::get(shape, Float32Type::get(context),
                         MemRefLayoutAttrInterface(),
                         gpu::AddressSpaceAttr::get(context, space));
}

void threadPhase(ImplicitLocOpBuilder &b,
                 llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
  parallelLoops(
      b, {indexConst(b, kThreadBlockSize)},
      [&](ImplicitLocOpBuilder &b, ValueRange thread) { body(b, thread[0]); });
}

void blockLoops(ImplicitLocOpBuilder &b, SmallVector<Value> bounds,
                LoopBody body) {
  // The canonicalizer inlines a parallel loop of one iteration, which would
  // leave the block's workgroup buffers and phases in the function: where
  // every bound folds to 1, the last gets a second, empty block.
  if (llvm::all_of(bounds, [](Value bound) { return foldedIndex(bound) == 1; }))
    bounds.back() = indexConst(b, 2);
  parallelLoops(b, bounds, body);
}

Value threadSlice(ImplicitLocOpBuilder &b, Value buffer, Value thread) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  offsets[0] = thread;
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
  for (int64_t size : type.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(size));
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  auto sliceType =
      cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
          type.getShape().drop_front(), type, offsets, sizes, strides));
  return b.create<memref::SubViewOp>(sliceType, buffer, offsets, sizes,
                                     strides);
}

} // namespace kiln
