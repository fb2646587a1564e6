//===- FreeBuffersEarly.cpp - Free buffers after their last use -----------===//
//
// The kiln-free-buffers-early pass: the memory plan of a compiled model.
// Kernels run in program order in one block, so a buffer is dead after the
// last top-level op that reads or writes it (or a view of it); freeing it
// there lets the allocator reuse the memory for later layers.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

namespace kiln {
#define GEN_PASS_DEF_FREEBUFFERSEARLY
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The last op of `block` that uses `buffer` or a memref derived from it
/// (any op result of memref type computed from it counts as an alias, to
/// stay safe with every view op); null if none other than `dealloc`.
Operation *lastUse(Value buffer, Block &block, Operation *dealloc) {
  Operation *last = nullptr;
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user == dealloc)
        continue;
      for (Value result : user->getResults())
        if (isa<BaseMemRefType>(result.getType()))
          worklist.push_back(result);
      Operation *top = block.findAncestorOpInBlock(*user);
      if (top && (!last || last->isBeforeInBlock(top)))
        last = top;
    }
  }
  return last;
}

struct FreeBuffersEarlyPass
    : kiln::impl::FreeBuffersEarlyBase<FreeBuffersEarlyPass> {
  void runOnOperation() override {
    if (getOperation().isExternal())
      return;
    Block &body = getOperation().getBody().front();
    SmallVector<memref::DeallocOp> deallocs(body.getOps<memref::DeallocOp>());
    for (memref::DeallocOp dealloc : deallocs) {
      Value buffer = dealloc.getMemref();
      auto alloc = buffer.getDefiningOp<memref::AllocOp>();
      if (!alloc || alloc->getBlock() != &body)
        continue;
      Operation *last = lastUse(buffer, body, dealloc);
      dealloc->moveAfter(last ? last : alloc.getOperation());
    }
  }
};

} // namespace
