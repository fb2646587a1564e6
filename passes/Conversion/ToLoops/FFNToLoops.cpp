//===- FFNToLoops.cpp - Feed-forward blocks to loops ----------------------===//
//
// Lowers ffn.mlp and ffn.glu to the register-tiled GEMM of Gemm.h with
// fused epilogues: the bias and activation (and, for GLU, the gate product)
// are applied to the accumulators as the hidden activations are produced,
// so the hidden buffer is written once.
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

/// A pattern that knows the kernels' target options.
template <typename Op> struct FFNPattern : OpConversionPattern<Op> {
  FFNPattern(const KernelOptions &options, TypeConverter &converter,
             MLIRContext *context)
      : OpConversionPattern<Op>(converter, context), options(options),
        tiling(GemmTiling::forWidth(options.vectorWidth)) {}

  /// `out` = `hidden` · `weight`ᵀ (+ `bias`), the output projection.
  void emitProjection(ImplicitLocOpBuilder &b, Op op, unsigned operand,
                      Value hidden, Value weight, Value bias, Value out) const {
    int64_t perPanel = tiling.panelColumns();
    Value c = collapseToMatrix(b, out);
    GemmRhs rhs = weightPanels(b, tiling, options, op, operand, {weight});
    emitGemm(b, tiling, hidden, rhs,
             panelCount(b, memrefSizes(b, weight)[0], perPanel),
             [&](ImplicitLocOpBuilder &b, Value row, Value panel,
                 ValueRange accs) {
               Value col0 =
                   b.create<arith::MulIOp>(panel, indexConst(b, perPanel));
               storeTileRow(b, c, row, col0,
                            addBiasVectors(b, bias, col0, accs), tiling.width);
             });
  }

  /// `accs` + bias[col0 ...] when there is a bias.
  SmallVector<Value> addBiasVectors(ImplicitLocOpBuilder &b, Value bias,
                                    Value col0, ValueRange accs) const {
    SmallVector<Value> values(accs);
    if (!bias)
      return values;
    SmallVector<Value> biases =
        loadRowVectors(b, bias, col0, values.size(), tiling.width);
    for (auto [value, add] : llvm::zip(values, biases))
      value = b.create<arith::AddFOp>(value, add);
    return values;
  }

  KernelOptions options;
  GemmTiling tiling;
};

struct MLPToLoops : FFNPattern<MLPOp> {
  using FFNPattern::FFNPattern;
  LogicalResult
  matchAndRewrite(MLPOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    Value x = collapseToMatrix(b, adaptor.getInput());
    Value out = allocResult(b, type, adaptor.getInput(), adaptor.getWOut());
    Value wIn = adaptor.getWIn();
    Value hidden = allocHidden(b, x, wIn);
    ScalarFn act = scalarFn(op.getActivation());
    Value bIn = adaptor.getBIn();
    int64_t perPanel = tiling.panelColumns();
    GemmRhs rhs = weightPanels(b, tiling, options, op,
                               op.getWInMutable().getOperandNumber(), {wIn});
    emitGemm(b, tiling, x, rhs,
             panelCount(b, memrefSizes(b, wIn)[0], perPanel),
             [&](ImplicitLocOpBuilder &b, Value row, Value panel,
                 ValueRange accs) {
               Value col0 =
                   b.create<arith::MulIOp>(panel, indexConst(b, perPanel));
               SmallVector<Value> values = addBiasVectors(b, bIn, col0, accs);
               for (Value &value : values)
                 value = emitScalarFn(b, act, value);
               storeTileRow(b, hidden, row, col0, values, tiling.width);
             });
    emitProjection(b, op, op.getWOutMutable().getOperandNumber(), hidden,
                   adaptor.getWOut(), adaptor.getBOut(), out);
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct GLUToLoops : FFNPattern<GLUOp> {
  using FFNPattern::FFNPattern;
  LogicalResult
  matchAndRewrite(GLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    Value x = collapseToMatrix(b, adaptor.getInput());
    Value out = allocResult(b, type, adaptor.getInput(), adaptor.getWDown());
    Value wGate = adaptor.getWGate();
    Value hidden = allocHidden(b, x, wGate);
    ScalarFn act = scalarFn(op.getActivation());
    // Gate and up projections in one GEMM: each panel holds gate columns in
    // its first half and the same up columns in its second, so the gated
    // product is formed in registers and the hidden buffer written once.
    int64_t half = tiling.vectors / 2, perPanel = half * tiling.width;
    GemmRhs rhs = weightPanels(b, tiling, options, op,
                               op.getWGateMutable().getOperandNumber(),
                               {wGate, adaptor.getWUp()});
    emitGemm(b, tiling, x, rhs,
             panelCount(b, memrefSizes(b, wGate)[0], perPanel),
             [&](ImplicitLocOpBuilder &b, Value row, Value panel,
                 ValueRange accs) {
               Value col0 =
                   b.create<arith::MulIOp>(panel, indexConst(b, perPanel));
               SmallVector<Value> values;
               for (int64_t v = 0; v < half; ++v)
                 values.push_back(b.create<arith::MulFOp>(
                     emitScalarFn(b, act, accs[v]), accs[half + v]));
               storeTileRow(b, hidden, row, col0, values, tiling.width);
             });
    emitProjection(b, op, op.getWDownMutable().getOperandNumber(), hidden,
                   adaptor.getWDown(), Value(), out);
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateFFNToLoopsPatterns(const KernelOptions &options,
                                      TypeConverter &converter,
                                      RewritePatternSet &patterns) {
  patterns.add<MLPToLoops, GLUToLoops>(options, converter,
                                       patterns.getContext());
}
