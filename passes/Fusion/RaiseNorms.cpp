//===- RaiseNorms.cpp - Normalizations written as arithmetic --------------===//
//
// The kiln-raise-norms pass. Model code and exported graphs that have no
// norm op spell RMSNorm as `x * rsqrt(mean(x²) + eps) * w` (HF's
// LlamaRMSNorm and T5LayerNorm) and LayerNorm as
// `(x - mean(x)) / sqrt(mean((x - mean(x))²) + eps) * w + b` (ONNX before
// opset 17), its variance also as `max(0, mean(x²) - mean(x)²)` (Flax's
// LayerNorm with use_fast_variance, its default). Each becomes graph.rms_norm
// or graph.layer_norm: one row pass instead of six elementwise and reduction
// kernels, and a norm the GEMMs that read it take as their prologue
// (kiln-fuse-norm-prologues).
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_RAISENORMS
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// What a normalized row is computed from.
struct Normalized {
  Value input;
  /// LayerNorm's mean subtracted first.
  bool centered = false;
  double eps = 0;
  /// The ops computing it, the last one's result the normalized value.
  SmallVector<Operation *> ops;
};

/// Whether `op` is a reduction over the last axis that keeps it.
template <typename ReduceOp> bool reducesLastAxis(ReduceOp op) {
  int64_t rank = cast<RankedTensorType>(op.getInput().getType()).getRank();
  ArrayRef<int64_t> axes = op.getAxes();
  return op.getKeepdims() && axes.size() == 1 && axes[0] == rank - 1;
}

/// The mean over the last axis (kept) that `value` is: reduce_mean, or
/// reduce_sum divided by the axis's static size C or times 1/C (JAX writes
/// means so). Returns its input and appends its ops to `ops`.
std::optional<Value> meanOverLastAxis(Value value,
                                      SmallVectorImpl<Operation *> &ops) {
  if (auto mean = value.getDefiningOp<ReduceMeanOp>()) {
    if (!reducesLastAxis(mean))
      return std::nullopt;
    ops.push_back(mean);
    return mean.getInput();
  }
  Operation *op = value.getDefiningOp();
  if (!isa_and_nonnull<DivOp, MulOp>(op))
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    auto sum = op->getOperand(side).getDefiningOp<ReduceSumOp>();
    std::optional<double> factor = scalarConstant(op->getOperand(1 - side));
    if (!sum || !factor || !reducesLastAxis(sum) ||
        (isa<DivOp>(op) && side == 1))
      continue;
    int64_t count =
        cast<RankedTensorType>(sum.getInput().getType()).getShape().back();
    double perElement = isa<DivOp>(op) ? 1.0 / *factor : *factor;
    if (ShapedType::isDynamic(count) ||
        std::abs(perElement * double(count) - 1.0) > 1e-6)
      continue;
    ops.append({sum, op});
    return sum.getInput();
  }
  return std::nullopt;
}

/// Matches a normalized value: `num * inv` or `num / root` with `inv` the
/// inverse square root (rsqrt, pow -0.5, 1 / sqrt) and `root` the square
/// root (sqrt, pow 0.5) of `mean(num²) + eps` over the last axis; `num`
/// is x (RMSNorm) or `x - mean(x)` (LayerNorm).
class NormMatcher {
public:
  std::optional<Normalized> match(Value normalized) {
    Operation *op = normalized.getDefiningOp();
    if (auto div = dyn_cast_or_null<DivOp>(op)) {
      std::optional<Value> variance = rootOf(div.getRhs(), 0.5);
      if (!variance)
        return std::nullopt;
      return finish(op, div.getLhs(), *variance);
    }
    auto mul = dyn_cast_or_null<MulOp>(op);
    if (!mul)
      return std::nullopt;
    for (int side = 0; side < 2; ++side) {
      size_t mark = ops.size();
      if (std::optional<Value> variance = rootOf(mul->getOperand(side), -0.5))
        if (std::optional<Normalized> found =
                finish(op, mul->getOperand(1 - side), *variance))
          return found;
      ops.resize(mark);
    }
    return std::nullopt;
  }

