//===- RaiseLinear.cpp - Matrix products and bias adds to graph.linear ----===//
//
// The kiln-raise-linear pass. A projection written with primitives,
// `matmul(x, w) + b` with w `[in, out]` (GPT-2's Conv1D, Flax's Dense, an
// ONNX MatMul + Add) or `linear(x, w) + b`, becomes one `graph.linear` with
// its bias, so the epilogue, FFN, prologue and rope fusions that follow see
// the same op the composite form imports as.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_RAISELINEAR
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// `matmul(x, w)` → `linear(x, transpose(w))`: the transpose is never
/// computed when w is a parameter (kiln-pack-weights packs the panels from
/// w itself), and a transposed weight, `matmul(x, transpose(v))`, folds
/// back to v.
struct MatmulToLinear : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp matmul,
                                PatternRewriter &rewriter) const override {
    std::string why;
    if (failed(canRaiseToLinear(matmul, why)))
      return rewriter.notifyMatchFailure(matmul, why);
    Location loc = matmul.getLoc();
    auto rhsType = matmul.getRhs().getType();
    auto weightType =
        RankedTensorType::get({rhsType.getDimSize(1), rhsType.getDimSize(0)},
                              rhsType.getElementType());
    Value weight =
        rewriter.create<TransposeOp>(loc, weightType, matmul.getRhs(),
                                     rewriter.getDenseI64ArrayAttr({1, 0}));
    rewriter.replaceOpWithNewOp<LinearOp>(
        matmul, matmul.getType(), matmul.getLhs(), weight, /*bias=*/Value(),
        /*residual=*/Value(), /*norm_weight=*/Value(), /*norm_bias=*/Value(),
        /*rope_positions=*/Value(), /*activation=*/nullptr, /*norm=*/nullptr,
        /*norm_eps=*/nullptr, /*rope_head_dim=*/nullptr,
        /*rope_rotary_dim=*/nullptr, /*rope_theta=*/nullptr,
        /*rope_interleaved=*/nullptr);
    return success();
  }
};

/// `linear(x, w) + b` → `linear(x, w, b)`.
struct FoldBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (Value operand : add->getOperands()) {
      auto linear = operand.getDefiningOp<LinearOp>();
      std::string why;
      if (!linear || soleUser(linear.getResult()) != add ||
          failed(canFoldBias(linear, add, why)))
        continue;
      Value bias = biasOperand(add, linear);
      // A bias computed after the projection (an exporter's node order):
      // the projection, whose only user is the add, moves down to it.
      if (!isDefinedBefore(bias, linear))
        rewriter.moveOpBefore(linear, add);
      auto vectorType =
          RankedTensorType::get({linear.getType().getShape().back()},
                                getElementTypeOrSelf(bias.getType()));
      if (bias.getType() != vectorType) {
        rewriter.setInsertionPoint(linear);
        bias = rewriter.create<ReshapeOp>(bias.getLoc(), vectorType, bias);
      }
      rewriter.modifyOpInPlace(linear, [&] {
        linear.getBiasMutable().assign(bias);
        linear->setLoc(fusedLoc({linear, add}));
      });
      rewriter.replaceOp(add, linear.getResult());
      return success();
    }
    return rewriter.notifyMatchFailure(add, "adds no bias to a linear");
  }
};

struct RaiseLinearPass : kiln::impl::RaiseLinearBase<RaiseLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulToLinear, FoldBias>(&getContext());
    // transpose(transpose(v)) → v for a weight given transposed.
    TransposeOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

LogicalResult kiln::canRaiseToLinear(MatmulOp matmul, std::string &why) {
  RankedTensorType lhs = matmul.getLhs().getType();
  RankedTensorType rhs = matmul.getRhs().getType();
  if (rhs.getRank() != 2 || lhs.getRank() < 2) {
    why = "its right operand is not one matrix for every batch";
    return failure();
  }
  if (lhs.getElementType() != rhs.getElementType() ||
      matmul.getType().getElementType() != lhs.getElementType()) {
    why = "its operands and result differ in element type";
    return failure();
  }
  return success();
}

Value kiln::biasOperand(AddOp add, LinearOp linear) {
  Value other =
      add.getLhs() == linear.getResult() ? add.getRhs() : add.getLhs();
  auto type = cast<RankedTensorType>(other.getType());
  RankedTensorType result = linear.getType();
  if (type.getRank() < 1 || type.getRank() > result.getRank() ||
      type.getShape().back() != result.getShape().back() ||
      ShapedType::isDynamic(type.getShape().back()))
    return {};
  if (llvm::any_of(type.getShape().drop_back(),
                   [](int64_t size) { return size != 1; }))
    return {};
  return other;
}

LogicalResult kiln::canFoldBias(LinearOp linear, AddOp add, std::string &why) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  Value bias = biasOperand(add, linear);
  if (!bias)
    return fail("the add's other operand is not a bias ([N] or [1, ..., N])");
  if (add.getType() != linear.getType())
    return fail("the add broadcasts the projection's result");
  if (getElementTypeOrSelf(bias.getType()) != linear.getType().getElementType())
    return fail("the bias differs from the result in element type");
  if (linear.getType().getElementType() !=
      linear.getInput().getType().getElementType())
    return fail("the projection casts its result before the bias is added");
  if (linear.getBias())
    return fail("the projection already adds a bias");
  if (linear.getActivation() || linear.getResidual())
    return fail("the projection applies an activation or residual first");
  return success();
}
