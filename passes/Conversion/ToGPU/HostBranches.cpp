//===- HostBranches.cpp - Branches the host takes around kernels ----------===//

#include "passes/Conversion/ToGPU/HostBranches.h"

using namespace mlir;

namespace kiln {

bool isHostBranch(scf::IfOp branch) {
  if (branch.getNumResults() != 0)
    return false;
  WalkResult holdsLoop =
      branch.walk([](scf::ParallelOp) { return WalkResult::interrupt(); });
  return holdsLoop.wasInterrupted();
}

static void collectLoops(Block &block,
                         SmallVectorImpl<scf::ParallelOp> &loops) {
  for (Operation &op : block) {
    if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
      loops.push_back(loop);
      continue;
    }
    if (auto branch = dyn_cast<scf::IfOp>(op); branch && isHostBranch(branch))
      for (Region &region : branch->getRegions())
        for (Block &nested : region)
          collectLoops(nested, loops);
  }
}

SmallVector<scf::ParallelOp> hostParallelLoops(func::FuncOp func) {
  SmallVector<scf::ParallelOp> loops;
  collectLoops(func.getBody().front(), loops);
  return loops;
}

} // namespace kiln
