//===- ElementwiseToLoops.cpp - Elementwise graph ops to loops ------------===//
//
// Unary activations, broadcasting binary arithmetic and element type casts,
// each one loop nest whose rows run in parallel; and graph.fused_elementwise,
// a chain of them in one loop nest that evaluates its body on scalars.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/ElementwiseScalar.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

template <typename Op, ScalarFn Fn>
struct UnaryToLoops : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    auto type = cast<MemRefType>(
        this->getTypeConverter()->convertType(op.getType()));
    SmallVector<Value> sizes = memrefSizes(b, input);
    Value out = allocBuffer(b, type, sizes);
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      storeF32(b, emitScalarFn(b, Fn, loadF32(b, input, ivs)), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

enum class BinaryKind { Add, Sub, Mul, Div };

Value emitBinary(ImplicitLocOpBuilder &b, BinaryKind kind, Value lhs,
                 Value rhs) {
  bool isFloat = isa<FloatType>(getElementTypeOrSelf(lhs.getType()));
  switch (kind) {
  case BinaryKind::Add:
    return isFloat ? b.create<arith::AddFOp>(lhs, rhs).getResult()
                   : b.create<arith::AddIOp>(lhs, rhs).getResult();
  case BinaryKind::Sub:
    return isFloat ? b.create<arith::SubFOp>(lhs, rhs).getResult()
                   : b.create<arith::SubIOp>(lhs, rhs).getResult();
  case BinaryKind::Mul:
    return isFloat ? b.create<arith::MulFOp>(lhs, rhs).getResult()
                   : b.create<arith::MulIOp>(lhs, rhs).getResult();
  case BinaryKind::Div:
    return isFloat ? b.create<arith::DivFOp>(lhs, rhs).getResult()
                   : b.create<arith::DivSIOp>(lhs, rhs).getResult();
  }
  llvm_unreachable("unknown binary op");
}

template <typename Op, BinaryKind Kind>
struct BinaryToLoops : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto type = cast<MemRefType>(
        this->getTypeConverter()->convertType(op.getType()));
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value out = allocBuffer(b, type, sizes);
    auto lhsShape = cast<MemRefType>(lhs.getType()).getShape();
    auto rhsShape = cast<MemRefType>(rhs.getType()).getShape();
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value x = loadF32(b, lhs, broadcastIndices(b, lhsShape, ivs));
      Value y = loadF32(b, rhs, broadcastIndices(b, rhsShape, ivs));
      storeF32(b, emitBinary(b, Kind, x, y), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Converts a scalar between element types; float to integer truncates
/// toward zero, as PyTorch does. Bool (i1) is unsigned, and anything
/// nonzero (NaN too) converts to true.
Value convertScalar(ImplicitLocOpBuilder &b, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  if (to.isInteger(1)) {
    Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(from));
    if (isa<FloatType>(from))
      return b.create<arith::CmpFOp>(arith::CmpFPredicate::UNE, value, zero);
    return b.create<arith::CmpIOp>(arith::CmpIPredicate::ne, value, zero);
  }
  if (from.isInteger(1))
    return isa<FloatType>(to) ? b.create<arith::UIToFPOp>(to, value).getResult()
                              : b.create<arith::ExtUIOp>(to, value).getResult();
  auto fromFloat = dyn_cast<FloatType>(from), toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return b.create<arith::ExtFOp>(to, value);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return b.create<arith::TruncFOp>(to, value);
    // f16 <-> bf16: through f32.
    return b.create<arith::TruncFOp>(
        to, b.create<arith::ExtFOp>(b.getF32Type(), value));
  }
  if (fromFloat)
    return b.create<arith::FPToSIOp>(to, value);
  if (toFloat)
    return b.create<arith::SIToFPOp>(to, value);
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return b.create<arith::ExtSIOp>(to, value);
  return b.create<arith::TruncIOp>(to, value);
}

