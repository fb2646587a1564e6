//===- EmulateLaunches.cpp - GPU launches as CPU parallel loops -----------===//
//
// The kiln-gpu-emulate-launches pass, the inverse of
// kiln-gpu-map-parallel-loops for testing: it lets the CPU back end run the
// GPU path's host code and kernels, so that everything the GPU lowering
// adds before outlining is checked numerically where no GPU exists.
//
// A kernel with barriers is run as its blocks in parallel, and in each
// block its phases (the code between barriers) one after the other, each a
// loop over the block's threads: exactly what the barriers guarantee on the
// GPU, since no thread passes a barrier before all have reached it.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace kiln {
#define GEN_PASS_DEF_GPUEMULATELAUNCHES
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// `type` without its GPU address space: the CPU has one memory.
Type withoutAddressSpace(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref ||
      !isa_and_nonnull<gpu::AddressSpaceAttr>(memref.getMemorySpace()))
    return type;
  return MemRefType::get(memref.getShape(), memref.getElementType(),
                         memref.getLayout());
}

/// Emulates a launch with barriers or workgroup and private memory: an
/// scf.parallel over blocks, whose body allocates the block's memory and
/// runs each phase as an scf.parallel over the block's threads. Code that
/// no thread index reaches and that has no effect (the block's indices,
/// loop bounds) runs once per block; a loop that holds barriers is run by
/// the block around its phases.
class PhaseEmulator {
public:
  explicit PhaseEmulator(gpu::LaunchOp launch) : launch(launch) {}

  LogicalResult emulate(IRRewriter &rewriter) {
    std::optional<int64_t> threads =
        getConstantIntValue(launch.getBlockSizeX());
    if (!threads)
      return launch.emitOpError("with barriers or block memory needs a "
                                "constant block size to be emulated");
    blockThreads = *threads;
    if (failed(privateToBlockMemory(rewriter)))
      return failure();
    rewriter.setInsertionPoint(launch);
    Location loc = launch.getLoc();
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    auto blocks = rewriter.create<scf::ParallelOp>(
        loc, ValueRange{zero}, ValueRange{launch.getGridSizeX()},
        ValueRange{one});
    OpBuilder builder(blocks.getBody()->getTerminator());
    mapLaunchValues(blocks.getInductionVars()[0], zero);
    for (BlockArgument buffer : launch.getWorkgroupAttributions())
      mapping.map(buffer, builder.create<memref::AllocaOp>(
                              loc, cast<MemRefType>(
                                       withoutAddressSpace(buffer.getType()))));
    threadValues.insert(launch.getThreadIds().x);
    if (failed(emulateBlock(launch.getBody().front(), builder)))
      return failure();
    blocks.walk([](Operation *op) {
      for (Value result : op->getResults())
        result.setType(withoutAddressSpace(result.getType()));
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            arg.setType(withoutAddressSpace(arg.getType()));
    });
    rewriter.eraseOp(launch);
    return success();
  }

private:
  /// Gives each private attribution a block buffer with a slice per thread
  /// (a new workgroup attribution [threads, ...]) and points its loads,
  /// stores and casts at the thread's slice, so that a thread's values
  /// outlive the phase that wrote them. Address spaces are dropped
  /// afterwards, so the slice's workgroup space does not matter.
  LogicalResult privateToBlockMemory(IRRewriter &rewriter) {
    Value thread = launch.getThreadIds().x;
    for (BlockArgument slice :
         llvm::to_vector(launch.getPrivateAttributions())) {
      auto type = cast<MemRefType>(slice.getType());
      SmallVector<int64_t> shape = {blockThreads};
      llvm::append_range(shape, type.getShape());
      Value buffer = launch.addWorkgroupAttribution(
          MemRefType::get(
              shape, type.getElementType(), MemRefLayoutAttrInterface(),
              gpu::AddressSpaceAttr::get(launch.getContext(),
                                         gpu::AddressSpace::Workgroup)),
          slice.getLoc());
      for (OpOperand &use : llvm::make_early_inc_range(slice.getUses()))
        if (failed(redirect(rewriter, *use.getOwner(), buffer, thread)))
          return failure();
    }
    return success();
  }

