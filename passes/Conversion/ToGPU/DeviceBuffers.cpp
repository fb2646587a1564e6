//===- DeviceBuffers.cpp - A model function's buffers in GPU memory -------===//
//
// The kiln-gpu-device-buffers pass. The loops stage allocates every
// intermediate with memref.alloc on the host; on a GPU each of them must be
// device memory that only kernels touch, while the host keeps the small
// stack arrays it reads itself (the shapes given to memref.reshape).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_GPUDEVICEBUFFERS
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Whether the host itself uses `alloca`: only top-level loads and stores
/// of the function's block and the shape operand of memref.reshape.
bool isHostOnly(memref::AllocaOp alloca, Block &body) {
  return llvm::all_of(alloca->getUses(), [&](OpOperand &use) {
    Operation *user = use.getOwner();
    if (user->getBlock() != &body)
      return false;
    if (auto reshape = dyn_cast<memref::ReshapeOp>(user))
      return use.get() == reshape.getShape();
    return isa<memref::LoadOp, memref::StoreOp>(user);
  });
}

struct GPUDeviceBuffersPass
    : kiln::impl::GPUDeviceBuffersBase<GPUDeviceBuffersPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &body = func.getBody().front();
    IRRewriter rewriter(&getContext());
    SmallVector<Value> stackBuffers;
    // Buffers inside kernels (per-thread scratch) stay where they are.
    for (Operation &op : llvm::make_early_inc_range(body)) {
      rewriter.setInsertionPoint(&op);
      if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
        if (isHostOnly(alloca, body))
          continue;
        auto alloc = rewriter.replaceOpWithNewOp<gpu::AllocOp>(
            alloca, alloca.getType(), /*asyncToken=*/Type(), ValueRange(),
            alloca.getDynamicSizes(), alloca.getSymbolOperands(),
            /*hostShared=*/false);
        stackBuffers.push_back(alloc.getMemref());
      } else if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        rewriter.replaceOpWithNewOp<gpu::AllocOp>(
            alloc, alloc.getType(), /*asyncToken=*/Type(), ValueRange(),
            alloc.getDynamicSizes(), alloc.getSymbolOperands(),
            /*hostShared=*/false);
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        rewriter.replaceOpWithNewOp<gpu::DeallocOp>(
            dealloc, /*asyncToken=*/Type(), ValueRange(), dealloc.getMemref());
      }
    }
    // A stack buffer lived until the function returned.
    rewriter.setInsertionPoint(body.getTerminator());
    for (Value buffer : stackBuffers)
      rewriter.create<gpu::DeallocOp>(buffer.getLoc(), /*asyncToken=*/Type(),
                                      ValueRange(), buffer);
  }
};

} // namespace