struct CastToLoops : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    SmallVector<Value> sizes = memrefSizes(b, input);
    Value out = allocBuffer(b, type, sizes);
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value x = b.create<memref::LoadOp>(input, ivs);
      b.create<memref::StoreOp>(convertScalar(b, x, type.getElementType()),
                                out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// The scalar form of the elementwise `op` (graph::isElementwise) on the
/// scalars `operands`, floats held as f32 (a cast to a narrower float rounds,
/// then widens back).
Value emitElementwiseScalar(ImplicitLocOpBuilder &b, Operation *op,
                            ValueRange operands) {
  using Fn = ScalarFn;
  auto unary = [&](Fn fn) { return emitScalarFn(b, fn, operands[0]); };
  auto binary = [&](BinaryKind kind) {
    return emitBinary(b, kind, operands[0], operands[1]);
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](ReluOp) { return unary(Fn::Relu); })
      .Case([&](GeluOp) { return unary(Fn::Gelu); })
      .Case([&](GeluTanhOp) { return unary(Fn::GeluTanh); })
      .Case([&](SiluOp) { return unary(Fn::Silu); })
      .Case([&](SigmoidOp) { return unary(Fn::Sigmoid); })
      .Case([&](TanhOp) { return unary(Fn::Tanh); })
      .Case([&](ExpOp) { return unary(Fn::Exp); })
      .Case([&](SoftplusOp) { return unary(Fn::Softplus); })
      .Case([&](NegOp) { return unary(Fn::Neg); })
      .Case([&](RsqrtOp) { return unary(Fn::Rsqrt); })
      .Case([&](AddOp) { return binary(BinaryKind::Add); })
      .Case([&](SubOp) { return binary(BinaryKind::Sub); })
      .Case([&](MulOp) { return binary(BinaryKind::Mul); })
      .Case([&](DivOp) { return binary(BinaryKind::Div); })
      .Case([&](CastOp cast) {
        Value value =
            convertScalar(b, operands[0], cast.getType().getElementType());
        if (isa<FloatType>(value.getType()) && !value.getType().isF32())
          return b.create<arith::ExtFOp>(b.getF32Type(), value).getResult();
        return value;
      })
      .Default([&](Operation *op) { return emitMathScalar(b, op, operands); });
}

/// Evaluates the body of `op` on `inputs` (scalars or vectors, one per
/// block argument) and returns the yielded value.
Value emitGroupBody(ImplicitLocOpBuilder &b, FusedElementwiseOp op,
                    ValueRange inputs) {
  Block &body = op.getBody().front();
  IRMapping values;
  values.map(body.getArguments(), inputs);
  for (Operation &inner : body.without_terminator()) {
    SmallVector<Value> operands;
    for (Value operand : inner.getOperands())
      operands.push_back(values.lookup(operand));
    values.map(inner.getResult(0), emitElementwiseScalar(b, &inner, operands));
  }
  return values.lookup(body.getTerminator()->getOperand(0));
}

/// Whether the group computes in f32 lanes only: float inputs and result,
/// no cast (the vector kernel's precondition).
bool isFloatGroup(FusedElementwiseOp op) {
  auto isFloat = [](Type type) {
    return isa<FloatType>(getElementTypeOrSelf(type));
  };
  return isFloat(op.getType()) &&
         llvm::all_of(op.getInputs().getTypes(), isFloat) &&
         llvm::none_of(op.getBody().front(),
                       [](Operation &inner) { return isa<CastOp>(inner); });
}

/// One loop nest over the result: the body is evaluated on elements, so no
/// intermediate of the chain is stored. Float groups run `width`-lane
/// vectors along the last dimension (an input broadcast along it is a splat
/// of one element; the tail is masked); others run scalars, which LLVM may
/// vectorize.
struct FusedElementwiseToLoops : OpConversionPattern<FusedElementwiseOp> {
  FusedElementwiseToLoops(const KernelOptions &options,
                          TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context), width(options.vectorWidth) {}