  /// Rewrites `op`, a user of a private attribution, onto the thread's
  /// slice of `buffer`.
  LogicalResult redirect(IRRewriter &rewriter, Operation &op, Value buffer,
                         Value thread) {
    rewriter.setInsertionPoint(&op);
    auto indices = [&](ValueRange rest) {
      SmallVector<Value> all = {thread};
      llvm::append_range(all, rest);
      return all;
    };
    Location loc = op.getLoc();
    if (auto load = dyn_cast<memref::LoadOp>(op))
      rewriter.replaceOpWithNewOp<memref::LoadOp>(load, buffer,
                                                  indices(load.getIndices()));
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      rewriter.replaceOpWithNewOp<memref::StoreOp>(
          store, store.getValue(), buffer, indices(store.getIndices()));
    else if (auto load = dyn_cast<vector::LoadOp>(op))
      rewriter.replaceOpWithNewOp<vector::LoadOp>(
          load, load.getVectorType(), buffer, indices(load.getIndices()));
    else if (auto store = dyn_cast<vector::StoreOp>(op))
      rewriter.replaceOpWithNewOp<vector::StoreOp>(
          store, store.getValueToStore(), buffer, indices(store.getIndices()));
    else if (auto cast = dyn_cast<memref::CastOp>(op))
      rewriter.replaceOp(cast, threadSlice(rewriter, loc, buffer, thread));
    else
      return op.emitOpError("uses a private attribution other than by "
                            "loads, stores and casts, which is not emulated");
    return success();
  }

  /// The launch's block id, sizes and unused dimensions.
  void mapLaunchValues(Value blockId, Value zero) {
    gpu::KernelDim3 blocks = launch.getBlockIds(),
                    threads = launch.getThreadIds();
    mapping.map(blocks.x, blockId);
    for (Value unused : {blocks.y, blocks.z, threads.y, threads.z})
      mapping.map(unused, zero);
    gpu::KernelDim3 gridArgs = launch.getGridSize(),
                    blockArgs = launch.getBlockSize();
    gpu::KernelDim3 gridSize = launch.getGridSizeOperandValues(),
                    blockSize = launch.getBlockSizeOperandValues();
    // Named arrays: a range-for over zip of braced temporaries would read
    // them after their lifetime ends.
    Value args[] = {gridArgs.x,  gridArgs.y,  gridArgs.z,
                    blockArgs.x, blockArgs.y, blockArgs.z};
    Value sizes[] = {gridSize.x,  gridSize.y,  gridSize.z,
                     blockSize.x, blockSize.y, blockSize.z};
    for (auto [arg, size] : llvm::zip(args, sizes))
      mapping.map(arg, size);
  }

  /// Whether every thread must run `op` for itself: it has effects or
  /// reads a value that differs between threads.
  bool perThread(Operation &op) const {
    return !isMemoryEffectFree(&op) ||
           llvm::any_of(usedValues(op), [&](Value value) {
             return threadValues.contains(value);
           });
  }

  /// Emulates the ops of `source` at `builder`'s insertion point, in the
  /// block's scope.
  LogicalResult emulateBlock(Block &source, OpBuilder &builder) {
    scf::ParallelOp phase;
    for (Operation &op : source.without_terminator()) {
      if (isa<gpu::BarrierOp>(op)) {
        phase = nullptr;
        continue;
      }
      bool holdsBarrier = false;
      op.walk([&](gpu::BarrierOp) { holdsBarrier = true; });
      if (holdsBarrier) {
        phase = nullptr;
        if (failed(emulateLoop(op, builder)))
          return failure();
        continue;
      }
      if (!perThread(op)) {
        OpBuilder::InsertionGuard guard(builder);
        if (phase)
          builder.setInsertionPoint(phase);
        builder.clone(op, mapping);
        continue;
      }
      for (Value operand : usedValues(op))
        if (definedIn.lookup(operand) && definedIn.lookup(operand) != phase)
          return op.emitOpError("uses a value of a thread computed before a "
                                "barrier, which is not emulated");
      if (!phase)
        phase = openPhase(builder, op.getLoc());
      OpBuilder inside(phase.getBody()->getTerminator());
      inside.clone(op, mapping);
      for (Value result : op.getResults()) {
        threadValues.insert(result);
        definedIn[result] = phase;
      }
    }
    return success();
  }

