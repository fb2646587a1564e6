//===- ElideResultCopies.cpp - Write results into the out-parameters ------===//
//
// The kiln-elide-result-copies pass. kiln-convert-to-loops bufferizes each
// op into a buffer of its own and a function result into an out-parameter
// with a final memref.copy: the buffer of the op that computes a result
// is copied once more at the end. Where that buffer serves nothing but the
// copy's source, the op writes the out-parameter itself.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Interfaces/ViewLikeInterface.h"

namespace kiln {
#define GEN_PASS_DEF_ELIDERESULTCOPIES
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Whether every use of `buffer`, and of the views of it, is in an op of
/// `body` before `copy` (or is `copy` itself).
bool onlyUsedBefore(Value buffer, memref::CopyOp copy, Block &body) {
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user == copy)
        continue;
      Operation *top = body.findAncestorOpInBlock(*user);
      if (!top || !top->isBeforeInBlock(copy))
        return false;
      if (isa<ViewLikeOpInterface, memref::ReshapeOp>(user))
        llvm::append_range(worklist, user->getResults());
    }
  }
  return true;
}

/// Whether `out` can hold what `type` describes: the same element type,
/// rank and static sizes where both are static (the copy between them
/// requires equal shapes).
bool compatible(MemRefType type, MemRefType out) {
  if (type.getElementType() != out.getElementType() ||
      type.getRank() != out.getRank() || !type.getLayout().isIdentity() ||
      !out.getLayout().isIdentity() ||
      type.getMemorySpace() != out.getMemorySpace())
    return false;
  for (auto [size, outSize] : llvm::zip(type.getShape(), out.getShape()))
    if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(outSize) &&
        size != outSize)
      return false;
  return true;
}

struct ElideResultCopiesPass
    : kiln::impl::ElideResultCopiesBase<ElideResultCopiesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &body = func.getBody().front();
    for (auto copy :
         llvm::make_early_inc_range(body.getOps<memref::CopyOp>())) {
      auto out = dyn_cast<BlockArgument>(copy.getTarget());
      auto alloc = copy.getSource().getDefiningOp<memref::AllocOp>();
      if (!out || out.getOwner() != &body || !out.hasOneUse() || !alloc ||
          alloc->getBlock() != &body ||
          !compatible(alloc.getType(), cast<MemRefType>(out.getType())) ||
          !onlyUsedBefore(alloc, copy, body))
        continue;
      OpBuilder builder(&getContext());
      builder.setInsertionPointToStart(&body);
      Value replacement = out;
      if (out.getType() != alloc.getType())
        replacement = builder.create<memref::CastOp>(alloc.getLoc(),
                                                     alloc.getType(), out);
      copy.erase();
      alloc.replaceAllUsesWith(replacement);
      alloc.erase();
    }
  }
};

} // namespace
