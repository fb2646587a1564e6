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
#include "mlir/IR/ImplicitLocOpBuilder.h"

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
      ImplicitLocOpBuilder b(load.getLoc(), load);
      SmallVector<Value> ahead(load.getIndices());
      ahead[1] = b.create<arith::AddIOp>(
          ahead[1], b.create<arith::ConstantIndexOp>(distance));
      b.create<memref::PrefetchOp>(load.getBase(), ahead, /*isWrite=*/false,
                                   /*localityHint=*/3, /*isDataCache=*/true);
      // The same row of the next panel, into the outer caches: a second
      // stream per thread, since one sequential stream alone did not keep
      // enough cache-line requests in flight (bench/README.md, decode).
      SmallVector<Value> nextPanel(load.getIndices());
      nextPanel[0] = b.create<arith::AddIOp>(
          nextPanel[0], b.create<arith::ConstantIndexOp>(1));
      b.create<memref::PrefetchOp>(load.getBase(), nextPanel,
                                   /*isWrite=*/false, /*localityHint=*/1,
                                   /*isDataCache=*/true);
    });
  }
};

} // namespace
