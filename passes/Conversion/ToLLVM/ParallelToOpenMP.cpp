//===- ParallelToOpenMP.cpp - Parallel loops to OpenMP, with schedules ----===//
//
// The kiln-parallel-to-openmp pass (Passes.td): upstream's
// convert-scf-to-openmp, then schedule(guided) for the worksharing loops
// of the parallel loops marked kiln.guided_schedule. The conversion drops
// the marks, so a marked loop is remembered by the first op of its body,
// which the conversion moves into the worksharing loop unchanged.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Pass/PassManager.h"

namespace kiln {
#define GEN_PASS_DEF_PARALLELTOOPENMP
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct ParallelToOpenMPPass
    : kiln::impl::ParallelToOpenMPBase<ParallelToOpenMPPass> {
  void runOnOperation() override {
    SmallVector<Operation *> guidedBodies;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->hasAttr(kiln::kGuidedScheduleAttr))
        guidedBodies.push_back(&loop.getBody()->front());
    });
    OpPassManager conversion(ModuleOp::getOperationName());
    conversion.addPass(createConvertSCFToOpenMPPass());
    if (failed(runPipeline(conversion, getOperation())))
      return signalPassFailure();
    for (Operation *body : guidedBodies)
      if (auto loop = body->getParentOfType<omp::WsloopOp>();
          loop && !loop.getScheduleVal())
        loop.setScheduleVal(omp::ClauseScheduleKind::Guided);
  }
};

} // namespace
