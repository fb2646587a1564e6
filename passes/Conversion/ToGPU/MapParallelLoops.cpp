//===- MapParallelLoops.cpp - Parallel loop nests to gpu.launch -----------===//
//
// The kiln-gpu-map-parallel-loops pass. The loops stage makes the
// independent outer loops of every kernel one scf.parallel (for OpenMP on
// the CPU); on the GPU each of its iterations becomes a thread. The
// iteration space is linearized rather than mapped dimension by dimension
// onto the grid, so any rank and any extent fits the grid's x dimension.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

namespace kiln {
#define GEN_PASS_DEF_GPUMAPPARALLELLOOPS
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Clones the constants and memref.get_global ops that `launch` uses from
/// above into its body: they name data rather than carry host values, and
/// a kernel needs its own copy (outlining then brings the global along).
void cloneNamedDataInto(gpu::LaunchOp launch, OpBuilder &builder) {
  Region &region = launch.getBody();
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(region, captured);
  builder.setInsertionPointToStart(&region.front());
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (!def || !(isa<memref::GetGlobalOp>(def) ||
                  def->hasTrait<OpTrait::ConstantLike>()))
      continue;
    Value copy = builder.clone(*def)->getResult(0);
    replaceAllUsesInRegionWith(value, copy, region);
  }
}

struct GPUMapParallelLoopsPass
    : kiln::impl::GPUMapParallelLoopsBase<GPUMapParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 1 || blockSize > 1024) {
      getOperation().emitError("block-size must be between 1 and 1024 "
                               "threads, got ")
          << blockSize.getValue();
      return signalPassFailure();
    }
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    SmallVector<scf::ParallelOp> loops(
        func.getBody().front().getOps<scf::ParallelOp>());
    for (scf::ParallelOp loop : loops) {
      if (loop.getNumReductions() != 0) {
        loop.emitOpError("with reductions cannot be mapped to GPU threads");
        return signalPassFailure();
      }
      map(loop);
    }
  }

  void map(scf::ParallelOp loop) {
    IRRewriter rewriter(loop);
    Location loc = loop.getLoc();
    auto index = [&](int64_t value) -> Value {
      return rewriter.create<arith::ConstantIndexOp>(loc, value);
    };
    // Trip counts, folded where the bounds are constants.
    SmallVector<Value> counts;
    std::optional<int64_t> staticTotal = 1;
    Value total = index(1);
    for (auto [lower, upper, step] :
         llvm::zip(loop.getLowerBound(), loop.getUpperBound(),
                   loop.getStep())) {
      Value span = rewriter.createOrFold<arith::SubIOp>(loc, upper, lower);
      Value count = rewriter.createOrFold<arith::MaxSIOp>(
          loc, rewriter.createOrFold<arith::CeilDivSIOp>(loc, span, step),
          index(0));
      counts.push_back(count);
      total = rewriter.createOrFold<arith::MulIOp>(loc, total, count);
      std::optional<int64_t> constant = getConstantIntValue(count);
      staticTotal = staticTotal && constant
                        ? std::optional<int64_t>(*staticTotal * *constant)
                        : std::nullopt;
    }
    if (staticTotal == 0) {
      rewriter.eraseOp(loop);
      return;
    }
    int64_t threads = staticTotal ? std::min(*staticTotal, blockSize.getValue())
                                  : blockSize.getValue();
    Value blockThreads = index(threads);
    Value grid = rewriter.createOrFold<arith::CeilDivUIOp>(loc, total,
                                                           blockThreads);
    // An empty grid is an invalid launch: skip it.
    if (!staticTotal) {
      Value any = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt,
                                                 total, index(0));
      auto guard = rewriter.create<scf::IfOp>(loc, any);
      rewriter.setInsertionPointToStart(&guard.getThenRegion().front());
    }
    Value one = index(1);
    auto launch = rewriter.create<gpu::LaunchOp>(loc, grid, one, one,
                                                 blockThreads, one, one);
    Block &kernel = launch.getBody().front();
    rewriter.setInsertionPointToStart(&kernel);
    rewriter.create<gpu::TerminatorOp>(loc);
    rewriter.setInsertionPointToStart(&kernel);
    Value id = rewriter.create<arith::AddIOp>(
        loc,
        rewriter.create<arith::MulIOp>(loc, launch.getBlockIds().x,
                                       blockThreads),
        launch.getThreadIds().x);
    // The last block's threads past the end do nothing.
    if (!staticTotal || *staticTotal % threads != 0) {
      Value inside = rewriter.create<arith::CmpIOp>(
          loc, arith::CmpIPredicate::ult, id, total);
      auto guard = rewriter.create<scf::IfOp>(loc, inside);
      rewriter.setInsertionPointToStart(&guard.getThenRegion().front());
    }
    // Row-major delinearization: the last loop dimension varies fastest,
    // so neighbouring threads touch neighbouring elements.
    IRMapping mapping;
    Value rest = id;
    for (int64_t d = counts.size() - 1; d >= 0; --d) {
      Value position =
          d == 0 ? rest
                 : rewriter.createOrFold<arith::RemUIOp>(loc, rest, counts[d]);
      if (d > 0)
        rest = rewriter.createOrFold<arith::DivUIOp>(loc, rest, counts[d]);
      Value iv = rewriter.createOrFold<arith::AddIOp>(
          loc, loop.getLowerBound()[d],
          rewriter.createOrFold<arith::MulIOp>(loc, position,
                                               loop.getStep()[d]));
      mapping.map(loop.getInductionVars()[d], iv);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      rewriter.clone(op, mapping);
    rewriter.eraseOp(loop);
    cloneNamedDataInto(launch, rewriter);
  }
};

} // namespace
