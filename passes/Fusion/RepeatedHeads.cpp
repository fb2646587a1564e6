//===- RepeatedHeads.cpp - llama's repeat_kv into grouped-query attention -===//
//
// Part of kiln-raise-attention. Grouped-query attention written with
// primitives often copies each key/value head n times before the product
// (llama's repeat_kv): `reshape(concat(x, x, ..., axis 2))`, or x broadcast
// by adding zeros or multiplying by ones, where x = reshape(h) is
// [B, Hkv, 1, S, D] and the result [B, Hkv·n, S, D]; or a gather of heads
// 0, 0, 1, 1, ... (PyTorch's repeat_interleave) from h [B, Hkv, S, D] or
// from its token-major [B, S, Hkv, D]. Head j of the copy is head j / n of
// h, which is how attn.attention reads its K/V heads for grouped-query
// attention, so the raised attention takes h itself and the copy goes.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// A splat constant of `value` whose shape broadcasts only along axis 2
/// of a rank-5 tensor.
bool isRepeatingSplat(Value operand, double value) {
  auto type = cast<RankedTensorType>(operand.getType());
  if (type.getRank() > 5 || scalarConstant(operand) != value)
    return false;
  for (int64_t axis = 0; axis < type.getRank(); ++axis)
    if (axis + 5 - type.getRank() != 2 && type.getDimSize(axis) != 1)
      return false;
  return true;
}

/// The unit-axis tensor x [B, Hkv, 1, S, D] that `copies` [B, Hkv, n, S, D]
/// repeats along axis 2, and the ops that repeat it; null if none.
Value repeatedOperand(Value copies, SmallVectorImpl<Operation *> &ops) {
  Operation *def = copies.getDefiningOp();
  Value x;
  if (auto concat = dyn_cast_or_null<ConcatOp>(def)) {
    ValueRange inputs = concat.getInputs();
    if (concat.getAxis() == 2 && llvm::all_equal(inputs))
      x = inputs.front();
  } else if (isa_and_nonnull<AddOp, MulOp>(def)) {
    double identity = isa<AddOp>(def) ? 0.0 : 1.0;
    for (int side = 0; side < 2 && !x; ++side)
      if (isRepeatingSplat(def->getOperand(1 - side), identity))
        x = def->getOperand(side);
  }
  auto type = x ? cast<RankedTensorType>(x.getType()) : RankedTensorType();
  if (!type || type.getRank() != 5 || type.getDimSize(2) != 1)
    return Value();
  for (int64_t axis : {0, 1, 3, 4})
    if (!sameRuntimeDim(x, axis, copies, axis))
      return Value();
  ops.push_back(def);
  return x;
}

/// h [B, Hkv, S, D] when `heads` [B, Hkv·n, S, D] is h with each head
/// repeated n times in place (see the file comment), with `n`; null if not.
Value unrepeatedHeads(Value heads, int64_t &n,
                      SmallVectorImpl<Operation *> &ops) {
  auto merge = heads.getDefiningOp<ReshapeOp>();
  if (!merge)
    return Value();
  Value copies = merge.getInput();
  auto copiesType = cast<RankedTensorType>(copies.getType());
  auto headsType = cast<RankedTensorType>(heads.getType());
  // [B, Hkv, n, S, D] merged into [B, Hkv·n, S, D], from x = h split
  // into [B, Hkv, 1, S, D].
  if (copiesType.getRank() != 5 || headsType.getRank() != 4 ||
      copiesType.isDynamicDim(1) || copiesType.isDynamicDim(2) ||
      headsType.getDimSize(1) !=
          copiesType.getDimSize(1) * copiesType.getDimSize(2) ||
      !sameRuntimeDim(copies, 0, heads, 0) ||
      !sameRuntimeDim(copies, 3, heads, 2) ||
      !sameRuntimeDim(copies, 4, heads, 3))
    return Value();
  Value x = repeatedOperand(copies, ops);
  auto split = x ? x.getDefiningOp<ReshapeOp>() : ReshapeOp();
  if (!split)
    return Value();
  Value h = split.getInput();
  if (cast<RankedTensorType>(h.getType()).getRank() != 4 ||
      !sameRuntimeDim(h, 0, heads, 0) || !sameRuntimeDim(h, 1, copies, 1) ||
      !sameRuntimeDim(h, 2, heads, 2) || !sameRuntimeDim(h, 3, heads, 3))
    return Value();
  ops.append({split, merge});
  n = copiesType.getDimSize(2);
  return h;
}

