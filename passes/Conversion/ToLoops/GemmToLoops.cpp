//===- GemmToLoops.cpp - linear and matmul to GEMM kernels ----------------===//
//
// Lowers graph.linear (y = x · Wᵀ + bias, W in PyTorch's [out, in] layout,
// read from panels) and graph.matmul (batched a · b; a b of rank 2 read
// from panels, a batched b row-major in place) to the register-tiled GEMM
// of Gemm.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/Gemm.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

struct LinearToLoops : GemmPattern<LinearOp> {
  using GemmPattern::GemmPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    Value out = resultBuffer(op);
    std::optional<ScalarFn> activation;
    if (auto act = op.getActivation())
      activation = activationFn(*act);
    std::optional<RowNorm> prologue = prologueOf(op, adaptor);
    std::optional<ProjectionRope> rope;
    if (std::optional<uint64_t> headDim = op.getRopeHeadDim())
      rope = ProjectionRope{
          RopeSpec{static_cast<int64_t>(*op.getRopeRotaryDim()),
                   op.getRopeTheta()->convertToDouble(),
                   op.getRopeInterleaved()},
          static_cast<int64_t>(*headDim), adaptor.getRopePositions()};
    emitProjection(b, tiling, options, op,
                   op.getWeightMutable().getOperandNumber(), input, weight,
                   adaptor.getBias(), out, activation, adaptor.getResidual(),
                   prologue, rope);
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// The [rows, cols] matrix of a batched buffer at batch indices `batch`
/// (every dimension but the last two), as a strided view.
Value matrixAt(ImplicitLocOpBuilder &b, Value buffer, ValueRange batch) {
  if (batch.empty())
    return buffer;
  auto type = cast<MemRefType>(buffer.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(batch.begin(), batch.end());
  offsets.append({b.getIndexAttr(0), b.getIndexAttr(0)});
  SmallVector<OpFoldResult> sizes(rank - 2, b.getIndexAttr(1));
  SmallVector<Value> allSizes = memrefSizes(b, buffer);
  sizes.append({getAsOpFoldResult(allSizes[rank - 2]),
                getAsOpFoldResult(allSizes[rank - 1])});
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  // The batch dims are the ones dropped, also where the matrix's own dims
  // are 1 too (inferRankReducedResultType would pick the last unit dims).
  auto full = cast<MemRefType>(
      memref::SubViewOp::inferResultType(type, offsets, sizes, strides));
  auto [fullStrides, offset] = getStridesAndOffset(full);
  auto viewType = MemRefType::get(
      type.getShape().take_back(2), type.getElementType(),
      StridedLayoutAttr::get(b.getContext(), offset,
                             ArrayRef<int64_t>(fullStrides).take_back(2)),
      type.getMemorySpace());
  return b.create<memref::SubViewOp>(viewType, buffer, offsets, sizes, strides);
}

struct MatmulToLoops : GemmPattern<MatmulOp> {
  using GemmPattern::GemmPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<MemRefType>(lhs.getType());
    auto rhsType = cast<MemRefType>(rhs.getType());
    MemRefType type = resultType(op);
    int64_t rank = type.getRank();
    // [batch..., rows, columns], the batch dims broadcast.
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value columns = sizes.back();
    Value out = resultBuffer(op);
    int64_t perPanel = tiling.panelColumns();
    GemmTiling operandTiling =
        tiling.forOperands(lhsType.getElementType(), rhsType.getElementType());
    if (rhsType.getRank() == 2) {
      // One [K, N] matrix for every batch: all rows are one GEMM's, and B
      // streams from panels (packed when the session binds it, if it is a
      // parameter, else on this call). Its rows in place are N floats
      // apart, a page every few rows: 2.6x slower on a GPT-2-size MLP.
      GemmRhs panels = weightPanels(b, operandTiling, op,
                                    op.getRhsMutable().getOperandNumber(),
                                    {rhs}, WeightLayout::InOut);
      Value c = collapseToMatrix(b, out);
      emitGemm(b, operandTiling, collapseToMatrix(b, lhs), panels,
               ceilDiv(b, columns, perPanel),
               [&](ImplicitLocOpBuilder &b, Value row, Value panel,
                   ValueRange accs) {
                 Value col0 =
                     b.create<arith::MulIOp>(panel, indexConst(b, perPanel));
                 storeTileRow(b, c, row, col0, accs, operandTiling.width);
               });
      rewriter.replaceOp(op, out);
      return success();
    }
    auto lhsBatch = lhsType.getShape().drop_back(2);
    auto rhsBatch = rhsType.getShape().drop_back(2);
    emitBatchedGemm(
        b, operandTiling, ArrayRef<Value>(sizes).drop_back(2), sizes[rank - 2],
        ceilDiv(b, columns, perPanel),
        [&](ImplicitLocOpBuilder &b, ValueRange batch) {
          Value a = matrixAt(b, lhs, broadcastIndices(b, lhsBatch, batch));
          Value bm = matrixAt(b, rhs, broadcastIndices(b, rhsBatch, batch));
          return GemmOperands{a, {GemmRhs::Layout::RowMajor, bm}};
        },
        [&](ImplicitLocOpBuilder &b, ValueRange batch, Value row, Value panel,
            ValueRange accs) {
          Value col0 = b.create<arith::MulIOp>(panel, indexConst(b, perPanel));
          storeTileRow(b, matrixAt(b, out, batch), row, col0, accs,
                       tiling.width);
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateGemmToLoopsPatterns(const KernelOptions &options,
                                       TypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<LinearToLoops, MatmulToLoops>(options, converter,
                                             patterns.getContext());
}
