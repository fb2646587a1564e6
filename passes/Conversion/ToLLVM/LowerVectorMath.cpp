//===- LowerVectorMath.cpp - Math on vectors without libm -----------------===//
//
// The kiln-lower-vector-math pass. The explicit vector kernels (softmax,
// activations in GEMM epilogues, scans) need exp, tanh and erf in registers:
// MLIR's polynomial approximations expand them into arith code plus a few
// math ops (fma, floor) that LLVM has intrinsics for, and those are lowered
// here, before convert-math-to-libm would scalarize them. Scalar math is
// left for libm, which LLVM's loop vectorizer widens through libmvec.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_LOWERVECTORMATH
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool isVectorMath(Operation *op) {
  return isa<math::MathDialect>(op->getDialect()) &&
         llvm::any_of(op->getOperandTypes(), llvm::IsaPred<VectorType>);
}

struct LowerVectorMathPass
    : kiln::impl::LowerVectorMathBase<LowerVectorMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> vectorMath;
    getOperation()->walk([&](Operation *op) {
      if (isVectorMath(op))
        vectorMath.push_back(op);
    });
    if (vectorMath.empty())
      return;

    RewritePatternSet approximations(&getContext());
    populateMathPolynomialApproximationPatterns(approximations);
    // The expansion of one op creates others (tanh and erf use exp); the
    // driver rewrites those too because it also visits new ops.
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    if (failed(applyOpPatternsAndFold(vectorMath, std::move(approximations),
                                      config)))
      return signalPassFailure();

    LLVMTypeConverter converter(&getContext());
    RewritePatternSet intrinsics(&getContext());
    populateMathToLLVMConversionPatterns(converter, intrinsics);
    ConversionTarget target(getContext());
    target.markUnknownOpDynamicallyLegal(
        [](Operation *op) { return !isVectorMath(op); });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(intrinsics))))
      signalPassFailure();
  }
};

} // namespace
