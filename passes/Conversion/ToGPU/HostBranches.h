//===- HostBranches.h - Branches the host takes around kernels --*- C++ -*-===//
//
// A model function's host code launches the kernels: its top-level parallel
// loops, and those in host branches, scf.if ops on host values whose blocks
// hold parallel loops (kiln_pack's choice of the buffer to fill). Both
// kiln-gpu-wrap-serial-code and kiln-gpu-map-parallel-loops look into such
// branches as into the function's block.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOGPU_HOSTBRANCHES_H
#define KILN_PASSES_CONVERSION_TOGPU_HOSTBRANCHES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {

/// Whether `branch`, an op of host code, has no results and holds a
/// parallel loop: its blocks are host code too where its condition is.
bool isHostBranch(mlir::scf::IfOp branch);

/// The parallel loops of `func`'s block and, recursively, of the blocks of
/// its host branches, in order.
llvm::SmallVector<mlir::scf::ParallelOp>
hostParallelLoops(mlir::func::FuncOp func);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOGPU_HOSTBRANCHES_H
