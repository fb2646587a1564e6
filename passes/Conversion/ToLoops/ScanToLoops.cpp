//===- ScanToLoops.cpp - Scan ops to loops --------------------------------===//
//
// Lowers the recurrences of the scan dialect: channels are independent, so
// one parallel iteration per (batch, channel) runs the recurrence over time
// sequentially, carrying its state in registers (linear_recurrence) or in a
// small scratch buffer of N states (selective_scan).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::scan;

namespace {

/// Converted type of result `index` of `op`.
MemRefType resultType(const TypeConverter *converter, Operation *op,
                      unsigned index) {
  return cast<MemRefType>(
      converter->convertType(op->getResult(index).getType()));
}

struct SelectiveScanToLoops : OpConversionPattern<SelectiveScanOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SelectiveScanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value u = adaptor.getU(), delta = adaptor.getDelta(), a = adaptor.getA(),
          bm = adaptor.getB(), cm = adaptor.getC();
    Value skip = adaptor.getD(), gate = adaptor.getZ(),
          deltaBias = adaptor.getDeltaBias();
    SmallVector<Value> sizes = memrefSizes(b, u);
    Value steps = sizes[1], states = memrefSizes(b, a)[1];
    Value y = allocBuffer(b, resultType(getTypeConverter(), op, 0), sizes);
    Value finalState;
    if (op.getFinalState())
      finalState = allocBuffer(b, resultType(getTypeConverter(), op, 1),
                               {sizes[0], sizes[2], states});
    bool softplus = op.getDeltaSoftplus();

    parallelLoops(
        b, {sizes[0], sizes[2]}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0], channel = ivs[1];
          // h[n], zero before the first step; the parallel body is an automatic
          // allocation scope, so this is per-(batch, channel) scratch.
          std::optional<int64_t> staticStates = getConstantIntValue(states);
          Value h = b.create<memref::AllocaOp>(
              MemRefType::get(
                  {staticStates ? *staticStates : ShapedType::kDynamic},
                  b.getF32Type()),
              staticStates ? ValueRange() : ValueRange(states));
          Value zero = f32Const(b, 0.0);
          sequentialLoops(b, {states},
                          [&](ImplicitLocOpBuilder &b, ValueRange n) {
                            b.create<memref::StoreOp>(zero, h, n);
                          });
          Value bias = deltaBias ? loadF32(b, deltaBias, {channel}) : Value();
          Value skipWeight = skip ? loadF32(b, skip, {channel}) : Value();

          sequentialLoops(
              b, {steps}, [&](ImplicitLocOpBuilder &b, ValueRange t) {
                SmallVector<Value> btd = {batch, t[0], channel};
                Value dt = loadF32(b, delta, btd);
                if (bias)
                  dt = b.create<arith::AddFOp>(dt, bias);
                if (softplus)
                  dt = emitScalarFn(b, ScalarFn::Softplus, dt);
                Value ut = loadF32(b, u, btd);
                Value out = forReduce(
                    b, indexConst(b, 0), states, {f32Const(b, 0.0)},
                    [&](ImplicitLocOpBuilder &b, Value n,
                        ValueRange sum) -> SmallVector<Value> {
                      SmallVector<Value> btn = {batch, t[0], n};
                      Value decay =
                          b.create<math::ExpOp>(b.create<arith::MulFOp>(
                              dt, loadF32(b, a, {channel, n})));
                      Value input = b.create<arith::MulFOp>(
                          b.create<arith::MulFOp>(dt, loadF32(b, bm, btn)), ut);
                      Value next = b.create<arith::AddFOp>(
                          b.create<arith::MulFOp>(
                              decay, b.create<memref::LoadOp>(h, n)),
                          input);
                      b.create<memref::StoreOp>(next, h, n);
                      return {b.create<arith::AddFOp>(
                          sum[0],
                          b.create<arith::MulFOp>(next, loadF32(b, cm, btn)))};
                    })[0];
                if (skipWeight)
                  out = b.create<arith::AddFOp>(
                      out, b.create<arith::MulFOp>(skipWeight, ut));
                if (gate)
                  out = b.create<arith::MulFOp>(
                      out,
                      emitScalarFn(b, ScalarFn::Silu, loadF32(b, gate, btd)));
                storeF32(b, out, y, btd);
              });

          if (finalState)
            sequentialLoops(b, {states},
                            [&](ImplicitLocOpBuilder &b, ValueRange n) {
                              storeF32(b, b.create<memref::LoadOp>(h, n),
                                       finalState, {batch, channel, n[0]});
                            });
        });
    SmallVector<Value> results = {y};
    if (finalState)
      results.push_back(finalState);
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct LinearRecurrenceToLoops : OpConversionPattern<LinearRecurrenceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LinearRecurrenceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value a = adaptor.getA(), bv = adaptor.getB(), h0 = adaptor.getH0();
    SmallVector<Value> sizes = memrefSizes(b, a);
    Value steps = sizes[1];
    Value out = allocBuffer(b, resultType(getTypeConverter(), op, 0), sizes);
    bool reverse = op.getReverse();

    parallelLoops(
        b, {sizes[0], sizes[2]}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0], channel = ivs[1];
          Value init = h0 ? loadF32(b, h0, {batch, channel}) : f32Const(b, 0.0);
          Value last = b.create<arith::SubIOp>(steps, indexConst(b, 1));
          forReduce(b, indexConst(b, 0), steps, {init},
                    [&](ImplicitLocOpBuilder &b, Value step,
                        ValueRange h) -> SmallVector<Value> {
                      Value t =
                          reverse
                              ? b.create<arith::SubIOp>(last, step).getResult()
                              : step;
                      SmallVector<Value> at = {batch, t, channel};
                      Value next = b.create<arith::AddFOp>(
                          b.create<arith::MulFOp>(loadF32(b, a, at), h[0]),
                          loadF32(b, bv, at));
                      storeF32(b, next, out, at);
                      return {next};
                    });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateScanToLoopsPatterns(const KernelOptions &options,
                                       TypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<SelectiveScanToLoops, LinearRecurrenceToLoops>(
      converter, patterns.getContext());
}
