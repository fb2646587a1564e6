//===- WarpOps.cpp - Kiln warp dialect operations -------------------------===//
//
// Verifiers of the warp dialect's operations.
//
//===----------------------------------------------------------------------===//

#include "dialects/Warp/IR/WarpOps.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln::warp;

#define GET_OP_CLASSES
#include "dialects/Warp/IR/WarpOps.cpp.inc"

Type MMAOp::getElementType() {
  return cast<MemRefType>(getA().getType()).getElementType();
}

int64_t MMAOp::getDepth() { return getElementType().isF32() ? 8 : 16; }

LogicalResult MMAOp::verify() {
  auto a = cast<MemRefType>(getA().getType());
  auto b = cast<MemRefType>(getB().getType());
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitOpError("requires tiles of rank 2, got ")
           << a.getRank() << " and " << b.getRank();
  if (a.getElementType() != b.getElementType())
    return emitOpError("requires tiles of one element type, got ")
           << a.getElementType() << " and " << b.getElementType();
  Type element = a.getElementType();
  if (!element.isF16() && !element.isBF16() && !element.isF32())
    return emitOpError("requires f16, bf16 or f32 (tf32) tiles, got ")
           << element;
  if (!a.getLayout().isIdentity() || !b.getLayout().isIdentity())
    return emitOpError("requires tiles with the identity layout");
  // A tile smaller than one instruction's operand can never be in bounds.
  int64_t depth = getDepth();
  auto tooSmall = [](MemRefType type, int64_t rows, int64_t depth) {
    return (!ShapedType::isDynamic(type.getDimSize(0)) &&
            type.getDimSize(0) < rows) ||
           (!ShapedType::isDynamic(type.getDimSize(1)) &&
            type.getDimSize(1) < depth);
  };
  if (tooSmall(a, 16, depth))
    return emitOpError("requires an A tile of at least 16 × ")
           << depth << ", got " << a;
  if (tooSmall(b, 8, depth))
    return emitOpError("requires a B tile of at least 8 × ")
           << depth << ", got " << b;
  return success();
}
