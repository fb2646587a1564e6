//===- ScanKernels.cpp - Vector pieces of the scan kernels ----------------===//
//
// Implements ScanKernels.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/ScanKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace kiln {

/// Emits `body` for the channel block starting at `d0` of `channels`: the
/// unmasked version when the block is full, the masked one otherwise, and
/// only the version that can occur when `channels` is static.
void forChannelBlock(ImplicitLocOpBuilder &b, Value d0, Value channels,
                     int64_t width,
                     llvm::function_ref<void(ImplicitLocOpBuilder &,
                                             const ChannelBlock &)>
                         body) {
  std::optional<int64_t> staticChannels = getConstantIntValue(channels);
  if (staticChannels && *staticChannels % width == 0)
    return body(b, ChannelBlock{Value(), width});
  Value remaining = b.create<arith::SubIOp>(channels, d0);
  ChannelBlock partial{laneMask(b, remaining, width), width};
  if (staticChannels && *staticChannels < width)
    return body(b, partial);
  ifWholeVector(
      b, remaining, width,
      [&](ImplicitLocOpBuilder &b) { body(b, ChannelBlock{Value(), width}); },
      [&](ImplicitLocOpBuilder &b) { body(b, partial); });
}

/// 2^x on f32 vectors in registers, for the decays exp(Δ·A) = 2^(Δ·A·log2 e)
/// (A is pre-scaled by log2 e): x is clamped to [-126, 126] (results below
/// 2^-126 ~ 1e-38 read as that instead of 0 and stay normal numbers), rounded
/// to n with the 1.5·2^23 shifter, whose low mantissa bits then hold n, and
/// 2^f, f = x-n in [-1/2, 1/2], is 1 + f·q(f) with q of degree 4 fitted to
/// minimize the relative error (9e-8; 1.7e-7 evaluated in f32, less than the
/// degree-6 Taylor polynomial's 2.3e-7 there); the constant term is exactly
/// 1 and the linear one within 2e-7 of ln 2, so decays near 1 (long memory,
/// errors compounding over ~1/(1 - decay) steps) stay accurate. The result is
/// scaled by adding n to the exponent field. About 11 ops, under half of the
/// general math.exp expansion.
Value vectorExp2(ImplicitLocOpBuilder &b, Value x) {
  auto type = cast<VectorType>(x.getType());
  auto c = [&](double value) { return floatConst(b, type, value); };
  x = fastMax(b, x, c(-126.0));
  Value below =
      b.create<arith::CmpFOp>(arith::CmpFPredicate::OLT, x, c(126.0));
  x = b.create<arith::SelectOp>(below, x, c(126.0));
  Value shifter = c(12582912.0); // 1.5 * 2^23
  Value shifted = b.create<arith::AddFOp>(x, shifter);
  Value rounded = b.create<arith::SubFOp>(shifted, shifter);
  Value f = b.create<arith::SubFOp>(x, rounded);
  // Minimax (relative error) coefficients of f^5 .. f^0.
  const double coefficients[] = {1.3264726900942922e-3, 9.671512660660866e-3,
                                 5.55073374423959e-2,   2.4022242084917153e-1,
                                 6.931469775984732e-1,  1.0};
  Value p = c(coefficients[0]);
  for (double coefficient : ArrayRef(coefficients).drop_front())
    p = fma(b, p, f, c(coefficient));
  auto intType = VectorType::get(type.getShape(), b.getI32Type());
  Value exponent = b.create<arith::ShLIOp>(
      b.create<arith::BitcastOp>(intType, shifted),
      b.create<arith::ConstantOp>(
          DenseElementsAttr::get(intType, b.getI32IntegerAttr(23).getValue())));
  Value bits = b.create<arith::AddIOp>(
      b.create<arith::BitcastOp>(intType, p), exponent);
  return b.create<arith::BitcastOp>(type, bits);
}

/// e^x on vectors through vectorExp2.
Value vectorExp(ImplicitLocOpBuilder &b, Value x) {
  return vectorExp2(
      b, b.create<arith::MulFOp>(x, floatConst(b, x.getType(), M_LOG2E)));
}

/// softplus(x) = max(x, 0) + log1p(e), e = exp(-|x|) in (0, 1]: with
/// s = e / (2 + e) in (0, 1/3], log1p(e) = 2·atanh(s) = 2s·Σ s^2k / (2k+1),
/// summed to s^10 (relative error < 2e-7, and exact as e -> 0, where a
/// rounded 1 + e would lose e). No overflow for any x; equal in f32 to
/// PyTorch's thresholded log1p(exp(x)).
Value vectorSoftplus(ImplicitLocOpBuilder &b, Value x) {
  Type type = x.getType();
  auto c = [&](double value) { return floatConst(b, type, value); };
  Value e = vectorExp(b, b.create<arith::NegFOp>(b.create<math::AbsFOp>(x)));
  Value s = b.create<arith::DivFOp>(e, b.create<arith::AddFOp>(c(2.0), e));
  Value s2 = b.create<arith::MulFOp>(s, s);
  Value p = c(1.0 / 11);
  for (int k = 4; k >= 0; --k)
    p = fma(b, p, s2, c(1.0 / (2 * k + 1)));
  Value twoS = b.create<arith::AddFOp>(s, s);
  return fma(b, twoS, p, fastMax(b, x, c(0.0)));
}

/// silu(x) = x / (1 + exp(-x)) through vectorExp.
Value vectorSilu(ImplicitLocOpBuilder &b, Value x) {
  Value one = floatConst(b, x.getType(), 1.0);
  Value e = vectorExp(b, b.create<arith::NegFOp>(x));
  return b.create<arith::DivFOp>(x, b.create<arith::AddFOp>(one, e));
}


} // namespace kiln
