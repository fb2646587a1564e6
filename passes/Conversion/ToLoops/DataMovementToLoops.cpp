//===- DataMovementToLoops.cpp - Shape and layout ops to loops ------------===//
//
// Lowers reshape (a view: buffers are contiguous), transpose, slice, concat
// and split (copy loops), and tensor.dim (memref.dim).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/PackWeights.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

MemRefType convertedType(const TypeConverter *converter, Value value) {
  return cast<MemRefType>(converter->convertType(value.getType()));
}

struct ReshapeToLoops : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MemRefType type = convertedType(getTypeConverter(), op.getResult());
    auto shapeType = MemRefType::get({type.getRank()}, b.getIndexType());
    Value shape = b.create<memref::AllocaOp>(shapeType);
    ValueRange dynamic = adaptor.getSizes();
    for (int64_t d = 0, next = 0; d < type.getRank(); ++d) {
      Value size = type.isDynamicDim(d) ? dynamic[next++]
                                        : indexConst(b, type.getDimSize(d));
      b.create<memref::StoreOp>(size, shape, ValueRange{indexConst(b, d)});
    }
    rewriter.replaceOpWithNewOp<memref::ReshapeOp>(op, type, adaptor.getInput(),
                                                   shape);
    return success();
  }
};

struct TransposeToLoops : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    ArrayRef<int64_t> perm = op.getPerm();
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value out = resultBuffer(op);
    // Its readers take panels packed from the input at bind time and only
    // its shape from it: the buffer is never filled, and dies unread.
    if (isComputedForPanelsOnly(op)) {
      rewriter.replaceOp(op, out);
      return success();
    }
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      SmallVector<Value> at(ivs.size());
      for (auto [i, axis] : llvm::enumerate(perm))
        at[axis] = ivs[i];
      b.create<memref::StoreOp>(b.create<memref::LoadOp>(input, at), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Copies `sizes` elements between `source` and `dest`, the writes shifted
/// by `offset` along `axis` (the reads instead, with `shiftSource`).
void copyAlongAxis(ImplicitLocOpBuilder &b, Value source, Value dest,
                   ArrayRef<Value> sizes, int64_t axis, int64_t offset,
                   bool shiftSource) {
  rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
    SmallVector<Value> shifted(ivs);
    shifted[axis] = b.create<arith::AddIOp>(ivs[axis], indexConst(b, offset));
    ValueRange from = shiftSource ? ValueRange(shifted) : ivs;
    ValueRange to = shiftSource ? ivs : ValueRange(shifted);
    b.create<memref::StoreOp>(b.create<memref::LoadOp>(source, from), dest, to);
  });
}

struct SliceToLoops : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    int64_t axis = op.getAxis(), start = op.getStart();
    Value input = adaptor.getInput();
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value out = resultBuffer(op);
    // Rows of a weight that GEMMs read as panels packed at bind time.
    if (isComputedForPanelsOnly(op)) {
      rewriter.replaceOp(op, out);
      return success();
    }
    if (!cast<MemRefType>(input.getType()).isDynamicDim(axis)) {
      copyAlongAxis(b, input, out, sizes, axis, start, /*shiftSource=*/true);
      rewriter.replaceOp(op, out);
      return success();
    }
    // A dynamic axis: a negative start counts from its end; an axis shorter
    // than the slice repeats its edge rather than reading out of bounds.
    Value inSize = b.create<memref::DimOp>(input, axis);
    Value first =
        start < 0
            ? b.create<arith::AddIOp>(inSize, indexConst(b, start)).getResult()
            : indexConst(b, start);
    Value last = b.create<arith::SubIOp>(inSize, indexConst(b, 1));
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      SmallVector<Value> from(ivs);
      from[axis] = indexMax(
          b, indexMin(b, b.create<arith::AddIOp>(first, ivs[axis]), last),
          indexConst(b, 0));
      b.create<memref::StoreOp>(b.create<memref::LoadOp>(input, from), out,
                                ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct ConcatToLoops : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    int64_t axis = op.getAxis();
    Value out = resultBuffer(op);
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      SmallVector<Value> inSizes = memrefSizes(b, input);
      copyAlongAxis(b, input, out, inSizes, axis, offset,
                    /*shiftSource=*/false);
      offset += cast<MemRefType>(input.getType()).getDimSize(axis);
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct SplitToLoops : OpConversionPattern<SplitOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    int64_t axis = op.getAxis(), offset = 0;
    // Parts of a weight that GEMMs read as panels packed at bind time.
    bool panelsOnly = isComputedForPanelsOnly(op);
    SmallVector<Value> results;
    for (OpResult result : op->getResults()) {
      MemRefType type = convertedType(getTypeConverter(), result);
      SmallVector<Value> sizes = memrefSizes(b, adaptor.getInput());
      sizes[axis] = indexConst(b, type.getDimSize(axis));
      Value out = resultBuffer(op, result.getResultNumber());
      if (!panelsOnly)
        copyAlongAxis(b, adaptor.getInput(), out, sizes, axis, offset,
                      /*shiftSource=*/true);
      offset += type.getDimSize(axis);
      results.push_back(out);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct DimToMemRef : OpConversionPattern<tensor::DimOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tensor::DimOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<memref::DimOp>(op, adaptor.getSource(),
                                               adaptor.getIndex());
    return success();
  }
};

} // namespace

void kiln::populateDataMovementToLoopsPatterns(TypeConverter &converter,
                                               RewritePatternSet &patterns) {
  patterns.add<ReshapeToLoops, TransposeToLoops, SliceToLoops, ConcatToLoops,
               SplitToLoops, DimToMemRef>(converter, patterns.getContext());
}
