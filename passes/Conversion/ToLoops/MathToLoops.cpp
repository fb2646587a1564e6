//===- MathToLoops.cpp - More math, comparisons and where to loops --------===//
//
// The element-wise ops added for generation: log, sqrt, abs, square, erf,
// sin, cos, maximum, minimum, pow, the six comparisons and where. Each is
// one broadcasting loop nest whose rows run in parallel and whose innermost
// loop LLVM vectorizes; f32 math is expanded by kiln-lower-math.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/ElementwiseScalar.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// Computes one result element from the loaded operand elements.
using ElementFn =
    llvm::function_ref<Value(ImplicitLocOpBuilder &, ValueRange operands)>;

/// Replaces `op` by a buffer filled with `fn` of its operands, broadcast
/// NumPy-style. Floats are loaded as f32 (`loadF32`).
LogicalResult replaceWithElementwise(ConversionPatternRewriter &rewriter,
                                     Operation *op,
                                     const TypeConverter *converter,
                                     ValueRange operands, ElementFn fn) {
  ImplicitLocOpBuilder b(op->getLoc(), rewriter);
  FailureOr<SmallVector<Value>> sizes = resultSizes(b, op);
  if (failed(sizes))
    return rewriter.notifyMatchFailure(op, "no reified result shape");
  Value out = resultBuffer(op);
  rowParallelLoops(b, *sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
    SmallVector<Value> elements;
    for (Value operand : operands) {
      auto shape = cast<MemRefType>(operand.getType()).getShape();
      elements.push_back(loadF32(b, operand, broadcastIndices(b, shape, ivs)));
    }
    storeF32(b, fn(b, elements), out, ivs);
  });
  rewriter.replaceOp(op, out);
  return success();
}

enum class MathFn { Log, Sqrt, Abs, Square, Erf, Sin, Cos };

Value emitMath(ImplicitLocOpBuilder &b, MathFn fn, Value x) {
  switch (fn) {
  case MathFn::Log:
    return b.create<math::LogOp>(x);
  case MathFn::Sqrt:
    return b.create<math::SqrtOp>(x);
  case MathFn::Abs:
    return b.create<math::AbsFOp>(x);
  case MathFn::Square:
    return b.create<arith::MulFOp>(x, x);
  case MathFn::Erf:
    return b.create<math::ErfOp>(x);
  case MathFn::Sin:
    return b.create<math::SinOp>(x);
  case MathFn::Cos:
    return b.create<math::CosOp>(x);
  }
  llvm_unreachable("unknown math function");
}

template <typename Op, MathFn Fn> struct MathToLoops : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return replaceWithElementwise(rewriter, op, this->getTypeConverter(),
                                  {adaptor.getInput()},
                                  [](ImplicitLocOpBuilder &b, ValueRange x) {
                                    return emitMath(b, Fn, x[0]);
                                  });
  }
};

enum class BinaryFn { Maximum, Minimum, Pow };

Value emitBinary(ImplicitLocOpBuilder &b, BinaryFn fn, Value x, Value y) {
  bool isFloat = isa<FloatType>(getElementTypeOrSelf(x.getType()));
  switch (fn) {
  case BinaryFn::Maximum:
    // arith.maximumf propagates NaN, as torch.maximum.
    return isFloat ? b.create<arith::MaximumFOp>(x, y).getResult()
                   : b.create<arith::MaxSIOp>(x, y).getResult();
  case BinaryFn::Minimum:
    return isFloat ? b.create<arith::MinimumFOp>(x, y).getResult()
                   : b.create<arith::MinSIOp>(x, y).getResult();
  case BinaryFn::Pow:
    return b.create<math::PowFOp>(x, y);
  }
  llvm_unreachable("unknown binary function");
}

template <typename Op, BinaryFn Fn>
struct BinaryMathToLoops : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return replaceWithElementwise(rewriter, op, this->getTypeConverter(),
                                  {adaptor.getLhs(), adaptor.getRhs()},
                                  [](ImplicitLocOpBuilder &b, ValueRange v) {
                                    return emitBinary(b, Fn, v[0], v[1]);
                                  });
  }
};

