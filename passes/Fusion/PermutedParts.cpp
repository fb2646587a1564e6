//===- PermutedParts.cpp - Parts of a permuted tensor, taken first --------===//
//
// Patterns of kiln-raise-attention for timm's fused q/k/v projection:
// `qkv(x).reshape(B, N, 3, H, D).permute(2, 0, 3, 1, 4)`, then q, k and v
// taken along the leading axis (unbind: slices or a split, each reshaped
// to drop it). Taking the parts before the permutation, and moving the
// permutation past the reshape that drops the unit axis, leaves each part
// a layout transpose of [B, N, H, D], which the attention raise absorbs:
// the whole permuted copy of q, k and v goes.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// `value` with `axis` of size `size`.
RankedTensorType withDim(Value value, int64_t axis, int64_t size) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = size;
  return RankedTensorType::get(shape, type.getElementType());
}

/// part(transpose(x, perm)) along axis a → transpose(part(x) along
/// perm[a], perm), for a transpose read only by slices and splits: each
/// part is then a transpose of its own, and the permuted copy goes.
struct PartsBeforeTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    if (transpose->use_empty() ||
        !llvm::all_of(transpose->getUsers(), llvm::IsaPred<SliceOp, SplitOp>))
      return rewriter.notifyMatchFailure(transpose, "not read by parts only");
    ArrayRef<int64_t> perm = transpose.getPerm();
    Value x = transpose.getInput();
    // The parts' transposes stand for the transpose's node; the shape
    // rules give the new ops' types.
    auto permuted = [&](Value part) {
      return rewriter.create<TransposeOp>(transpose.getLoc(), part,
                                          transpose.getPermAttr());
    };
    for (Operation *user : llvm::make_early_inc_range(transpose->getUsers())) {
      rewriter.setInsertionPoint(user);
      if (auto slice = dyn_cast<SliceOp>(user)) {
        auto part = rewriter.create<SliceOp>(
            slice.getLoc(), x, static_cast<uint64_t>(perm[slice.getAxis()]),
            slice.getStart(), slice.getEndAttr());
        rewriter.replaceOp(slice, permuted(part));
        continue;
      }
      auto split = cast<SplitOp>(user);
      int64_t axis = perm[split.getAxis()];
      SmallVector<Type> types;
      for (Value result : split.getResults())
        types.push_back(withDim(x, axis,
                                cast<RankedTensorType>(result.getType())
                                    .getDimSize(split.getAxis())));
      auto parts = rewriter.create<SplitOp>(split.getLoc(), types, x,
                                            static_cast<int64_t>(axis));
      SmallVector<Value> results;
      for (Value part : parts.getResults())
        results.push_back(permuted(part));
      rewriter.replaceOp(split, results);
    }
    return success();
  }
};

/// reshape(transpose(y, perm)) that only drops unit axes → transpose(y
/// without those axes, perm restricted to the others): the permutation of
/// a part taken along a permuted axis moves below the reshape that removes
/// that axis.
struct TransposeAfterDroppedUnits : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp reshape,
                                PatternRewriter &rewriter) const override {
    auto transpose = reshape.getInput().getDefiningOp<TransposeOp>();
    if (!transpose || !transpose->hasOneUse())
      return rewriter.notifyMatchFailure(reshape, "not of a transpose");
    auto from = cast<RankedTensorType>(transpose.getType());
    auto to = cast<RankedTensorType>(reshape.getType());
    // The transposed axes the reshape keeps, matched in order (a unit axis
    // that matches no kept dim goes); the others must be static units.
    SmallVector<int64_t> kept;
    int64_t next = 0;
    for (int64_t axis = 0; axis < from.getRank(); ++axis) {
      if (next < to.getRank() && from.getDimSize(axis) == to.getDimSize(next)) {
        if (from.isDynamicDim(axis) &&
            !sameRuntimeDim(reshape.getResult(), next, transpose.getResult(),
                            axis))
          return rewriter.notifyMatchFailure(reshape, "a dynamic dim moves");
        kept.push_back(axis);
        ++next;
        continue;
      }
      if (from.getDimSize(axis) != 1)
        return rewriter.notifyMatchFailure(reshape, "not only unit axes go");
    }
    if (next != to.getRank() ||
        static_cast<int64_t>(kept.size()) == from.getRank())
      return rewriter.notifyMatchFailure(reshape, "not only unit axes go");
    // y's axes that stay, in y's order, and their new numbers.
    ArrayRef<int64_t> perm = transpose.getPerm();
    Value y = transpose.getInput();
    auto yType = cast<RankedTensorType>(y.getType());
    SmallVector<bool> stays(yType.getRank(), false);
    for (int64_t axis : kept)
      stays[perm[axis]] = true;
    // A dynamic axis of y takes the reshape's size for the result axis it
    // becomes (the same at run time, checked above).
    auto sizeOf = [&](int64_t yAxis) {
      int64_t result =
          llvm::find_if(kept,
                        [&](int64_t axis) { return perm[axis] == yAxis; }) -
          kept.begin();
      int64_t ordinal = llvm::count_if(to.getShape().take_front(result),
                                       ShapedType::isDynamic);
      return reshape.getSizes()[ordinal];
    };
    SmallVector<int64_t> number(yType.getRank(), -1), shape;
    SmallVector<Value> sizes;
    for (int64_t axis = 0; axis < yType.getRank(); ++axis) {
      if (!stays[axis])
        continue;
      number[axis] = static_cast<int64_t>(shape.size());
      shape.push_back(yType.getDimSize(axis));
      if (yType.isDynamicDim(axis))
        sizes.push_back(sizeOf(axis));
    }
    SmallVector<int64_t> newPerm;
    for (int64_t axis : kept)
      newPerm.push_back(number[perm[axis]]);
    auto squeezed = rewriter.create<ReshapeOp>(
        reshape.getLoc(), RankedTensorType::get(shape, yType.getElementType()),
        y, sizes);
    rewriter.replaceOp(reshape, rewriter.create<TransposeOp>(
                                    transpose.getLoc(), to, squeezed,
                                    rewriter.getDenseI64ArrayAttr(newPerm)));
    return success();
  }
};

} // namespace

void kiln::populatePermutedPartsPatterns(RewritePatternSet &patterns) {
  patterns.add<PartsBeforeTranspose, TransposeAfterDroppedUnits>(
      patterns.getContext());
}