  /// Matches `root` = num * inverseRoot, the weight multiplied into the
  /// inverse root before (Flax's LayerNorm: (x - mean) * (rsqrt(var + eps)
  /// * scale)).
  std::optional<Normalized> matchProduct(Operation *root, Value num,
                                         Value inverseRoot) {
    std::optional<Value> variance = rootOf(inverseRoot, -0.5);
    if (!variance)
      return std::nullopt;
    return finish(root, num, *variance);
  }

private:
  /// `v` when `value` is v^exponent, as rsqrt(v), sqrt(v), 1 / sqrt(v) or
  /// pow(v, exponent); exponent is 0.5 or -0.5.
  std::optional<Value> rootOf(Value value, double exponent) {
    Operation *op = value.getDefiningOp();
    if (!op)
      return std::nullopt;
    if (auto pow = dyn_cast<PowOp>(op);
        pow && scalarConstant(pow.getRhs()) == exponent)
      return take(op, pow.getLhs());
    if (exponent > 0) {
      if (auto sqrt = dyn_cast<SqrtOp>(op))
        return take(op, sqrt.getInput());
      return std::nullopt;
    }
    if (auto rsqrt = dyn_cast<RsqrtOp>(op))
      return take(op, rsqrt.getInput());
    if (auto div = dyn_cast<DivOp>(op);
        div && scalarConstant(div.getLhs()) == 1.0) {
      ops.push_back(op);
      return rootOf(div.getRhs(), 0.5);
    }
    return std::nullopt;
  }

  Value take(Operation *op, Value operand) {
    ops.push_back(op);
    return operand;
  }

  /// Completes the match of `root` = num ⊙ f(variance).
  std::optional<Normalized> finish(Operation *root, Value num, Value variance) {
    // variance = mean(num²) + eps, or the fast variance + eps.
    auto add = variance.getDefiningOp<AddOp>();
    if (!add)
      return std::nullopt;
    std::optional<double> eps;
    Value mean;
    for (int side = 0; side < 2 && !eps; ++side) {
      eps = scalarConstant(add->getOperand(side));
      mean = add->getOperand(1 - side);
    }
    // The norm ops take a positive eps, as torch's do.
    if (!eps || !(*eps > 0))
      return std::nullopt;
    Normalized result;
    result.eps = *eps;
    result.input = num;
    SmallVector<Operation *> varianceOps;
    std::optional<Value> squared = meanOverLastAxis(mean, varianceOps);
    Operation *square = squared ? squared->getDefiningOp() : nullptr;
    if (square && squaredOperand(square) == num) {
      varianceOps.insert(varianceOps.begin(), square);
      // LayerNorm when num = x - mean(x) over the last axis.
      if (auto sub = num.getDefiningOp<SubOp>()) {
        SmallVector<Operation *> centerOps;
        if (meanOverLastAxis(sub.getRhs(), centerOps) == sub.getLhs()) {
          result.input = sub.getLhs();
          result.centered = true;
          result.ops = centerOps;
          result.ops.push_back(sub);
        }
      }
    } else {
      varianceOps.clear();
      auto sub = num.getDefiningOp<SubOp>();
      std::optional<Value> x =
          sub ? fastVariance(mean, sub.getRhs(), varianceOps) : std::nullopt;
      SmallVector<Operation *> centerOps;
      if (!x || sub.getLhs() != *x ||
          meanOverLastAxis(sub.getRhs(), centerOps) != *x)
        return std::nullopt;
      result.input = *x;
      result.centered = true;
      result.ops = centerOps;
      result.ops.push_back(sub);
    }
    llvm::append_range(result.ops, varianceOps);
    result.ops.push_back(add);
    llvm::append_range(result.ops, llvm::reverse(ops));
    result.ops.push_back(root);
    return result;
  }

