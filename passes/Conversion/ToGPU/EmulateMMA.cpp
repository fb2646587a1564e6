//===- EmulateMMA.cpp - warp.mma as per-lane dot products -----------------===//
//
// The kiln-gpu-emulate-mma pass (--gpu-emulation). A warp.mma's result in
// lane l depends only on the tiles, on l and on l's accumulators, so each
// lane computes its 4 elements of C itself: 4 dot products of K terms read
// straight from the tiles, f16 and bf16 widened to f32, f32 rounded to TF32
// first as the tensor core's inputs are. The phases of the emulated block
// then run their threads in any order and stay exact.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "dialects/Warp/IR/WarpOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_GPUEMULATEMMA
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

Value index(ImplicitLocOpBuilder &b, int64_t value) {
  return b.create<arith::ConstantIndexOp>(value);
}

/// `x` (f32) rounded to TF32, to nearest with ties away from zero, as
/// `cvt.rna.tf32.f32` does: 2^12 added to the magnitude's bits, the low 13
/// cleared (a carry into the exponent rounds up to the next binade, or to
/// infinity). Infinities and NaNs pass unchanged.
Value roundToTF32(ImplicitLocOpBuilder &b, Value x) {
  Type i32 = b.getI32Type();
  auto constant = [&](uint32_t value) {
    return b.create<arith::ConstantIntOp>(static_cast<int32_t>(value), i32);
  };
  Value bits = b.create<arith::BitcastOp>(i32, x);
  Value rounded = b.create<arith::AndIOp>(
      b.create<arith::AddIOp>(bits, constant(0x1000)), constant(0xffffe000));
  Value exponent = b.create<arith::AndIOp>(bits, constant(0x7f800000));
  Value finite = b.create<arith::CmpIOp>(arith::CmpIPredicate::ne, exponent,
                                         constant(0x7f800000));
  return b.create<arith::BitcastOp>(
      b.getF32Type(), b.create<arith::SelectOp>(finite, rounded, bits));
}

/// An element of a tile as the tensor core multiplies it: f32.
Value loadOperand(ImplicitLocOpBuilder &b, Value tile, Value row, Value k) {
  Value value = b.create<memref::LoadOp>(tile, ValueRange{row, k});
  if (value.getType().isF32())
    return roundToTF32(b, value);
  return b.create<arith::ExtFOp>(b.getF32Type(), value);
}

struct EmulateMMA : OpRewritePattern<kiln::warp::MMAOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kiln::warp::MMAOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    // Lane l holds C[g][2t], C[g][2t + 1], C[g + 8][2t], C[g + 8][2t + 1].
    Value g = b.create<arith::DivUIOp>(op.getLane(), index(b, 4));
    Value t = b.create<arith::RemUIOp>(op.getLane(), index(b, 4));
    Value row0 = b.create<arith::AddIOp>(op.getARow(), g);
    Value row1 = b.create<arith::AddIOp>(row0, index(b, 8));
    Value col0 = b.create<arith::AddIOp>(
        op.getBCol(), b.create<arith::MulIOp>(t, index(b, 2)));
    Value col1 = b.create<arith::AddIOp>(col0, index(b, 1));
    SmallVector<Value> init;
    for (int64_t i = 0; i < 4; ++i)
      init.push_back(b.create<vector::ExtractOp>(op.getAcc(), i));
    auto loop = b.create<scf::ForOp>(
        index(b, 0), index(b, op.getDepth()), index(b, 1), init,
        [&](OpBuilder &nested, Location loc, Value k, ValueRange sums) {
          ImplicitLocOpBuilder b(loc, nested);
          Value ak = b.create<arith::AddIOp>(op.getAK(), k);
          Value bk = b.create<arith::AddIOp>(op.getBK(), k);
          Value a[2] = {loadOperand(b, op.getA(), row0, ak),
                        loadOperand(b, op.getA(), row1, ak)};
          Value x[2] = {loadOperand(b, op.getB(), col0, bk),
                        loadOperand(b, op.getB(), col1, bk)};
          SmallVector<Value> next;
          for (int64_t i = 0; i < 4; ++i)
            next.push_back(b.create<arith::AddFOp>(
                sums[i], b.create<arith::MulFOp>(a[i / 2], x[i % 2])));
          b.create<scf::YieldOp>(next);
        });
    Value result = op.getAcc();
    for (int64_t i = 0; i < 4; ++i)
      result = b.create<vector::InsertOp>(loop.getResult(i), result, i);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GPUEmulateMMAPass
    : kiln::impl::GPUEmulateMMABase<GPUEmulateMMAPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<EmulateMMA>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