/// A comparison as ordered float predicates (false with NaN) except
/// not-equal (true with NaN), signed integer predicates, and unsigned ones
/// for bool, where i1's 1 is not -1.
struct Relation {
  arith::CmpFPredicate fp;
  arith::CmpIPredicate si, ui;
};

template <typename Op> struct CompareToLoops : OpConversionPattern<Op> {
  CompareToLoops(const TypeConverter &converter, MLIRContext *context,
                 Relation relation)
      : OpConversionPattern<Op>(converter, context), relation(relation) {}
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return replaceWithElementwise(
        rewriter, op, this->getTypeConverter(),
        {adaptor.getLhs(), adaptor.getRhs()},
        [&](ImplicitLocOpBuilder &b, ValueRange v) -> Value {
          Type type = v[0].getType();
          if (isa<FloatType>(type))
            return b.create<arith::CmpFOp>(relation.fp, v[0], v[1]);
          return b.create<arith::CmpIOp>(
              type.isInteger(1) ? relation.ui : relation.si, v[0], v[1]);
        });
  }
  Relation relation;
};

struct WhereToLoops : OpConversionPattern<WhereOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(WhereOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return replaceWithElementwise(
        rewriter, op, getTypeConverter(),
        {adaptor.getCond(), adaptor.getLhs(), adaptor.getRhs()},
        [](ImplicitLocOpBuilder &b, ValueRange v) -> Value {
          return b.create<arith::SelectOp>(v[0], v[1], v[2]);
        });
  }
};

} // namespace

Value kiln::emitMathScalar(ImplicitLocOpBuilder &b, Operation *op,
                          ValueRange operands) {
  auto math = [&](MathFn fn) { return emitMath(b, fn, operands[0]); };
  auto binary = [&](BinaryFn fn) {
    return emitBinary(b, fn, operands[0], operands[1]);
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](LogOp) { return math(MathFn::Log); })
      .Case([&](SqrtOp) { return math(MathFn::Sqrt); })
      .Case([&](AbsOp) { return math(MathFn::Abs); })
      .Case([&](SquareOp) { return math(MathFn::Square); })
      .Case([&](ErfOp) { return math(MathFn::Erf); })
      .Case([&](SinOp) { return math(MathFn::Sin); })
      .Case([&](CosOp) { return math(MathFn::Cos); })
      .Case([&](MaximumOp) { return binary(BinaryFn::Maximum); })
      .Case([&](MinimumOp) { return binary(BinaryFn::Minimum); })
      .Case([&](PowOp) { return binary(BinaryFn::Pow); })
      .Default([](Operation *) { return Value(); });
}

void kiln::populateMathToLoopsPatterns(TypeConverter &converter,
                                       RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<
      MathToLoops<LogOp, MathFn::Log>, MathToLoops<SqrtOp, MathFn::Sqrt>,
      MathToLoops<AbsOp, MathFn::Abs>, MathToLoops<SquareOp, MathFn::Square>,
      MathToLoops<ErfOp, MathFn::Erf>, MathToLoops<SinOp, MathFn::Sin>,
      MathToLoops<CosOp, MathFn::Cos>,
      BinaryMathToLoops<MaximumOp, BinaryFn::Maximum>,
      BinaryMathToLoops<MinimumOp, BinaryFn::Minimum>,
      BinaryMathToLoops<PowOp, BinaryFn::Pow>, WhereToLoops>(converter,
                                                             context);
  using F = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  patterns.add<CompareToLoops<EqualOp>>(converter, context,
                                        Relation{F::OEQ, I::eq, I::eq});
  patterns.add<CompareToLoops<NotEqualOp>>(converter, context,
                                           Relation{F::UNE, I::ne, I::ne});
  patterns.add<CompareToLoops<LessOp>>(converter, context,
                                       Relation{F::OLT, I::slt, I::ult});
  patterns.add<CompareToLoops<LessEqualOp>>(converter, context,
                                            Relation{F::OLE, I::sle, I::ule});
  patterns.add<CompareToLoops<GreaterOp>>(converter, context,
                                          Relation{F::OGT, I::sgt, I::ugt});
  patterns.add<CompareToLoops<GreaterEqualOp>>(
      converter, context, Relation{F::OGE, I::sge, I::uge});
}
