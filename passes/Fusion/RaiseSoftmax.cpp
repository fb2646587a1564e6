//===- RaiseSoftmax.cpp - Softmax written as arithmetic -------------------===//
//
// The kiln-raise-softmax pass. Graphs exported without a softmax op (JAX's
// jax.nn.softmax lowered to StableHLO, hand-written model code) spell it
// `exp(x - max(x)) / sum(exp(x - max(x)))` along one axis, or without the
// max, or as a product with the reciprocal, `e * (1 / sum(e))`. It becomes
// graph.softmax: one row pass instead of four kernels and two reductions, and
// the softmax that kiln-raise-attention looks for.
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

/// The sum of `e / sum` or `e * (1 / sum)` (either factor first) at `op`,
/// with the ops from the reciprocal on; null if `op` is neither.
ReduceSumOp normalizingSum(Operation *op, Value &e,
                           SmallVectorImpl<Operation *> &ops) {
  if (auto div = dyn_cast<DivOp>(op)) {
    e = div.getLhs();
    ops.push_back(div);
    return div.getRhs().getDefiningOp<ReduceSumOp>();
  }
  auto mul = dyn_cast<MulOp>(op);
  for (int side = 0; mul && side < 2; ++side) {
    auto reciprocal = mul->getOperand(side).getDefiningOp<DivOp>();
    if (!reciprocal || scalarConstant(reciprocal.getLhs()) != 1.0)
      continue;
    e = mul->getOperand(1 - side);
    ops.append({reciprocal, mul});
    return reciprocal.getRhs().getDefiningOp<ReduceSumOp>();
  }
  return nullptr;
}

/// Anchored at the normalization `e / sum(e)` (or `e * (1 / sum(e))`),
/// e = exp(x - max(x)) or exp(x).
template <typename NormalizeOp>
struct RaiseSoftmaxPattern : OpRewritePattern<NormalizeOp> {
  using OpRewritePattern<NormalizeOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(NormalizeOp normalize,
                                PatternRewriter &rewriter) const override {
    Value e;
    SmallVector<Operation *> normalizing;
    ReduceSumOp sum = normalizingSum(normalize, e, normalizing);
    auto exp = e ? e.getDefiningOp<ExpOp>() : ExpOp();
    if (!exp || !sum || sum.getInput() != exp.getResult())
      return rewriter.notifyMatchFailure(normalize,
                                         "not e / sum(e) with e = exp");
    std::optional<int64_t> axis = keptAxis(sum);
    if (!axis)
      return rewriter.notifyMatchFailure(normalize,
                                         "not a sum over one kept axis");
    SmallVector<Operation *> ops = {exp, sum};
    ops.append(normalizing);
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
    if (normalize.getType() != input.getType())
      return rewriter.notifyMatchFailure(normalize,
                                         "the normalization broadcasts");
    if (!intermediatesContained(ops, normalize))
      return rewriter.notifyMatchFailure(normalize, "an intermediate escapes");
    Value softmax =
        rewriter.create<SoftmaxOp>(fusedLoc(ops), input.getType(), input,
                                   rewriter.getI64IntegerAttr(*axis));
    rewriter.replaceOp(normalize, softmax);
    return success();
  }
};

struct RaiseSoftmaxPass : kiln::impl::RaiseSoftmaxBase<RaiseSoftmaxPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseSoftmaxPattern<DivOp>, RaiseSoftmaxPattern<MulOp>>(
        &getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
