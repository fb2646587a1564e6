//===- GuidedSchedule.cpp - Guided OpenMP schedules
//------------------------===//
//
// The kiln-guided-schedule pass (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace kiln {
#define GEN_PASS_DEF_GUIDEDSCHEDULE
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct GuidedSchedulePass : kiln::impl::GuidedScheduleBase<GuidedSchedulePass> {
  void runOnOperation() override {
    getOperation().walk([](omp::WsloopOp loop) {
      if (!loop.getScheduleVal())
        loop.setScheduleVal(omp::ClauseScheduleKind::Guided);
    });
  }
};

} // namespace
