//===- LowerMath.cpp - Math functions without per-element libm calls ------===//
//
// The kiln-lower-math pass. MLIR's polynomial approximations expand f32
// exp, tanh, erf, log1p, ... into arith code plus a few math ops (fma,
// floor) that LLVM has intrinsics for; those, and every other math op on
// vectors, are lowered to LLVM intrinsics here, before convert-math-to-libm
// would turn them into libm calls (one per lane for a vector). What is left
// for libm is scalar math on f64.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLLVM/MathApproximation.h"
#include "passes/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln {
#define GEN_PASS_DEF_LOWERMATH
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool isMath(Operation *op) { return isa<math::MathDialect>(op->getDialect()); }

bool hasVectorOperand(Operation *op) {
  return llvm::any_of(op->getOperandTypes(), llvm::IsaPred<VectorType>);
}

/// Ops the approximations produce and LLVM lowers well as intrinsics, scalar
/// or vector; anything else scalar stays for libm.
bool isIntrinsicMath(Operation *op) {
  return isa<math::FmaOp, math::FloorOp, math::CeilOp, math::SqrtOp,
             math::AbsFOp, math::CopySignOp, math::RoundEvenOp>(op);
}

struct LowerMathPass : kiln::impl::LowerMathBase<LowerMathPass> {
  void runOnOperation() override {
    if (failed(kiln::approximateF32Math(getOperation())))
      return signalPassFailure();

    LLVMTypeConverter converter(&getContext());
    RewritePatternSet intrinsics(&getContext());
    populateMathToLLVMConversionPatterns(converter, intrinsics);
    ConversionTarget target(getContext());
    target.markUnknownOpDynamicallyLegal([](Operation *op) {
      return !isMath(op) || !(hasVectorOperand(op) || isIntrinsicMath(op));
    });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(intrinsics))))
      signalPassFailure();
  }
};

} // namespace
