//===- KeepReducedDims.cpp - Reductions that keep their axes --------------===//
//
// The kiln-keep-reduced-dims pass. StableHLO's reduce drops the reduced
// axes, so JAX's jnp.mean(x, -1, keepdims=True) (in a norm, or the max and
// sum of a softmax) is exported as a reduction without keepdims reshaped to
// put the unit axis back. Such a reshape becomes the reduction with
// keepdims, the form the norm and softmax raises match. Dynamic dims are
// shown to be the input's own through the runtime-dim analysis.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_KEEPREDUCEDDIMS
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// Whether `reshape`'s result is what `reduce` would give with keepdims:
/// a unit dim at each reduced axis, the input's dims elsewhere.
template <typename ReduceOp>
bool restoresReducedAxes(ReshapeOp reshape, ReduceOp reduce) {
  auto input = cast<RankedTensorType>(reduce.getInput().getType());
  auto result = cast<RankedTensorType>(reshape.getType());
  if (result.getRank() != input.getRank())
    return false;
  ArrayRef<int64_t> axes = reduce.getAxes();
  for (int64_t axis = 0; axis < input.getRank(); ++axis) {
    int64_t size = result.getDimSize(axis);
    if (llvm::is_contained(axes, axis)) {
      if (size != 1)
        return false;
    } else if (!sameRuntimeDim(reshape.getResult(), axis, reduce.getInput(),
                               axis)) {
      return false;
    }
  }
  return true;
}

template <typename ReduceOp>
struct KeepReducedDimsPattern : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern<ReshapeOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp reshape,
                                PatternRewriter &rewriter) const override {
    auto reduce = reshape.getInput().template getDefiningOp<ReduceOp>();
    if (!reduce || reduce.getKeepdims())
      return rewriter.notifyMatchFailure(reshape,
                                         "not of a reduction that drops axes");
    // With another user the reduction would be computed twice.
    if (!reduce->hasOneUse())
      return rewriter.notifyMatchFailure(reshape,
                                         "the reduction has another user");
    if (!restoresReducedAxes(reshape, reduce))
      return rewriter.notifyMatchFailure(
          reshape, "does not put back exactly the reduced axes");
    // Both nodes are the new reduction's, for the fusion report.
    auto kept = rewriter.create<ReduceOp>(
        fusedLoc({reduce, reshape}), reshape.getType(), reduce.getInput(),
        reduce.getAxesAttr(), rewriter.getUnitAttr());
    rewriter.replaceOp(reshape, kept);
    rewriter.eraseOp(reduce);
    return success();
  }
};

struct KeepReducedDimsPass
    : kiln::impl::KeepReducedDimsBase<KeepReducedDimsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<KeepReducedDimsPattern<ReduceSumOp>,
                 KeepReducedDimsPattern<ReduceMeanOp>,
                 KeepReducedDimsPattern<ReduceMaxOp>>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
