//===- MathApproximation.cpp - Polynomial f32 math ------------------------===//
//
// MLIR's polynomial approximations, with Kiln's own erf: MLIR's selects
// each coefficient among three intervals per lane, which made a GEMM's GELU
// epilogue about half again as slow (docs/compiler.md, "Lowering directly
// to loops over buffers").
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLLVM/MathApproximation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {

/// erf(x) = x·P(x²)/Q(x²) for |x| ≤ 4 (erf(4) rounds to 1 in f32), clamped
/// to [-1, 1]. P and Q are of degree 5, a rational fit by Lawson-weighted
/// least squares (scripts/fit-erf.py prints these coefficients) with error
/// 2.1e-8 in exact arithmetic; evaluated in f32 with FMAs it is within
/// 3.5e-7 of erf (MLIR quotes 2.5e-7 for its own). Ten FMAs, two
/// multiplies and a division, no selects of coefficients; NaN propagates.
struct ErfRational : OpRewritePattern<math::ErfOp> {
  ErfRational(MLIRContext *context)
      : OpRewritePattern(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(math::ErfOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return rewriter.notifyMatchFailure(op, "not f32");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto constant = [&](float value) -> Value {
      Attribute scalar = b.getF32FloatAttr(value);
      if (auto shaped = dyn_cast<ShapedType>(type))
        return b.create<arith::ConstantOp>(
            type, SplatElementsAttr::get(shaped, scalar));
      return b.create<arith::ConstantOp>(type, cast<TypedAttr>(scalar));
    };
    // min(x, bound) and max(x, -bound) as compare and select, which x86
    // matches to minps/maxps; a NaN x is kept.
    auto clamp = [&](Value x, float bound) {
      Value high = constant(bound), low = constant(-bound);
      x = b.create<arith::SelectOp>(
          b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, x, high), high,
          x);
      return b.create<arith::SelectOp>(
          b.create<arith::CmpFOp>(arith::CmpFPredicate::OLT, x, low), low, x);
    };
    auto horner = [&](Value t, ArrayRef<float> coefficients) {
      Value sum = constant(coefficients.back());
      for (float c : llvm::reverse(coefficients.drop_back()))
        sum = b.create<math::FmaOp>(sum, t, constant(c));
      return sum;
    };
    static constexpr float numerator[] = {
        1.128378987312317f,     0.19624187052249908f,
        0.05346662551164627f,   0.004003367852419615f,
        0.00028803982422687113f, 1.9749436432903167e-06f};
    static constexpr float denominator[] = {
        1.0f,                  0.5072459578514099f,
        0.11647357046604156f,  0.015443858690559864f,
        0.0012163014616817236f, 3.7481961044250056e-05f};
    Value x = clamp(op.getOperand(), 4.0f);
    Value t = b.create<arith::MulFOp>(x, x);
    Value ratio = b.create<arith::DivFOp>(
        b.create<arith::MulFOp>(x, horner(t, numerator)),
        horner(t, denominator));
    // Rounding lifts a few values near |x| = 3.7 to 1 + 2^-23.
    rewriter.replaceOp(op, clamp(ratio, 1.0f));
    return success();
  }
};

} // namespace

LogicalResult kiln::approximateF32Math(Operation *root) {
  SmallVector<Operation *> f32Math;
  root->walk([&](Operation *op) {
    if (isa<math::MathDialect>(op->getDialect()) &&
        llvm::all_of(op->getOperandTypes(), [](Type type) {
          return getElementTypeOrSelf(type).isF32();
        }))
      f32Math.push_back(op);
  });
  if (f32Math.empty())
    return success();
  RewritePatternSet approximations(root->getContext());
  approximations.add<ErfRational>(root->getContext());
  populateMathPolynomialApproximationPatterns(approximations);
  // The expansion of one op creates others (tanh and erf use exp); the
  // driver rewrites those too because it also visits new ops.
  GreedyRewriteConfig config;
  config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
  return applyOpPatternsAndFold(f32Math, std::move(approximations), config);
}
