//===- WrapSerialCode.cpp - Host code on device memory into loops ---------===//
//
// The kiln-gpu-wrap-serial-code pass. Once buffers live in GPU memory
// (kiln-gpu-device-buffers), every top-level op of a model function that
// reads or writes them must run on the device: copies as parallel loops,
// everything else as one-iteration parallel loops, which the next pass maps
// to kernels like the loops the lowering made parallel itself. A host
// branch (kiln_pack's choice of the buffer to fill) stays on the host and
// its blocks are handled like the function's, so that its parallel loops
// stay parallel.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/HostBranches.h"
#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace kiln {
#define GEN_PASS_DEF_GPUWRAPSERIALCODE
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The buffer `memref` views, through view-like ops.
Value rootBuffer(Value memref) {
  while (Operation *def = memref.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      memref = view.getViewSource();
    else if (auto reshape = dyn_cast<memref::ReshapeOp>(def))
      memref = reshape.getSource();
    else
      break;
  }
  return memref;
}

/// Whether `memref`, used inside `top`, is device memory: anything but a
/// host stack array of the function's block and scratch that `top`
/// allocates itself.
bool isDeviceMemory(Value memref, Operation *top, Block &body) {
  Value root = rootBuffer(memref);
  Operation *def = root.getDefiningOp();
  if (!def)
    return root.getParentBlock() == &body;
  if (top->isAncestor(def))
    return false;
  // The host keeps its own copy of a constant global, so it may read one.
  if (auto global = dyn_cast<memref::GetGlobalOp>(def)) {
    auto symbol = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        def, global.getNameAttr());
    return !symbol || !symbol.getConstant();
  }
  return !isa<memref::AllocaOp>(def);
}

/// Whether the top-level op `top` reads or writes device memory.
bool touchesDevice(Operation *top, Block &body) {
  if (isa<scf::ParallelOp>(top))
    return false;
  WalkResult result = top->walk([&](Operation *op) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects)
      return WalkResult::advance();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (MemoryEffects::EffectInstance &effect : instances) {
      if (!isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect()))
        continue;
      Value value = effect.getValue();
      if (value && isa<BaseMemRefType>(value.getType()) &&
          isDeviceMemory(value, top, body))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Replaces a top-level memref.copy by a parallel loop nest over its
/// elements.
void copyInParallel(memref::CopyOp copy, IRRewriter &rewriter) {
  Location loc = copy.getLoc();
  rewriter.setInsertionPoint(copy);
  Value source = copy.getSource(), target = copy.getTarget();
  auto type = cast<MemRefType>(source.getType());
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
  SmallVector<Value> lower, upper, steps;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    lower.push_back(zero);
    upper.push_back(rewriter.createOrFold<memref::DimOp>(loc, source, d));
    steps.push_back(one);
  }
  // A scalar is copied by one iteration.
  if (type.getRank() == 0) {
    lower.push_back(zero);
    upper.push_back(one);
    steps.push_back(one);
  }
  rewriter.create<scf::ParallelOp>(
      loc, lower, upper, steps,
      [&](OpBuilder &builder, Location loc, ValueRange indices) {
        ValueRange elementIndices =
            type.getRank() == 0 ? ValueRange() : indices;
        Value element =
            builder.create<memref::LoadOp>(loc, source, elementIndices);
        builder.create<memref::StoreOp>(loc, element, target, elementIndices);
      });
  rewriter.eraseOp(copy);
}

struct GPUWrapSerialCodePass
    : kiln::impl::GPUWrapSerialCodeBase<GPUWrapSerialCodePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (failed(wrapBlock(func.getBody().front(), func.getBody().front())))
      signalPassFailure();
  }

  /// Wraps the device code of `block`, the function's `entry` block or a
  /// block of a host branch in it.
  LogicalResult wrapBlock(Block &block, Block &entry) {
    IRRewriter rewriter(&getContext());
    for (auto copy : llvm::make_early_inc_range(block.getOps<memref::CopyOp>()))
      if (touchesDevice(copy, entry))
        copyInParallel(copy, rewriter);

    // A run of device code goes on past frees, which can wait until after
    // it, past allocations, which can come before it, and past host
    // computations, which can go before it if they do not depend on it or
    // join it if they do.
    SmallVector<Operation *> run, before, after;
    llvm::SmallPtrSet<Operation *, 16> inRun;
    auto dependsOnRun = [&](Operation *op) {
      return llvm::any_of(op->getOperands(), [&](Value operand) {
        Operation *def = operand.getDefiningOp();
        return def && inRun.contains(def);
      });
    };
    auto flush = [&]() -> LogicalResult {
      if (!run.empty()) {
        for (Operation *op : before)
          op->moveBefore(run.front());
        for (Operation *op : llvm::reverse(after))
          op->moveAfter(run.back());
        if (failed(wrap(run, rewriter)))
          return failure();
      }
      run.clear();
      before.clear();
      after.clear();
      inRun.clear();
      return success();
    };
    for (Operation &op :
         llvm::make_early_inc_range(block.without_terminator())) {
      if (auto branch = dyn_cast<scf::IfOp>(op);
          branch && kiln::isHostBranch(branch) && !dependsOnRun(branch)) {
        if (failed(flush()))
          return failure();
        for (Region &region : branch->getRegions())
          for (Block &nested : region)
            if (failed(wrapBlock(nested, entry)))
              return failure();
        continue;
      }
      bool device = touchesDevice(&op, entry);
      bool pure = isPure(&op) && op.getNumRegions() == 0;
      if (device || (!run.empty() && pure && dependsOnRun(&op))) {
        run.push_back(&op);
        inRun.insert(&op);
      } else if (!run.empty() && (pure || isa<gpu::AllocOp>(op)) &&
                 !dependsOnRun(&op)) {
        before.push_back(&op);
      } else if (!run.empty() && isa<gpu::DeallocOp>(op)) {
        after.push_back(&op);
      } else if (failed(flush())) {
        return failure();
      }
    }
    return flush();
  }

  /// Moves the ops of `run` (consecutive in the function's block once the
  /// ops between them have moved aside) into one one-iteration parallel
  /// loop.
  LogicalResult wrap(ArrayRef<Operation *> run, IRRewriter &rewriter) {
    llvm::SmallPtrSet<Operation *, 8> inRun(run.begin(), run.end());
    Block &body = *run.front()->getBlock();
    for (Operation *op : run)
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (!inRun.contains(body.findAncestorOpInBlock(*user)))
            return op->emitOpError("reads GPU memory to compute a value that "
                                   "the host uses afterwards; the GPU path "
                                   "cannot compile this yet");
    Location loc = run.front()->getLoc();
    rewriter.setInsertionPoint(run.front());
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    auto loop = rewriter.create<scf::ParallelOp>(
        loc, ValueRange{zero}, ValueRange{one}, ValueRange{one});
    for (Operation *op : run)
      op->moveBefore(loop.getBody()->getTerminator());
    return success();
  }
};

} // namespace
