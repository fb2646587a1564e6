//===- FuseRopeProjections.cpp - rope into the Q/K projections ------------===//
//
// The kiln-fuse-rope-projections pass. The rotary embedding of a query or
// key, `rope(reshape(linear(x)))`, becomes the projection's rope epilogue:
// each GEMM block rotates the heads it has just computed while they are in
// cache, instead of a separate kernel reading and writing q and k again.
// The reshape into heads stays, now after the rotated projection. A
// projection whose output is cut into parts (Phi-3's qkv_proj, sliced or
// split into q, k and v) is first split into one projection per part, of
// its weight's rows, so that the rope on q and k becomes their epilogue:
// the GEMMs do the same work, and the parts' copies and the rope kernels
// go.
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

/// The projection whose output part `rope` rotates, split into heads.
LinearOp rotatedPartOf(RopeOp rope) {
  auto reshape = rope.getInput().getDefiningOp<ReshapeOp>();
  std::optional<ProjectionPart> part =
      reshape ? projectionPart(reshape.getInput()) : std::nullopt;
  return part ? part->projection : LinearOp();
}

/// Replaces `linear` by one projection per part: the same op on the part's
/// weight rows and bias entries, at the projection's place.
void splitIntoParts(LinearOp linear,
                    ArrayRef<std::pair<Value, ProjectionPart>> parts) {
  OpBuilder builder(linear);
  for (auto [value, part] : parts) {
    if (value.use_empty())
      continue;
    Location loc = fusedLoc({linear, part.op});
    Value rows = weightRows(builder, loc, linear.getWeight(), part);
    Value bias = linear.getBias();
    if (bias)
      bias = builder.create<SliceOp>(
          loc, bias, /*axis=*/0, static_cast<uint64_t>(part.start),
          builder.getI64IntegerAttr(part.start + part.size));
    auto projection = cast<LinearOp>(builder.clone(*linear));
    projection->setLoc(loc);
    projection.getWeightMutable().assign(rows);
    if (bias)
      projection.getBiasMutable().assign(bias);
    projection.getResult().setType(cast<RankedTensorType>(value.getType()));
    value.replaceAllUsesWith(projection.getResult());
  }
  for (Operation *user : llvm::make_early_inc_range(linear->getUsers()))
    user->erase();
  linear.erase();
}

struct FuseRopeProjectionsPass
    : kiln::impl::FuseRopeProjectionsBase<FuseRopeProjectionsPass> {
  void runOnOperation() override {
    llvm::SetVector<Operation *> cut;
    getOperation().walk([&](RopeOp rope) {
      if (LinearOp linear = rotatedPartOf(rope))
        cut.insert(linear);
    });
    for (Operation *op : cut) {
      SmallVector<std::pair<Value, ProjectionPart>> parts;
      std::string why;
      auto linear = cast<LinearOp>(op);
      if (succeeded(canSplitIntoParts(linear, parts, why)))
        splitIntoParts(linear, parts);
    }
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