/// h when `heads` is a gather along `axis` of h's heads j / n for each head
/// j (indices a constant, negative ones counted from the end), with `n`;
/// null if not. Gather keeps h's other dims, so only the heads are checked.
Value gatheredHeads(Value heads, int64_t axis, int64_t &n,
                    SmallVectorImpl<Operation *> &ops) {
  auto gather = heads.getDefiningOp<GatherOp>();
  DenseIntElementsAttr indices;
  if (!gather || static_cast<int64_t>(gather.getAxis()) != axis ||
      !matchPattern(gather.getIndices(), m_Constant(&indices)) ||
      cast<RankedTensorType>(indices.getType()).getRank() != 1)
    return Value();
  Value h = gather.getInput();
  int64_t kvHeads = cast<RankedTensorType>(h.getType()).getDimSize(axis);
  int64_t count = indices.getNumElements();
  if (ShapedType::isDynamic(kvHeads) || kvHeads == 0 || count == 0 ||
      count % kvHeads)
    return Value();
  n = count / kvHeads;
  for (auto [j, index] : llvm::enumerate(indices.getValues<APInt>())) {
    int64_t head = index.getSExtValue();
    if ((head < 0 ? head + kvHeads : head) != static_cast<int64_t>(j) / n)
      return Value();
  }
  ops.push_back(gather);
  return h;
}

/// attn.attention whose K and V are repeated heads reads the heads
/// themselves, as grouped-query attention.
struct UnrepeatKVHeads : OpRewritePattern<attn::AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  /// The K/V heads under a token-major operand [B, S, H, D] and whether they
  /// are head-major ([B, Hkv, S, D], to be transposed back); null if the
  /// operand repeats no heads.
  static std::pair<Value, bool> headsOf(Value tokenMajor, int64_t &n,
                                        SmallVectorImpl<Operation *> &ops) {
    if (Value h = gatheredHeads(tokenMajor, 2, n, ops))
      return {h, false};
    auto transpose = tokenMajor.getDefiningOp<TransposeOp>();
    if (!transpose || transpose.getPerm() != ArrayRef<int64_t>{0, 2, 1, 3})
      return {};
    ops.push_back(transpose);
    Value headMajor = transpose.getInput();
    if (Value h = gatheredHeads(headMajor, 1, n, ops))
      return {h, true};
    return {unrepeatedHeads(headMajor, n, ops), true};
  }

  LogicalResult matchAndRewrite(attn::AttentionOp attention,
                                PatternRewriter &rewriter) const override {
    SmallVector<Operation *> ops;
    int64_t nKey = 0, nValue = 0;
    std::pair<Value, bool> key = headsOf(attention.getKey(), nKey, ops);
    std::pair<Value, bool> value =
        key.first ? headsOf(attention.getValue(), nValue, ops)
                  : std::pair<Value, bool>();
    if (!value.first || nKey != nValue)
      return rewriter.notifyMatchFailure(attention, "no repeated K/V heads");
    ops.push_back(attention);
    Location loc = fusedLoc(ops);
    // A layout move back to token-major stands for no JSON node: where it
    // stays a kernel (its input computed), the report keeps it out of the
    // attention's nodes.
    Location layoutLoc =
        NameLoc::get(rewriter.getStringAttr("layout for attention"), loc);
    auto tokenMajor = [&](std::pair<Value, bool> kvHeads) -> Value {
      auto [heads, headMajor] = kvHeads;
      if (!headMajor)
        return heads;
      auto type = cast<RankedTensorType>(heads.getType());
      SmallVector<int64_t> shape = {type.getDimSize(0), type.getDimSize(2),
                                    type.getDimSize(1), type.getDimSize(3)};
      return rewriter.create<TransposeOp>(
          layoutLoc, RankedTensorType::get(shape, type.getElementType()), heads,
          rewriter.getDenseI64ArrayAttr({0, 2, 1, 3}));
    };
    rewriter.modifyOpInPlace(attention, [&] {
      attention.getKeyMutable().assign(tokenMajor(key));
      attention.getValueMutable().assign(tokenMajor(value));
      attention->setLoc(loc);
    });
    return success();
  }
};

} // namespace

void kiln::populateRepeatedHeadsPatterns(RewritePatternSet &patterns) {
  patterns.add<UnrepeatKVHeads>(patterns.getContext());
}