  LogicalResult
  matchAndRewrite(FusedElementwiseOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value out = allocBuffer(b, type, sizes);
    if (type.getRank() == 0 || !isFloatGroup(op)) {
      rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        SmallVector<Value> inputs;
        for (Value input : adaptor.getInputs()) {
          auto shape = cast<MemRefType>(input.getType()).getShape();
          inputs.push_back(loadF32(b, input, broadcastIndices(b, shape, ivs)));
        }
        storeF32(b, emitGroupBody(b, op, inputs), out, ivs);
      });
    } else {
      emitVectorLoops(b, op, adaptor.getInputs(), sizes, out);
    }
    rewriter.replaceOp(op, out);
    return success();
  }

  void emitVectorLoops(ImplicitLocOpBuilder &b, FusedElementwiseOp op,
                       ValueRange inputs, ArrayRef<Value> sizes,
                       Value out) const {
    Value columns = sizes.back();
    parallelLoops(b, sizes.drop_back(), [&](ImplicitLocOpBuilder &b,
                                            ValueRange rows) {
      auto loop = b.create<scf::ForOp>(indexConst(b, 0), columns,
                                       indexConst(b, width));
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> ivs(rows);
      ivs.push_back(loop.getInductionVar());
      Value left = b.create<arith::SubIOp>(columns, loop.getInductionVar());
      auto lanes = [&](ImplicitLocOpBuilder &b, Value mask) {
        SmallVector<Value> values;
        for (Value input : inputs) {
          auto shape = cast<MemRefType>(input.getType()).getShape();
          SmallVector<Value> at = broadcastIndices(b, shape, ivs);
          if (shape.empty() || shape.back() == 1)
            values.push_back(splat(b, loadF32(b, input, at), width));
          else if (mask)
            values.push_back(maskedLoadVector(b, input, at, mask, width));
          else
            values.push_back(loadVector(b, input, at, width));
        }
        return emitGroupBody(b, op, values);
      };
      ifWholeVector(
          b, left, width,
          [&](ImplicitLocOpBuilder &b) {
            storeVector(b, lanes(b, Value()), out, ivs);
          },
          [&](ImplicitLocOpBuilder &b) {
            Value mask = laneMask(b, left, width);
            maskedStoreVector(b, lanes(b, mask), out, ivs, mask);
          });
      b.setInsertionPointAfter(loop);
    });
  }

  int64_t width;
};

} // namespace

void kiln::populateElementwiseToLoopsPatterns(const KernelOptions &options,
                                              TypeConverter &converter,
                                              RewritePatternSet &patterns) {
  patterns.add<UnaryToLoops<ReluOp, ScalarFn::Relu>,
               UnaryToLoops<GeluOp, ScalarFn::Gelu>,
               UnaryToLoops<GeluTanhOp, ScalarFn::GeluTanh>,
               UnaryToLoops<SiluOp, ScalarFn::Silu>,
               UnaryToLoops<SigmoidOp, ScalarFn::Sigmoid>,
               UnaryToLoops<TanhOp, ScalarFn::Tanh>,
               UnaryToLoops<ExpOp, ScalarFn::Exp>,
               UnaryToLoops<SoftplusOp, ScalarFn::Softplus>,
               UnaryToLoops<NegOp, ScalarFn::Neg>,
               UnaryToLoops<RsqrtOp, ScalarFn::Rsqrt>,
               BinaryToLoops<AddOp, BinaryKind::Add>,
               BinaryToLoops<SubOp, BinaryKind::Sub>,
               BinaryToLoops<MulOp, BinaryKind::Mul>,
               BinaryToLoops<DivOp, BinaryKind::Div>, CastToLoops>(
      converter, patterns.getContext());
  patterns.add<FusedElementwiseToLoops>(options, converter,
                                        patterns.getContext());
}
