//===- ElementwiseToLoops.cpp - Elementwise graph ops to loops ------------===//
//
// Unary activations, broadcasting binary arithmetic and element type casts,
// each one loop nest whose rows run in parallel.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

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
  bool isFloat = isa<FloatType>(lhs.getType());
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
    SmallVector<Value> sizes = broadcastSizes(b, type, {lhs, rhs});
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

} // namespace

void kiln::populateElementwiseToLoopsPatterns(TypeConverter &converter,
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
}
