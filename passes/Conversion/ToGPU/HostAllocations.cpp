//===- HostAllocations.cpp - Device buffers as memref allocations ---------===//
//
// The kiln-gpu-host-allocations pass: after kiln-gpu-wrap-serial-code the
// host never dereferences a buffer it allocates, so its gpu.alloc and
// gpu.dealloc can go through the memref lowering, whose allocation
// functions then decide where the memory lives (the runtime's device
// allocator in a CUDA library, the heap under --gpu-emulation).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_GPUHOSTALLOCATIONS
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct GPUHostAllocationsPass
    : kiln::impl::GPUHostAllocationsBase<GPUHostAllocationsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    WalkResult result = getOperation().walk([&](Operation *op) {
      rewriter.setInsertionPoint(op);
      if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
        if (alloc.getAsyncToken())
          return asynchronous(op);
        rewriter.replaceOpWithNewOp<memref::AllocOp>(
            alloc, alloc.getType(), alloc.getDynamicSizes(),
            alloc.getSymbolOperands());
      } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
        if (dealloc.getAsyncToken())
          return asynchronous(op);
        rewriter.replaceOpWithNewOp<memref::DeallocOp>(dealloc,
                                                       dealloc.getMemref());
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  WalkResult asynchronous(Operation *op) {
    op->emitOpError("is asynchronous; Kiln's host code allocates "
                    "synchronously");
    return WalkResult::interrupt();
  }
};

} // namespace
