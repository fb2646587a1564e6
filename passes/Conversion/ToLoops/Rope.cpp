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
  // The angles in f32 as PyTorch's rotary embeddings (HF's, Meta's LLaMA)
  // compute them: inv = 1 / theta^(2i / r) and position * inv, each
  // rounded to f32; their cos and sin in f64. A graph that writes RoPE out
  // (kiln-raise-rope) gets the same tables.
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  Value pos = b.create<arith::SIToFPOp>(f32, position);
  Value logTheta = floatConst(b, f64, std::log(spec.theta));
  Value rotaryDim = floatConst(b, f32, double(spec.rotaryDim));
  sequentialLoops(
      b, {indexConst(b, spec.pairs())},
      [&](ImplicitLocOpBuilder &b, ValueRange i) {
        Value twoI = b.create<arith::SIToFPOp>(
            f32, b.create<arith::IndexCastOp>(
                     b.getI64Type(),
                     b.create<arith::MulIOp>(i[0], indexConst(b, 2))));
        Value exponent = b.create<arith::DivFOp>(twoI, rotaryDim);
        Value power = b.create<arith::TruncFOp>(
            f32, b.create<math::ExpOp>(b.create<arith::MulFOp>(
                     b.create<arith::ExtFOp>(f64, exponent), logTheta)));
        Value inverse = b.create<arith::DivFOp>(floatConst(b, f32, 1.0), power);
        Value angle = b.create<arith::ExtFOp>(
            f64, b.create<arith::MulFOp>(pos, inverse).getResult());
        storeF32(b,
                 b.create<arith::TruncFOp>(f32, b.create<math::CosOp>(angle)),
                 cosines, {row, i[0]});
        storeF32(b,
                 b.create<arith::TruncFOp>(f32, b.create<math::SinOp>(angle)),
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
