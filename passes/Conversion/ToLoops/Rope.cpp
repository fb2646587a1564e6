//===- Rope.cpp - Rotary position embedding kernels -----------------------===//

#include "passes/Conversion/ToLoops/Rope.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;

namespace kiln {

void emitRopeAngles(ImplicitLocOpBuilder &b, const RopeSpec &spec,
                    Value position, Value cosines, Value sines, Value row) {
  Type f64 = b.getF64Type();
  Value pos = b.create<arith::SIToFPOp>(f64, position);
  double step = -2.0 * std::log(spec.theta) / spec.rotaryDim;
  sequentialLoops(
      b, {indexConst(b, spec.pairs())},
      [&](ImplicitLocOpBuilder &b, ValueRange i) {
        Value fi = b.create<arith::SIToFPOp>(
            f64, b.create<arith::IndexCastOp>(b.getI64Type(), i[0]));
        Value angle = b.create<arith::MulFOp>(
            pos, b.create<math::ExpOp>(
                     b.create<arith::MulFOp>(fi, floatConst(b, f64, step))));
        storeF32(b,
                 b.create<arith::TruncFOp>(b.getF32Type(),
                                           b.create<math::CosOp>(angle)),
                 cosines, {row, i[0]});
        storeF32(b,
                 b.create<arith::TruncFOp>(b.getF32Type(),
                                           b.create<math::SinOp>(angle)),
                 sines, {row, i[0]});
      });
}

void emitRotateHead(
    ImplicitLocOpBuilder &b, const RopeSpec &spec, Value cosines, Value sines,
    Value row, llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)> load,
    llvm::function_ref<void(ImplicitLocOpBuilder &, Value, Value)> store) {
  sequentialLoops(
      b, {indexConst(b, spec.pairs())},
      [&](ImplicitLocOpBuilder &b, ValueRange i) {
        Value cos = loadF32(b, cosines, {row, i[0]});
        Value sin = loadF32(b, sines, {row, i[0]});
        Value first, second;
        if (spec.interleaved) {
          first = b.create<arith::MulIOp>(i[0], indexConst(b, 2));
          second = b.create<arith::AddIOp>(first, indexConst(b, 1));
        } else {
          first = i[0];
          second = b.create<arith::AddIOp>(i[0], indexConst(b, spec.pairs()));
        }
        Value x1 = load(b, first), x2 = load(b, second);
        store(b, first,
              b.create<arith::SubFOp>(b.create<arith::MulFOp>(x1, cos),
                                      b.create<arith::MulFOp>(x2, sin)));
        store(b, second,
              b.create<arith::AddFOp>(b.create<arith::MulFOp>(x2, cos),
                                      b.create<arith::MulFOp>(x1, sin)));
      });
}

} // namespace kiln
