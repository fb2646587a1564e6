//===- MathApproximation.cpp - Polynomial f32 math ------------------------===//
//
// MLIR's polynomial approximations, with Kiln's own erf (MLIR's selects
// each coefficient among three intervals per lane, which made a GEMM's GELU
// epilogue about half again as slow: docs/compiler.md, "Lowering directly
// to loops over buffers") and its own sin and cos (MLIR's lose accuracy
// with the argument's size).
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

/// sin and cos of f32 x through f64: x is reduced to r in [-pi/4, pi/4]
/// and a quadrant by a three-part Cody-Waite subtraction of k pi/2 (exact
/// for |k| < 2^20, so |x| up to about 1.6e6 keeps f32 accuracy, and 1e9
/// is within 1e-6), then
/// fdlibm's kernel polynomials (k_sinf.c, k_cosf.c) give sin r and cos r
/// within an f32 ulp. MLIR's approximation reduces in f32, which is off by
/// up to 9e-5 at x = 1000: a position times a RoPE frequency.
template <typename Op, bool IsCos> struct SinCosReduced : OpRewritePattern<Op> {
  SinCosReduced(MLIRContext *context)
      : OpRewritePattern<Op>(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return rewriter.notifyMatchFailure(op, "not f32");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Type f64 = b.getF64Type();
    auto vector = dyn_cast<VectorType>(type);
    Type wide = vector ? Type(VectorType::get(vector.getShape(), f64)) : f64;
    auto constant = [&](double value) -> Value {
      Attribute scalar = b.getF64FloatAttr(value);
      if (vector)
        return b.create<arith::ConstantOp>(
            wide, SplatElementsAttr::get(cast<ShapedType>(wide), scalar));
      return b.create<arith::ConstantOp>(wide, cast<TypedAttr>(scalar));
    };
    auto fma = [&](Value a, Value x, Value c) {
      return b.create<math::FmaOp>(a, x, c).getResult();
    };
    Value x = b.create<arith::ExtFOp>(wide, op.getOperand());
    // k = round(x 2/pi), as floor(· + 1/2): the GPU lowering has floor.
    Value k = b.create<math::FloorOp>(b.create<arith::AddFOp>(
        b.create<arith::MulFOp>(x, constant(0.63661977236758134308)),
        constant(0.5)));
    Value r = fma(k, constant(-1.57079632673412561417e+00), x);
    r = fma(k, constant(-6.07710050630396597660e-11), r);
    r = fma(k, constant(-2.02226624879595063154e-21), r);
    Value z = b.create<arith::MulFOp>(r, r);
    // sin r = r (1 + z (S1 + z S2 + z^2 (S3 + z S4))): a product, so that
    // sin(-0) is -0 (r + r z P would add +0 to it); in f64 the rounding of
    // 1 + z P is far below the f32 result's.
    Value sinPoly = fma(b.create<arith::MulFOp>(z, z),
                        fma(z, constant(0x16cd878c3b46a7.0p-71),
                            constant(-0x1a00f9e2cae774.0p-65)),
                        fma(z, constant(0x111110896efbb2.0p-59),
                            constant(-0x15555554cbac77.0p-55)));
    Value sinR = b.create<arith::MulFOp>(r, fma(z, sinPoly, constant(1.0)));
    // cos r = 1 + z C0 + z^2 C1 + z^3 (C2 + z C3).
    Value z2 = b.create<arith::MulFOp>(z, z);
    Value cosR =
        fma(b.create<arith::MulFOp>(z2, z),
            fma(z, constant(0x199342e0ee5069.0p-68),
                constant(-0x16c087e80f1e27.0p-62)),
            fma(z2, constant(0x155553e1053a42.0p-57),
                fma(z, constant(-0x1ffffffd0c5e81.0p-54), constant(1.0))));
    // The quadrant k mod 4, as a float so that a NaN or infinite x (k not
    // an integer) falls through to quadrant 0, whose r is NaN.
    Value quadrant = b.create<arith::SubFOp>(
        k, b.create<arith::MulFOp>(
               constant(4.0), b.create<math::FloorOp>(
                                  b.create<arith::MulFOp>(k, constant(0.25)))));
    auto in = [&](double q) {
      return b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ, quadrant,
                                     constant(q));
    };
    Value minusSin = b.create<arith::NegFOp>(sinR);
    Value minusCos = b.create<arith::NegFOp>(cosR);
    // Quadrants 0..3: sin is sin r, cos r, -sin r, -cos r; cos is cos r,
    // -sin r, -cos r, sin r.
    Value q0 = IsCos ? cosR : sinR, q1 = IsCos ? minusSin : cosR,
          q2 = IsCos ? minusCos : minusSin, q3 = IsCos ? sinR : minusCos;
    Value result = b.create<arith::SelectOp>(
        in(1), q1,
        b.create<arith::SelectOp>(in(2), q2,
                                  b.create<arith::SelectOp>(in(3), q3, q0)));
    // Past |x| = 1e15 or so the reduction leaves an r beyond pi/4 and the
    // polynomials grow; the result stays in [-1, 1] (NaN kept).
    for (double bound : {1.0, -1.0})
      result = b.create<arith::SelectOp>(
          b.create<arith::CmpFOp>(bound > 0 ? arith::CmpFPredicate::OGT
                                            : arith::CmpFPredicate::OLT,
                                  result, constant(bound)),
          constant(bound), result);
    rewriter.replaceOp(op, b.create<arith::TruncFOp>(type, result));
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
  approximations.add<ErfRational, SinCosReduced<math::SinOp, false>,
                     SinCosReduced<math::CosOp, true>>(root->getContext());
  populateMathPolynomialApproximationPatterns(approximations);
  // The expansion of one op creates others (tanh and erf use exp); the
  // driver rewrites those too because it also visits new ops.
  GreedyRewriteConfig config;
  config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
  return applyOpPatternsAndFold(f32Math, std::move(approximations), config);
}
