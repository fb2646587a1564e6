//===- EmulateLaunches.cpp - GPU launches as CPU parallel loops -----------===//
//
// The kiln-gpu-emulate-launches pass, the inverse of
// kiln-gpu-map-parallel-loops for testing: it lets the CPU back end run the
// GPU path's host code and kernels, so that everything the GPU lowering
// adds before outlining is checked numerically where no GPU exists.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_GPUEMULATELAUNCHES
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct GPUEmulateLaunchesPass
    : kiln::impl::GPUEmulateLaunchesBase<GPUEmulateLaunchesPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp launch) {
      launches.push_back(launch);
      return WalkResult::skip();
    });
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(launch, rewriter)))
        return signalPassFailure();
  }

  /// Replaces `launch` by an scf.parallel over its blocks and threads (x
  /// only, the shape kiln-gpu-map-parallel-loops makes).
  LogicalResult emulate(gpu::LaunchOp launch, IRRewriter &rewriter) {
    if (launch.getAsyncToken() || launch.hasClusterSize() ||
        launch.getDynamicSharedMemorySize() ||
        !launch.getWorkgroupAttributions().empty() ||
        !launch.getPrivateAttributions().empty())
      return launch.emitOpError("uses features (async, clusters, shared "
                                "memory) that are not emulated");
    Location loc = launch.getLoc();
    rewriter.setInsertionPoint(launch);
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    for (Value size : {launch.getGridSizeY(), launch.getGridSizeZ(),
                       launch.getBlockSizeY(), launch.getBlockSizeZ()})
      if (!matchPattern(size, m_One()))
        return launch.emitOpError("has a y or z extent other than 1, which "
                                  "is not emulated");
    auto loop = rewriter.create<scf::ParallelOp>(
        loc, ValueRange{zero, zero},
        ValueRange{launch.getGridSizeX(), launch.getBlockSizeX()},
        ValueRange{one, one});
    Block &body = launch.getBody().front();
    IRMapping mapping;
    gpu::KernelDim3 blocks = launch.getBlockIds(), threads = launch.getThreadIds();
    gpu::KernelDim3 gridSize = launch.getGridSizeOperandValues(),
                    blockSize = launch.getBlockSizeOperandValues();
    mapping.map(blocks.x, loop.getInductionVars()[0]);
    mapping.map(threads.x, loop.getInductionVars()[1]);
    for (Value unused : {blocks.y, blocks.z, threads.y, threads.z})
      mapping.map(unused, zero);
    // The body's copies of the launch sizes.
    gpu::KernelDim3 gridArgs = launch.getGridSize(),
                    blockArgs = launch.getBlockSize();
    mapping.map(gridArgs.x, gridSize.x);
    mapping.map(gridArgs.y, gridSize.y);
    mapping.map(gridArgs.z, gridSize.z);
    mapping.map(blockArgs.x, blockSize.x);
    mapping.map(blockArgs.y, blockSize.y);
    mapping.map(blockArgs.z, blockSize.z);
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
    for (Operation &op : body.without_terminator())
      rewriter.clone(op, mapping);
    rewriter.eraseOp(launch);
    return success();
  }
};

} // namespace
