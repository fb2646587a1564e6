//===- FFNToLoops.cpp - Feed-forward blocks to loops ----------------------===//
//
// Lowers ffn.mlp and ffn.glu to GEMM loop nests with fused epilogues: the
// bias and activation (and, for GLU, the gate product) are applied as the
// hidden activations are produced, so the hidden buffer is written once.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/Gemm.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/FFN/IR/FFNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::ffn;

namespace {

ScalarFn scalarFn(Activation activation) {
  switch (activation) {
  case Activation::relu:
    return ScalarFn::Relu;
  case Activation::gelu:
    return ScalarFn::Gelu;
  case Activation::gelu_tanh:
    return ScalarFn::GeluTanh;
  case Activation::silu:
    return ScalarFn::Silu;
  case Activation::relu2:
    return ScalarFn::Relu2;
  }
  llvm_unreachable("unknown activation");
}

/// Allocates the f32 hidden activations [rows of x, rows of weight].
Value allocHidden(ImplicitLocOpBuilder &b, Value x, Value weight) {
  int64_t hidden = cast<MemRefType>(weight.getType()).getDimSize(0);
  auto type = MemRefType::get({ShapedType::kDynamic, hidden}, b.getF32Type());
  return allocBuffer(b, type,
                     {memrefSizes(b, x)[0], memrefSizes(b, weight)[0]});
}

/// Allocates the block's result [..., out] for an input [..., in] and the
/// output projection `weight` [out, hidden].
Value allocResult(ImplicitLocOpBuilder &b, MemRefType type, Value input,
                  Value weight) {
  SmallVector<Value> sizes = memrefSizes(b, input);
  sizes.back() = memrefSizes(b, weight)[0];
  return allocBuffer(b, type, sizes);
}

struct MLPToLoops : OpConversionPattern<MLPOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MLPOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    Value x = collapseToMatrix(b, adaptor.getInput());
    Value out = allocResult(b, type, adaptor.getInput(), adaptor.getWOut());
    Value hidden = allocHidden(b, x, adaptor.getWIn());
    ScalarFn act = scalarFn(op.getActivation());
    Value bIn = adaptor.getBIn(), bOut = adaptor.getBOut();
    emitGemmNT(b, x, adaptor.getWIn(), hidden,
               [&](ImplicitLocOpBuilder &b, Value, Value n, Value acc) {
                 return emitScalarFn(b, act, addBias(b, bIn, n, acc));
               });
    emitGemmNT(b, hidden, adaptor.getWOut(), collapseToMatrix(b, out),
               [&](ImplicitLocOpBuilder &b, Value, Value n, Value acc) {
                 return addBias(b, bOut, n, acc);
               });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct GLUToLoops : OpConversionPattern<GLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    Value x = collapseToMatrix(b, adaptor.getInput());
    Value out = allocResult(b, type, adaptor.getInput(), adaptor.getWDown());
    Value hidden = allocHidden(b, x, adaptor.getWGate());
    ScalarFn act = scalarFn(op.getActivation());
    emitGemmNT(b, x, adaptor.getWGate(), hidden,
               [&](ImplicitLocOpBuilder &b, Value, Value, Value acc) {
                 return emitScalarFn(b, act, acc);
               });
    // The up projection multiplies into the gated activations in place.
    emitGemmNT(
        b, x, adaptor.getWUp(), hidden,
        [&](ImplicitLocOpBuilder &b, Value m, Value n, Value acc) {
          return b.create<arith::MulFOp>(acc, loadF32(b, hidden, {m, n}));
        });
    emitGemmNT(
        b, hidden, adaptor.getWDown(), collapseToMatrix(b, out),
        [&](ImplicitLocOpBuilder &, Value, Value, Value acc) { return acc; });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateFFNToLoopsPatterns(const KernelOptions &options,
                                      TypeConverter &converter,
                                      RewritePatternSet &patterns) {
  patterns.add<MLPToLoops, GLUToLoops>(converter, patterns.getContext());
}