  /// x when `variance` is `mean(x²) - center²` over the last axis, or its
  /// maximum with 0 (or relu), which keeps rounding from making it negative;
  /// appends its ops to `varianceOps`. The caller checks that center is
  /// mean(x).
  static std::optional<Value>
  fastVariance(Value variance, Value center,
               SmallVectorImpl<Operation *> &varianceOps) {
    // The max with 0 is relu(d) once kiln-raise-activations has run.
    Operation *clamp = nullptr;
    if (auto relu = variance.getDefiningOp<ReluOp>()) {
      clamp = relu;
      variance = relu.getInput();
    } else if (auto maximum = variance.getDefiningOp<MaximumOp>()) {
      bool zeroFirst = scalarConstant(maximum.getLhs()) == 0.0;
      if (!zeroFirst && scalarConstant(maximum.getRhs()) != 0.0)
        return std::nullopt;
      clamp = maximum;
      variance = zeroFirst ? maximum.getRhs() : maximum.getLhs();
    }
    auto difference = variance.getDefiningOp<SubOp>();
    Operation *centerSquared =
        difference ? difference.getRhs().getDefiningOp() : nullptr;
    if (!centerSquared || squaredOperand(centerSquared) != center)
      return std::nullopt;
    std::optional<Value> squared =
        meanOverLastAxis(difference.getLhs(), varianceOps);
    Operation *square = squared ? squared->getDefiningOp() : nullptr;
    Value x = square ? squaredOperand(square) : Value();
    if (!x)
      return std::nullopt;
    varianceOps.insert(varianceOps.begin(), square);
    varianceOps.append({centerSquared, difference});
    if (clamp)
      varianceOps.push_back(clamp);
    return x;
  }

  /// The inverse-root ops matched so far, outermost first.
  SmallVector<Operation *> ops;
};

/// Whether `value` is a feature vector for `input` [..., C]: rank 1, C
/// elements of input's element type.
bool isFeatureVector(Value value, Value input) {
  auto type = cast<RankedTensorType>(value.getType());
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t features = inputType.getShape().back();
  return type.getRank() == 1 && !ShapedType::isDynamic(features) &&
         type.getDimSize(0) == features &&
         type.getElementType() == inputType.getElementType();
}

/// Anchored at the weight multiply `normalized * w` (either order); for a
/// LayerNorm, a following `+ b` is taken as its bias.
struct RaiseNormPattern : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp scaled,
                                PatternRewriter &rewriter) const override {
    for (int side = 0; side < 2; ++side) {
      Value weight = scaled->getOperand(1 - side);
      // HF's LlamaRMSNorm in bf16 or f16: normalized in f32, from x cast
      // up, then cast back before the weight multiply.
      Value normalized = scaled->getOperand(side);
      auto narrow = normalized.getDefiningOp<CastOp>();
      if (narrow)
        normalized = narrow.getInput();
      std::optional<Normalized> norm = NormMatcher().match(normalized);
      if (norm && narrow)
        if (auto widen = norm->input.getDefiningOp<CastOp>()) {
          norm->ops.insert(norm->ops.begin(), widen);
          norm->ops.push_back(narrow);
          norm->input = widen.getInput();
        }
      SmallVector<Operation *> ops;
      if (norm) {
        ops = norm->ops;
        ops.push_back(scaled);
      } else if (auto folded = weight.getDefiningOp<MulOp>()) {
        // scaled = num * (inverse root * w).
        for (int factor = 0; factor < 2 && !norm; ++factor) {
          weight = folded->getOperand(1 - factor);
          norm = NormMatcher().matchProduct(scaled, scaled->getOperand(side),
                                            folded->getOperand(factor));
        }
        if (norm) {
          ops = norm->ops;
          ops.push_back(folded);
        }
      }
      if (!norm || scaled.getType() != norm->input.getType() ||
          !isFeatureVector(weight, norm->input))
        continue;
      Operation *last = scaled;
      Value bias;
      if (auto add = dyn_cast_or_null<AddOp>(soleUser(scaled.getResult()));
          add && norm->centered) {
        Value other =
            add.getLhs() == scaled.getResult() ? add.getRhs() : add.getLhs();
        if (isFeatureVector(other, norm->input) &&
            add.getType() == scaled.getType()) {
          bias = other;
          ops.push_back(add);
          last = add;
        }
      }
      if (!intermediatesContained(ops, last))
        return rewriter.notifyMatchFailure(scaled, "an intermediate escapes");
      Location loc = fusedLoc(ops);
      FloatAttr eps = rewriter.getF64FloatAttr(norm->eps);
      Operation *raised =
          norm->centered
              ? rewriter
                    .create<LayerNormOp>(loc, scaled.getType(), norm->input,
                                         weight, bias, eps)
                    .getOperation()
              : rewriter
                    .create<RMSNormOp>(loc, scaled.getType(), norm->input,
                                       weight, eps)
                    .getOperation();
      rewriter.replaceOp(last, raised->getResults());
      return success();
    }
    return rewriter.notifyMatchFailure(scaled, "no weighted normalization");
  }
};

struct RaiseNormsPass : kiln::impl::RaiseNormsBase<RaiseNormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseNormPattern>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
