//===- MapParallelLoops.cpp - Parallel loop nests to gpu.launch -----------===//
//
// The kiln-gpu-map-parallel-loops pass. The loops stage makes the
// independent outer loops of every kernel one scf.parallel (for OpenMP on
// the CPU); on the GPU each of its iterations becomes a thread. The
// iteration space is linearized rather than mapped dimension by dimension
// onto the grid, so any rank and any extent fits the grid's x dimension.
//
// A block loop (the GEMM's form, BlockGemm.cpp) is the two-level case: its
// iterations become thread blocks, its workgroup and private buffers the
// launch's attributions, and the scf.parallel loops in its body phases of
// the block's threads, separated by barriers because each phase must see
// everything the one before it wrote to workgroup memory.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/HostBranches.h"
#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
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
/// vector.constant_mask (a static tail mask, once canonicalized) is a
/// constant without the ConstantLike trait: left outside, it would become
/// a vector<Nxi1> kernel argument, and the host pipeline has no vector
/// lowering for it.
void cloneNamedDataInto(gpu::LaunchOp launch, OpBuilder &builder) {
  Region &region = launch.getBody();
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(region, captured);
  builder.setInsertionPointToStart(&region.front());
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (!def || !(isa<memref::GetGlobalOp, vector::ConstantMaskOp>(def) ||
                  def->hasTrait<OpTrait::ConstantLike>()))
      continue;
    Value copy = builder.clone(*def)->getResult(0);
    replaceAllUsesInRegionWith(value, copy, region);
  }
}

/// The GPU address space of a memref allocated by `op`, if any.
std::optional<gpu::AddressSpace> addressSpaceOf(Operation *op) {
  auto alloca = dyn_cast<memref::AllocaOp>(op);
  if (!alloca)
    return std::nullopt;
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(
      alloca.getType().getMemorySpace());
  if (!space)
    return std::nullopt;
  return space.getValue();
}

/// Whether `loop` is a block loop: its body allocates workgroup or private
/// memory for its threads.
bool isBlockLoop(scf::ParallelOp loop) {
  return llvm::any_of(loop.getBody()->without_terminator(), [](Operation &op) {
    return addressSpaceOf(&op).has_value();
  });
}

/// The trip counts of `loop`'s dimensions and their product, folded where
/// the bounds are constants.
struct TripCounts {
  SmallVector<Value> counts;
  Value total;
  std::optional<int64_t> staticTotal;
};

