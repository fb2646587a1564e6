//===- PrefetchPanels.cpp - Prefetch the GEMM's weight panels ------------===//
//
// The kiln-prefetch-panels pass (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"
#include "passes/Conversion/ToLoops/Gemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace kiln {
#define GEN_PASS_DEF_PREFETCHPANELS
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct PrefetchPanelsPass
    : kiln::impl::PrefetchPanelsBase<PrefetchPanelsPass> {
  using PrefetchPanelsBase::PrefetchPanelsBase;
  void runOnOperation() override {
    getOperation().walk([&](vector::LoadOp load) {
      if (!load->removeAttr(kiln::kPanelRowAttr))
        return;
      OpBuilder b(load);
      SmallVector<Value> indices(load.getIndices());
      Value ahead = b.create<arith::ConstantIndexOp>(load.getLoc(), distance);
      indices[1] = b.create<arith::AddIOp>(load.getLoc(), indices[1], ahead);
      b.create<memref::PrefetchOp>(load.getLoc(), load.getBase(), indices,
                                   /*isWrite=*/false, /*localityHint=*/3,
                                   /*isDataCache=*/true);
    });
  }
};

} // namespace
