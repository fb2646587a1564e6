//===- RaiseSoftmax.cpp - Softmax written as arithmetic -------------------===//
//
// The kiln-raise-softmax pass. Graphs exported without a softmax op (JAX's
// jax.nn.softmax lowered to StableHLO, hand-written model code) spell it
// `exp(x - max(x)) / sum(exp(x - max(x)))` along one axis, or without the
// max. It becomes graph.softmax: one row pass instead of four kernels and
// two reductions, and the softmax that kiln-raise-attention looks for.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_RAISESOFTMAX
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// The one axis `op` reduces, keeping it.
template <typename ReduceOp> std::optional<int64_t> keptAxis(ReduceOp op) {
  ArrayRef<int64_t> axes = op.getAxes();
  if (!op.getKeepdims() || axes.size() != 1)
    return std::nullopt;
  return axes[0];
}

/// Anchored at the division `e / sum(e)`, e = exp(x - max(x)) or exp(x).
struct RaiseSoftmaxPattern : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto exp = div.getLhs().getDefiningOp<ExpOp>();
    auto sum = div.getRhs().getDefiningOp<ReduceSumOp>();
    if (!exp || !sum || sum.getInput() != exp.getResult())
      return rewriter.notifyMatchFailure(div, "not e / sum(e) with e = exp");
    std::optional<int64_t> axis = keptAxis(sum);
    if (!axis)
      return rewriter.notifyMatchFailure(div, "not a sum over one kept axis");
    SmallVector<Operation *> ops = {exp, sum, div};
    Value input = exp.getInput();
    // exp(x - max(x)): the max only keeps exp from overflowing, which the
    // softmax kernel does on its own.
    if (auto sub = input.getDefiningOp<SubOp>()) {
      auto max = sub.getRhs().getDefiningOp<ReduceMaxOp>();
      if (max && max.getInput() == sub.getLhs() && keptAxis(max) == axis) {
        input = sub.getLhs();
        ops.insert(ops.begin(), {max, sub});
      }
    }
    if (div.getType() != input.getType())
      return rewriter.notifyMatchFailure(div, "the division broadcasts");
    if (!intermediatesContained(ops, div))
      return rewriter.notifyMatchFailure(div, "an intermediate escapes");
    Value softmax =
        rewriter.create<SoftmaxOp>(fusedLoc(ops), input.getType(), input,
                                   rewriter.getI64IntegerAttr(*axis));
    rewriter.replaceOp(div, softmax);
    return success();
  }
};

struct RaiseSoftmaxPass : kiln::impl::RaiseSoftmaxBase<RaiseSoftmaxPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseSoftmaxPattern>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
