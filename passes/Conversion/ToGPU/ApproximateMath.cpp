//===- ApproximateMath.cpp - Polynomial f32 math in the kernels -----------===//
//
// The kiln-gpu-approximate-math pass: the polynomial half of the CPU's
// kiln-lower-math, for the kernels. The intrinsic half does not apply here:
// convert-gpu-to-nvvm declares LLVM's math intrinsics illegal and maps math
// ops to libdevice itself (kiln-gpu-native-math undoes that where PTX has
// an instruction), for scalars only, so math left on vectors is split into
// lanes here.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"
#include "passes/Conversion/ToLLVM/MathApproximation.h"

namespace kiln {
#define GEN_PASS_DEF_GPUAPPROXIMATEMATH
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct GPUApproximateMathPass
    : kiln::impl::GPUApproximateMathBase<GPUApproximateMathPass> {
  void runOnOperation() override {
    if (failed(kiln::approximateF32Math(getOperation())))
      return signalPassFailure();
    SmallVector<Operation *> vectorMath;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) && op->getNumResults() == 1 &&
          isa<VectorType>(op->getResult(0).getType()))
        vectorMath.push_back(op);
    });
    for (Operation *op : vectorMath)
      if (failed(scalarize(op)))
        return signalPassFailure();
    // convert-gpu-to-nvvm has no pattern for fma (the approximations' main
    // op) and accepts LLVM's intrinsic for it.
    getOperation()->walk([](math::FmaOp fma) {
      IRRewriter rewriter(fma);
      rewriter.replaceOpWithNewOp<LLVM::FMAOp>(fma, fma.getA(), fma.getB(),
                                               fma.getC());
    });
  }

  /// Replaces a math op on 1-D vectors by one op per lane:
  /// convert-gpu-to-nvvm lowers scalar math only.
  LogicalResult scalarize(Operation *op) {
    auto type = cast<VectorType>(op->getResult(0).getType());
    if (type.getRank() != 1 || type.isScalable())
      return op->emitOpError("on a vector that is not 1-D and fixed-size "
                             "cannot be lowered for the GPU");
    IRRewriter rewriter(op);
    Location loc = op->getLoc();
    Value result = rewriter.create<arith::ConstantOp>(
        loc, type, rewriter.getZeroAttr(type));
    for (int64_t lane = 0; lane < type.getDimSize(0); ++lane) {
      OperationState state(loc, op->getName());
      state.addAttributes(op->getAttrs());
      for (Value operand : op->getOperands())
        state.addOperands(
            rewriter.create<vector::ExtractOp>(loc, operand, lane).getResult());
      state.addTypes(type.getElementType());
      Value element = rewriter.create(state)->getResult(0);
      result = rewriter.create<vector::InsertOp>(loc, element, result, lane);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace
