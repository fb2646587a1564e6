//===- FuseEpilogues.cpp - Activations and residuals into GEMMs -----------===//
//
// The kiln-fuse-epilogues pass. What follows a projection elementwise (its
// activation, the residual add of a transformer block, a cast to a 16-bit
// type) is applied by the GEMM kernel to its accumulators, so the
// projection's result is written once instead of being written, read and
// written again. The epilogue is the activation, then either the residual
// (of the result's type) or the cast.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEEPILOGUES
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

Value residualOf(Operation *gemm) {
  return llvm::TypeSwitch<Operation *, Value>(gemm)
      .Case<LinearOp, ffn::MLPOp, ffn::GLUOp>(
          [](auto op) { return op.getResidual(); });
}

/// The add's operand that is not `gemm`'s result.
Value otherOperand(AddOp add, Operation *gemm) {
  return add.getLhs() == gemm->getResult(0) ? add.getRhs() : add.getLhs();
}

struct FuseEpiloguePattern : RewritePattern {
  FuseEpiloguePattern(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *gemm,
                                PatternRewriter &rewriter) const override {
    if (!isGemmWithEpilogue(gemm))
      return failure();
    Operation *user = soleUser(gemm->getResult(0));
    std::string why;
    if (!user || failed(canFuseEpilogue(gemm, user, why)))
      return failure();
    Location loc = fusedLoc({gemm, user});
    if (isa<CastOp>(user)) {
      rewriter.modifyOpInPlace(gemm, [&] {
        gemm->getResult(0).setType(user->getResult(0).getType());
        gemm->setLoc(loc);
      });
    } else if (std::optional<ActivationMatch> act =
                   matchActivationOf(gemm->getResult(0))) {
      SmallVector<Operation *> fused = {gemm};
      llvm::append_range(fused, act->ops);
      auto linear = cast<LinearOp>(gemm);
      rewriter.modifyOpInPlace(linear, [&] {
        linear.setActivationAttr(ActivationAttr::get(getContext(), act->kind));
        linear->setLoc(fusedLoc(fused));
      });
      // The activation's last op stands for all of them (relu2's relu
      // becomes dead with it).
      user = act->ops.back();
    } else {
      Value residual = otherOperand(cast<AddOp>(user), gemm);
      // A residual computed after the GEMM: the GEMM, whose only user is
      // the add, moves down to it.
      if (!isDefinedBefore(residual, gemm))
        rewriter.moveOpBefore(gemm, user);
      rewriter.modifyOpInPlace(gemm, [&] {
        llvm::TypeSwitch<Operation *>(gemm)
            .Case<LinearOp, ffn::MLPOp, ffn::GLUOp>([&](auto op) {
              op.getResidualMutable().assign(residual);
            });
        gemm->setLoc(loc);
      });
    }
    rewriter.replaceOp(user, gemm->getResults());
    return success();
  }
};

struct FuseEpiloguesPass : kiln::impl::FuseEpiloguesBase<FuseEpiloguesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseEpiloguePattern>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

/// A cast the GEMM applies as it stores: from f32 accumulators to another
/// float type, one rounding, as the unfused cast of an f32 result makes.
LogicalResult canFuseCast(Operation *gemm, CastOp cast, std::string &why) {
  Type from = getElementTypeOrSelf(gemm->getResult(0).getType());
  Type to = getElementTypeOrSelf(cast.getType());
  llvm::raw_string_ostream os(why);
  if (!isa<LinearOp>(gemm))
    os << "the output projection of " << gemm->getName().getStringRef()
       << " keeps its input's type";
  else if (!from.isF32())
    os << "the projection rounds to " << from
       << " first; a fused cast would skip that rounding";
  else if (!isa<FloatType>(to))
    os << "the cast is to " << to << ", not to a float type";
  else
    return success();
  return failure();
}

} // namespace

LogicalResult kiln::canFuseEpilogue(Operation *gemm, Operation *user,
                                    std::string &why) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  auto resultType = cast<RankedTensorType>(gemm->getResult(0).getType());
  auto inputType = cast<RankedTensorType>(gemm->getOperand(0).getType());
  if (resultType.getElementType() != inputType.getElementType())
    return fail("the projection already casts its result, the last step of "
                "its epilogue");
  if (residualOf(gemm))
    return fail("the projection already adds a residual, the last step of "
                "its epilogue");
  if (auto castOp = dyn_cast<CastOp>(user))
    return canFuseCast(gemm, castOp, why);
  if (std::optional<ActivationMatch> act =
          matchActivationOf(gemm->getResult(0));
      act && act->ops.front() == user) {
    auto linear = dyn_cast<LinearOp>(gemm);
    if (!linear)
      return fail("the output projection of " +
                  gemm->getName().getStringRef() +
                  " takes no activation");
    if (linear.getActivation())
      return fail("the projection already applies an activation");
    return success();
  }
  auto add = dyn_cast<AddOp>(user);
  if (!add)
    return fail(user->getName().getStringRef() +
                " is not an epilogue a GEMM applies (an activation or a "
                "residual add)");
  if (auto linear = dyn_cast<LinearOp>(gemm);
      linear && biasOperand(add, linear)) {
    if (failed(canFoldBias(linear, add, why)))
      return failure();
    return fail("a bias add, which kiln-raise-linear folds into the linear");
  }
  Value residual = otherOperand(add, gemm);
  if (residual == gemm->getResult(0))
    return fail("the add doubles the projection rather than adding a residual");
  if (residual.getType() != gemm->getResult(0).getType() ||
      add.getType() != residual.getType())
    return fail("the residual is broadcast; the epilogue adds one of the "
                "result's shape");
  return success();
}
