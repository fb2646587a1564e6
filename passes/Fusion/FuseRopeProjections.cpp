//===- FuseRopeProjections.cpp - rope into the Q/K projections ------------===//
//
// The kiln-fuse-rope-projections pass. The rotary embedding of a query or
// key, `rope(reshape(linear(x)))`, becomes the projection's rope epilogue:
// each GEMM block rotates the heads it has just computed while they are in
// cache, instead of a separate kernel reading and writing q and k again.
// The reshape into heads stays, now after the rotated projection.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEROPEPROJECTIONS
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

void fuse(RopeOp rope, RopeProjection match) {
  LinearOp linear = match.linear;
  Builder b(rope.getContext());
  if (rope.getPositions())
    linear.getRopePositionsMutable().assign(rope.getPositions());
  linear.setRopeHeadDimAttr(
      b.getI64IntegerAttr(rope.getInput().getType().getShape()[3]));
  linear.setRopeRotaryDimAttr(rope.getRotaryDimAttr());
  linear.setRopeThetaAttr(rope.getThetaAttr());
  linear.setRopeInterleaved(rope.getInterleaved());
  linear->setLoc(fusedLoc({linear, rope}));
  // The positions may be computed after the projection (an arange): move
  // the projection and its reshape down to the rope.
  linear->moveBefore(rope);
  match.reshape->moveBefore(rope);
  rope.replaceAllUsesWith(match.reshape.getResult());
  rope.erase();
}

struct FuseRopeProjectionsPass
    : kiln::impl::FuseRopeProjectionsBase<FuseRopeProjectionsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<RopeOp, RopeProjection>> matches;
    getOperation().walk([&](RopeOp rope) {
      std::string why;
      FailureOr<RopeProjection> match = matchRopeProjection(rope, why);
      if (succeeded(match))
        matches.emplace_back(rope, *match);
    });
    for (auto &[rope, match] : matches)
      fuse(rope, match);
  }
};

} // namespace