  /// The values `op` reads: its operands and those its regions use from
  /// above.
  SmallVector<Value> usedValues(Operation &op) const {
    llvm::SetVector<Value> used(op.operand_begin(), op.operand_end());
    getUsedValuesDefinedAbove(op.getRegions(), used);
    return used.takeVector();
  }

  /// A loop around barriers, run by the block: its phases inside it.
  LogicalResult emulateLoop(Operation &op, OpBuilder &builder) {
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop || loop.getNumRegionIterArgs() != 0 || perThreadBounds(loop))
      return op.emitOpError("holds barriers but is not an scf.for that all "
                            "threads run alike, which is not emulated");
    auto clone = builder.create<scf::ForOp>(
        loop.getLoc(), mapping.lookupOrDefault(loop.getLowerBound()),
        mapping.lookupOrDefault(loop.getUpperBound()),
        mapping.lookupOrDefault(loop.getStep()));
    mapping.map(loop.getInductionVar(), clone.getInductionVar());
    OpBuilder inside(clone.getBody()->getTerminator());
    return emulateBlock(*loop.getBody(), inside);
  }

  bool perThreadBounds(scf::ForOp loop) const {
    return llvm::any_of(loop->getOperands(), [&](Value bound) {
      return threadValues.contains(bound);
    });
  }

  /// A new phase: a loop over the block's threads.
  scf::ParallelOp openPhase(OpBuilder &builder, Location loc) {
    Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
    Value one = builder.create<arith::ConstantIndexOp>(loc, 1);
    Value count = builder.create<arith::ConstantIndexOp>(loc, blockThreads);
    auto phase = builder.create<scf::ParallelOp>(
        loc, ValueRange{zero}, ValueRange{count}, ValueRange{one});
    mapping.map(launch.getThreadIds().x, phase.getInductionVars()[0]);
    return phase;
  }

  /// `buffer`[thread], rank-reduced.
  static Value threadSlice(OpBuilder &builder, Location loc, Value buffer,
                           Value thread) {
    auto type = cast<MemRefType>(buffer.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), builder.getIndexAttr(0));
    offsets[0] = thread;
    SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(1)};
    for (int64_t size : type.getShape().drop_front())
      sizes.push_back(builder.getIndexAttr(size));
    SmallVector<OpFoldResult> strides(type.getRank(), builder.getIndexAttr(1));
    auto sliceType =
        cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
            type.getShape().drop_front(), type, offsets, sizes, strides));
    return builder.create<memref::SubViewOp>(loc, sliceType, buffer, offsets,
                                             sizes, strides);
  }

  gpu::LaunchOp launch;
  int64_t blockThreads = 0;
  IRMapping mapping;
  /// Values that differ between the threads of a block, and the phase
  /// that computes each of those the launch body defines.
  DenseSet<Value> threadValues;
  DenseMap<Value, scf::ParallelOp> definedIn;
};

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
  /// only, the shape kiln-gpu-map-parallel-loops makes), or over its blocks
  /// with its phases inside when it has barriers or block memory.
  LogicalResult emulate(gpu::LaunchOp launch, IRRewriter &rewriter) {
    if (launch.getAsyncToken() || launch.hasClusterSize() ||
        launch.getDynamicSharedMemorySize())
      return launch.emitOpError("uses features (async, clusters, dynamic "
                                "shared memory) that are not emulated");
    Location loc = launch.getLoc();
    rewriter.setInsertionPoint(launch);
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    for (Value size : {launch.getGridSizeY(), launch.getGridSizeZ(),
                       launch.getBlockSizeY(), launch.getBlockSizeZ()})
      if (!matchPattern(size, m_One()))
        return launch.emitOpError("has a y or z extent other than 1, which "
                                  "is not emulated");
    bool barriers = false;
    launch.walk([&](gpu::BarrierOp) { barriers = true; });
    if (barriers || !launch.getWorkgroupAttributions().empty() ||
        !launch.getPrivateAttributions().empty())
      return PhaseEmulator(launch).emulate(rewriter);
    auto loop = rewriter.create<scf::ParallelOp>(
        loc, ValueRange{zero, zero},
        ValueRange{launch.getGridSizeX(), launch.getBlockSizeX()},
        ValueRange{one, one});
    Block &body = launch.getBody().front();
    IRMapping mapping;
    gpu::KernelDim3 blocks = launch.getBlockIds(),
                    threads = launch.getThreadIds();
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