TripCounts tripCounts(IRRewriter &rewriter, scf::ParallelOp loop) {
  Location loc = loop.getLoc();
  TripCounts trips;
  trips.staticTotal = 1;
  trips.total = rewriter.create<arith::ConstantIndexOp>(loc, 1);
  for (auto [lower, upper, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    Value span = rewriter.createOrFold<arith::SubIOp>(loc, upper, lower);
    Value count = rewriter.createOrFold<arith::MaxSIOp>(
        loc, rewriter.createOrFold<arith::CeilDivSIOp>(loc, span, step),
        rewriter.create<arith::ConstantIndexOp>(loc, 0));
    trips.counts.push_back(count);
    trips.total = rewriter.createOrFold<arith::MulIOp>(loc, trips.total, count);
    std::optional<int64_t> constant = getConstantIntValue(count);
    trips.staticTotal =
        trips.staticTotal && constant
            ? std::optional<int64_t>(*trips.staticTotal * *constant)
            : std::nullopt;
  }
  return trips;
}

/// Maps `loop`'s induction variables to the indices of linear iteration
/// `id`, row-major: the last loop dimension varies fastest, so neighbouring
/// threads touch neighbouring elements.
void delinearize(IRRewriter &rewriter, scf::ParallelOp loop,
                 ArrayRef<Value> counts, Value id, IRMapping &mapping) {
  Location loc = loop.getLoc();
  Value rest = id;
  for (int64_t d = counts.size() - 1; d >= 0; --d) {
    Value position =
        d == 0 ? rest
               : rewriter.createOrFold<arith::RemUIOp>(loc, rest, counts[d]);
    if (d > 0)
      rest = rewriter.createOrFold<arith::DivUIOp>(loc, rest, counts[d]);
    Value iv = rewriter.createOrFold<arith::AddIOp>(
        loc, loop.getLowerBound()[d],
        rewriter.createOrFold<arith::MulIOp>(loc, position, loop.getStep()[d]));
    mapping.map(loop.getInductionVars()[d], iv);
  }
}

/// Places `rewriter` inside an scf.if on `condition`, created at its
/// insertion point.
void enterIf(IRRewriter &rewriter, Location loc, Value condition) {
  auto guard = rewriter.create<scf::IfOp>(loc, condition);
  rewriter.setInsertionPointToStart(&guard.getThenRegion().front());
}

/// Whether `op` is or holds a phase (a thread loop) of a block loop.
bool holdsPhase(Operation &op) {
  bool found = false;
  op.walk([&](scf::ParallelOp) { found = true; });
  return found;
}

/// A block loop's iterations as thread blocks (see the file comment).
class BlockMapper {
public:
  explicit BlockMapper(scf::ParallelOp loop) : loop(loop) {}

  /// Checks the block loop's form and finds its thread count.
  LogicalResult verify() {
    for (Operation &op : loop.getBody()->without_terminator()) {
      std::optional<gpu::AddressSpace> space = addressSpaceOf(&op);
      if (!space)
        continue;
      if (*space == gpu::AddressSpace::Private)
        privateBuffers.push_back(cast<memref::AllocaOp>(op));
      else if (*space == gpu::AddressSpace::Workgroup)
        workgroupBuffers.push_back(cast<memref::AllocaOp>(op));
      else
        return op.emitOpError("allocates global memory in a block loop");
    }
    if (failed(verifyBlockCode(*loop.getBody())))
      return failure();
    if (threads == 0)
      return loop.emitOpError("is a block loop without thread loops");
    for (memref::AllocaOp buffer : privateBuffers)
      if (failed(verifyPrivate(buffer)))
        return failure();
    return success();
  }

  void map(IRRewriter &rewriter) {
    Location loc = loop.getLoc();
    rewriter.setInsertionPoint(loop);
    TripCounts blocks = tripCounts(rewriter, loop);
    if (blocks.staticTotal == 0) {
      rewriter.eraseOp(loop);
      return;
    }
    if (!blocks.staticTotal)
      enterIf(rewriter, loc,
              rewriter.create<arith::CmpIOp>(
                  loc, arith::CmpIPredicate::sgt, blocks.total,
                  rewriter.create<arith::ConstantIndexOp>(loc, 0)));
    SmallVector<Type> workgroup, perThread;
    for (memref::AllocaOp buffer : workgroupBuffers)
      workgroup.push_back(buffer.getType());
    for (memref::AllocaOp buffer : privateBuffers) {
      MemRefType type = buffer.getType();
      perThread.push_back(
          MemRefType::get(type.getShape().drop_front(), type.getElementType(),
                          MemRefLayoutAttrInterface(), type.getMemorySpace()));
    }
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    launch = rewriter.create<gpu::LaunchOp>(
        loc, blocks.total, one, one,
        rewriter.create<arith::ConstantIndexOp>(loc, threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        ValueRange(), workgroup, perThread);
    Block &kernel = launch.getBody().front();
    rewriter.setInsertionPointToStart(&kernel);
    rewriter.create<gpu::TerminatorOp>(loc);
    rewriter.setInsertionPointToStart(&kernel);
    IRMapping mapping;
    delinearize(rewriter, loop, blocks.counts, launch.getBlockIds().x, mapping);
    for (auto [buffer, attribution] :
         llvm::zip(workgroupBuffers, launch.getWorkgroupAttributions()))
      mapping.map(buffer.getResult(), attribution);
    mapBlockCode(rewriter, *loop.getBody(), mapping, /*topLevel=*/true);
    replaceThreadSlices(rewriter);
    rewriter.eraseOp(loop);
  }

  gpu::LaunchOp getLaunch() const { return launch; }

private:
  /// Code of the block outside its thread loops runs on every thread of
  /// the block, so it may only compute values and loop over phases.
  LogicalResult verifyBlockCode(Block &block) {
    for (Operation &op : block.without_terminator()) {
      if (auto phase = dyn_cast<scf::ParallelOp>(op)) {
        if (failed(verifyPhase(phase)))
          return failure();
      } else if (auto steps = dyn_cast<scf::ForOp>(op);
                 steps && holdsPhase(op)) {
        if (steps.getNumRegionIterArgs() != 0)
          return op.emitOpError("around thread loops carries values, which "
                                "is not mapped");
        if (failed(verifyBlockCode(*steps.getBody())))
          return failure();
      } else if (holdsPhase(op)) {
        return op.emitOpError("holds thread loops of a block loop; only "
                              "scf.for may");
      } else if (!addressSpaceOf(&op) && !isMemoryEffectFree(&op)) {
        return op.emitOpError("has memory effects outside the thread loops "
                              "of a block loop");
      }
    }
    return success();
  }

  LogicalResult verifyPhase(scf::ParallelOp phase) {
    if (phase.getNumReductions() != 0)
      return phase.emitOpError("with reductions cannot be mapped to GPU "
                               "threads");
    std::optional<int64_t> total = staticTripCount(phase);
    if (!total || *total < 1 || *total > 1024)
      return phase.emitOpError("in a block loop needs a constant trip count "
                               "between 1 and 1024 (the block's threads)");
    threads = std::max(threads, *total);
    return success();
  }

  static std::optional<int64_t> staticTripCount(scf::ParallelOp phase) {
    int64_t total = 1;
    for (auto [lower, upper, step] : llvm::zip(
             phase.getLowerBound(), phase.getUpperBound(), phase.getStep())) {
      std::optional<int64_t> lb = getConstantIntValue(lower),
                             ub = getConstantIntValue(upper),
                             st = getConstantIntValue(step);
      if (!lb || !ub || !st || *st < 1)
        return std::nullopt;
      total *= std::max<int64_t>(0, (*ub - *lb + *st - 1) / *st);
    }
    return total;
  }

  /// A private buffer holds a slice per thread: [threads, ...], read and
  /// written only through its thread's slice.
  LogicalResult verifyPrivate(memref::AllocaOp buffer) {
    MemRefType type = buffer.getType();
    if (!type.hasStaticShape() || type.getRank() < 2 ||
        type.getDimSize(0) != threads)
      return buffer.emitOpError("of private memory must have a static shape "
                                "led by the block's ")
             << threads << " threads";
    for (Operation *user : buffer->getUsers()) {
      auto slice = dyn_cast<memref::SubViewOp>(user);
      auto phase = user->getParentOfType<scf::ParallelOp>();
      if (!slice || !phase || phase == loop || phase.getNumLoops() != 1 ||
          !isConstantIntValue(phase.getLowerBound()[0], 0) ||
          !isConstantIntValue(phase.getStep()[0], 1) ||
          slice.getMixedOffsets()[0] !=
              OpFoldResult(phase.getInductionVars()[0]) ||
          !isConstantIntValue(slice.getMixedSizes()[0], 1))
        return user->emitOpError("uses a private buffer other than as the "
                                 "slice of its thread in a 1-D thread loop");
    }
    return success();
  }

  /// Clones `block` (the block loop's body or a K loop's) into the launch:
  /// thread loops as phases of the launch's threads with a barrier after
  /// each, but for the last phase of the kernel.
  void mapBlockCode(IRRewriter &rewriter, Block &block, IRMapping &mapping,
                    bool topLevel) {
    Operation *lastPhase = nullptr;
    for (Operation &op : block.without_terminator())
      if (holdsPhase(op))
        lastPhase = &op;
    for (Operation &op : block.without_terminator()) {
      if (addressSpaceOf(&op))
        continue;
      if (auto phase = dyn_cast<scf::ParallelOp>(op)) {
        mapPhase(rewriter, phase, mapping);
        if (!topLevel || &op != lastPhase)
          rewriter.create<gpu::BarrierOp>(op.getLoc());
      } else if (auto steps = dyn_cast<scf::ForOp>(op);
                 steps && holdsPhase(op)) {
        auto clone = rewriter.create<scf::ForOp>(
            steps.getLoc(), mapping.lookupOrDefault(steps.getLowerBound()),
            mapping.lookupOrDefault(steps.getUpperBound()),
            mapping.lookupOrDefault(steps.getStep()));
        mapping.map(steps.getInductionVar(), clone.getInductionVar());
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPoint(clone.getBody()->getTerminator());
        mapBlockCode(rewriter, *steps.getBody(), mapping, /*topLevel=*/false);
      } else {
        rewriter.clone(op, mapping);
      }
    }
  }

  /// One phase: the thread loop's body for the launch's thread id, threads
  /// past its trip count idle.
  void mapPhase(IRRewriter &rewriter, scf::ParallelOp phase,
                IRMapping &mapping) {
    OpBuilder::InsertionGuard guard(rewriter);
    Location loc = phase.getLoc();
    TripCounts trips = tripCounts(rewriter, phase);
    Value thread = launch.getThreadIds().x;
    if (*trips.staticTotal < threads)
      enterIf(rewriter, loc,
              rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult,
                                             thread, trips.total));
    delinearize(rewriter, phase, trips.counts, thread, mapping);
    for (Operation &op : phase.getBody()->without_terminator())
      rewriter.clone(op, mapping);
  }

  /// Each thread's slice of a private buffer becomes its private
  /// attribution (cast to the slice's strided type).
  void replaceThreadSlices(IRRewriter &rewriter) {
    for (auto [buffer, attribution] :
         llvm::zip(privateBuffers, launch.getPrivateAttributions())) {
      for (Operation *user : llvm::make_early_inc_range(buffer->getUsers())) {
        if (!launch->isProperAncestor(user))
          continue;
        auto slice = cast<memref::SubViewOp>(user);
        rewriter.setInsertionPoint(slice);
        rewriter.replaceOpWithNewOp<memref::CastOp>(slice, slice.getType(),
                                                    attribution);
      }
    }
  }

  scf::ParallelOp loop;
  gpu::LaunchOp launch;
  SmallVector<memref::AllocaOp> workgroupBuffers, privateBuffers;
  int64_t threads = 0;
};

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
    for (scf::ParallelOp loop : kiln::hostParallelLoops(func)) {
      if (loop.getNumReductions() != 0) {
        loop.emitOpError("with reductions cannot be mapped to GPU threads");
        return signalPassFailure();
      }
      if (!isBlockLoop(loop)) {
        map(loop);
        continue;
      }
      BlockMapper blocks(loop);
      if (failed(blocks.verify()))
        return signalPassFailure();
      IRRewriter rewriter(loop);
      blocks.map(rewriter);
      if (gpu::LaunchOp launch = blocks.getLaunch())
        cloneNamedDataInto(launch, rewriter);
    }
  }

  void map(scf::ParallelOp loop) {
    IRRewriter rewriter(loop);
    Location loc = loop.getLoc();
    auto index = [&](int64_t value) -> Value {
      return rewriter.create<arith::ConstantIndexOp>(loc, value);
    };
    TripCounts trips = tripCounts(rewriter, loop);
    if (trips.staticTotal == 0) {
      rewriter.eraseOp(loop);
      return;
    }
    int64_t threads = trips.staticTotal
                          ? std::min(*trips.staticTotal, blockSize.getValue())
                          : blockSize.getValue();
    Value blockThreads = index(threads);
    Value grid = rewriter.createOrFold<arith::CeilDivUIOp>(loc, trips.total,
                                                           blockThreads);
    // An empty grid is an invalid launch: skip it.
    if (!trips.staticTotal)
      enterIf(rewriter, loc,
              rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt,
                                             trips.total, index(0)));
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
    if (!trips.staticTotal || *trips.staticTotal % threads != 0)
      enterIf(rewriter, loc,
              rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, id,
                                             trips.total));
    IRMapping mapping;
    delinearize(rewriter, loop, trips.counts, id, mapping);
    for (Operation &op : loop.getBody()->without_terminator())
      rewriter.clone(op, mapping);
    rewriter.eraseOp(loop);
    cloneNamedDataInto(launch, rewriter);
  }
};

} // namespace
