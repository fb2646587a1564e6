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

#include "mlir/IR/TypeUtilities.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::ffn;

namespace {

/// Allocates the f32 hidden activations [rows of x, rows of weight].
Value allocHidden(ImplicitLocOpBuilder &b, Value x, Value weight) {
  int64_t hidden = cast<MemRefType>(weight.getType()).getDimSize(0);
  auto type = MemRefType::get({ShapedType::kDynamic, hidden}, b.getF32Type());
  return allocBuffer(b, type,
                     {memrefSizes(b, x)[0], memrefSizes(b, weight)[0]});
}

struct MLPToLoops : GemmPattern<MLPOp> {
  using GemmPattern::GemmPattern;
  LogicalResult
  matchAndRewrite(MLPOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value out = resultBuffer(op);
    Value x = collapseToMatrix(b, adaptor.getInput());
    Value wIn = adaptor.getWIn();
    Value hidden = allocHidden(b, x, wIn);
    std::optional<RowNorm> prologue = prologueOf(op, adaptor);
    emitProjection(b, tiling, options, op,
                   op.getWInMutable().getOperandNumber(), x, wIn,
                   adaptor.getBIn(), hidden, activationFn(op.getActivation()),
                   /*residual=*/Value(), prologue);
    emitProjection(b, tiling, options, op,
                   op.getWOutMutable().getOperandNumber(), hidden,
                   adaptor.getWOut(), adaptor.getBOut(), out, std::nullopt,
                   adaptor.getResidual());
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct GLUToLoops : GemmPattern<GLUOp> {
  using GemmPattern::GemmPattern;
  LogicalResult
  matchAndRewrite(GLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value out = resultBuffer(op);
    Value x = collapseToMatrix(b, adaptor.getInput());
    Value wGate = adaptor.getWGate();
    Value hidden = allocHidden(b, x, wGate);
    ScalarFn act = activationFn(op.getActivation());
    // Gate and up projections in one GEMM: each panel holds gate columns in
    // its first half and the same up columns in its second, so the gated
    // product is formed in registers and the hidden buffer written once.
    int64_t half = tiling.vectors / 2, perPanel = half * tiling.width;
    std::optional<RowNorm> prologue = prologueOf(op, adaptor);
    GemmRhs rhs = weightPanels(b, tiling, op,
                               op.getWGateMutable().getOperandNumber(),
                               {wGate, adaptor.getWUp()});
    emitGemm(
        b,
        tiling.forOperands(getElementTypeOrSelf(x), getElementTypeOrSelf(wGate)), x, rhs,
        ceilDiv(b, memrefSizes(b, wGate)[0], perPanel),
        [&](ImplicitLocOpBuilder &b, Value row, Value panel, ValueRange accs) {
          Value col0 = b.create<arith::MulIOp>(panel, indexConst(b, perPanel));
          SmallVector<Value> values;
          for (int64_t v = 0; v < half; ++v)
            values.push_back(b.create<arith::MulFOp>(
                emitScalarFn(b, act, accs[v]), accs[half + v]));
          storeTileRow(b, hidden, row, col0, values, tiling.width);
        },
        prologue);
    emitProjection(
        b, tiling, options, op, op.getWDownMutable().getOperandNumber(), hidden,
        adaptor.getWDown(), Value(), out, std::nullopt, adaptor.getResidual());
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
