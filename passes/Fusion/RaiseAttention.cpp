//===- RaiseAttention.cpp - Primitive attention graphs to attn.attention --===//
//
// The kiln-raise-attention pass. A model written with matmul, transpose,
// softmax and elementwise ops computes attention as
//   o = matmul(softmax(add(mul(matmul(q, kᵀ), scale), mask)), v)
// on [B, H, T, D] operands. Raised into attn.attention it runs the flash
// kernel: no [T, S] score matrix in memory, and mask-aware work skipping.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "dialects/Graph/IR/ShapeUtils.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_RAISEATTENTION
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

RankedTensorType tensorOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// A tensor with one element: rank 0 or every dimension a static 1.
bool isScalarTensor(Value value) {
  return llvm::all_of(tensorOf(value).getShape(),
                      [](int64_t size) { return size == 1; });
}

/// Whether `value` is q·kᵀ, possibly already scaled: the operand of a mask
/// add that is the scores rather than the mask.
bool isScoreChain(Value value) {
  Operation *def = value.getDefiningOp();
  if (isa_and_nonnull<MatmulOp>(def))
    return true;
  if (isa_and_nonnull<MulOp, DivOp>(def))
    return llvm::any_of(def->getOperands(), [](Value operand) {
      return isa_and_nonnull<MatmulOp>(operand.getDefiningOp());
    });
  return false;
}

/// The operand of `value` = `operand * c` or `operand / c`, c a constant
/// scalar and `value` used only by q·kᵀ, with c folded into
/// `match.operandScale`; else `value`.
Value peelConstantScale(Value value, AttentionMatch &match) {
  Operation *op = value.getDefiningOp();
  if (!isa_and_nonnull<MulOp, DivOp>(op) || !value.hasOneUse())
    return value;
  for (int side = 0; side < 2; ++side) {
    Value operand = op->getOperand(side);
    std::optional<double> factor = scalarConstant(op->getOperand(1 - side));
    if (!factor || operand.getType() != value.getType() ||
        (isa<DivOp>(op) && (side == 1 || *factor == 0)))
      continue;
    match.operandScale *= isa<DivOp>(op) ? 1.0 / *factor : *factor;
    match.ops.insert(match.ops.begin(), op);
    return operand;
  }
  return value;
}

/// The transpose of `value` by `perm`.
Value transpose(PatternRewriter &rewriter, Location loc, Value value,
                ArrayRef<int64_t> perm) {
  RankedTensorType type = tensorOf(value);
  SmallVector<int64_t> shape;
  for (int64_t axis : perm)
    shape.push_back(type.getDimSize(axis));
  return rewriter.create<TransposeOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), value, perm);
}

/// Adds the op defining `value` to `ops` when it is a transpose with no
/// other user: a layout move the raised attention makes unnecessary.
void absorbLayoutTranspose(Value value, SmallVector<Operation *> &ops) {
  if (auto op = value.getDefiningOp<TransposeOp>(); op && value.hasOneUse())
    ops.push_back(op);
}

struct RaiseAttentionPattern : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp softmax,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<AttentionMatch> match = matchAttention(softmax, why);
    if (failed(match))
      return rewriter.notifyMatchFailure(softmax, why);
    SmallVector<Operation *> located;
    absorbLayoutTranspose(match->query, located);
    absorbLayoutTranspose(match->keyT, located);
    absorbLayoutTranspose(match->value, located);
    located.append(match->ops);
    if (Operation *user = soleUser(match->output.getResult());
        isa_and_nonnull<TransposeOp>(user))
      located.push_back(user);
    Location loc = fusedLoc(located);

    // The layout moves and the query scaling around the attention stand
    // for no JSON node of their own: a location that names none.
    Location helperLoc = NameLoc::get(
        rewriter.getStringAttr("layout for attention"), loc);
    // attn.attention takes [B, T, H, D]; the transposes cancel against the
    // ones the primitive graph made (canonicalization folds the pairs).
    Value q = transpose(rewriter, helperLoc, match->query, {0, 2, 1, 3});
    double scale = match->operandScale;
    std::optional<double> constant =
        match->scale ? scalarConstant(match->scale) : std::nullopt;
    if (constant) {
      scale *= match->divideByScale ? 1.0 / *constant : *constant;
    } else if (match->scale && match->divideByScale) {
      // (q·kᵀ)/s = (q/s)·kᵀ: a scale known only at run time scales q.
      q = rewriter.create<DivOp>(helperLoc, q.getType(), q, match->scale);
    } else if (match->scale) {
      q = rewriter.create<MulOp>(helperLoc, q.getType(), q, match->scale);
    }
    Value k = transpose(rewriter, helperLoc, match->keyT, {0, 3, 1, 2});
    Value v = transpose(rewriter, helperLoc, match->value, {0, 2, 1, 3});
    RankedTensorType outType = tensorOf(match->output.getResult());
    auto resultType = RankedTensorType::get(
        {outType.getDimSize(0), outType.getDimSize(2), outType.getDimSize(1),
         outType.getDimSize(3)},
        outType.getElementType());
    auto attention = rewriter.create<attn::AttentionOp>(
        loc, resultType, q, k, v, match->bias, /*seq_offsets=*/Value(),
        rewriter.getF64FloatAttr(scale),
        attn::MaskKindAttr::get(getContext(), match->mask.kind),
        match->mask.kind == attn::MaskKind::sliding_window
            ? rewriter.getI64IntegerAttr(match->mask.window)
            : IntegerAttr(),
        IntegerAttr(), UnitAttr(), attn::NormalizerAttr(), IntegerAttr());
    Value out = transpose(rewriter, helperLoc, attention, {0, 2, 1, 3});
    // The rest of the matched chain is dead now; the driver erases it.
    rewriter.replaceOp(match->output, out);
    return success();
  }
};

struct RaiseAttentionPass
    : kiln::impl::RaiseAttentionBase<RaiseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseAttentionPattern>(&getContext());
    TransposeOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

FailureOr<AttentionMatch> kiln::matchAttention(SoftmaxOp softmax,
                                               std::string &why) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  RankedTensorType scoresType = softmax.getType();
  if (scoresType.getRank() != 4)
    return fail("the softmax input has rank " + Twine(scoresType.getRank()) +
                ", not the [batch, heads, queries, keys] of attention");
  if (softmax.getAxis() != 3)
    return fail("the softmax is not over the keys (the last axis)");
  if (!softmax.getResult().hasOneUse())
    return fail(otherUsersReason(softmax.getResult()));
  auto output = dyn_cast<MatmulOp>(*softmax->getUsers().begin());
  if (!output || output.getLhs() != softmax.getResult())
    return fail("the softmax result is not the left operand of a matmul");

  AttentionMatch match;
  match.output = output;
  match.value = output.getRhs();
  match.ops = {softmax, output};
  Value scores = softmax.getInput();
  auto singleUse = [&](Value value) -> LogicalResult {
    if (value.hasOneUse())
      return success();
    return fail(otherUsersReason(value));
  };

  if (auto where = scores.getDefiningOp<WhereOp>()) {
    // where(cond, scores, -inf) or where(cond, -inf, scores).
    if (failed(singleUse(scores)))
      return failure();
    bool lhsIsScores = isScoreChain(where.getLhs());
    if (!lhsIsScores && !isScoreChain(where.getRhs()))
      return fail("neither branch of the mask where is q·kᵀ");
    if (!isHidingFill(lhsIsScores ? where.getRhs() : where.getLhs()))
      return fail("the mask where does not hide scores with a constant of "
                  "at most -1e4");
    std::optional<PositionMask> mask =
        classifyVisibility(where.getCond(), lhsIsScores, where);
    if (!mask)
      return fail("the mask where's condition is not a causal or "
                  "sliding-window function of the query and key positions");
    scores = lhsIsScores ? where.getLhs() : where.getRhs();
    match.mask = *mask;
    match.ops.insert(match.ops.begin(), where);
    match.ops.insert(match.ops.begin(), mask->ops.begin(), mask->ops.end());
  } else if (auto add = scores.getDefiningOp<AddOp>()) {
    if (failed(singleUse(scores)))
      return failure();
    bool lhsIsScores = isScoreChain(add.getLhs());
    if (!lhsIsScores && !isScoreChain(add.getRhs()))
      return fail("neither operand of the mask add is q·kᵀ");
    scores = lhsIsScores ? add.getLhs() : add.getRhs();
    Value additive = lhsIsScores ? add.getRhs() : add.getLhs();
    if (!shapes::broadcastToShape(ruleShape(tensorOf(additive).getShape()),
                                  ruleShape(scoresType.getShape()), 0,
                                  "the scores", shapes::Naming{{"mask"}}))
      return fail("the mask does not broadcast to the scores [batch, heads, "
                  "queries, keys]");
    // A mask of positions becomes the kernel's mask, which skips hidden key
    // blocks; anything else is added as a bias.
    if (std::optional<PositionMask> mask = classifyAdditiveMask(additive, add))
      match.mask = *mask;
    else
      match.bias = additive;
    match.ops.insert(match.ops.begin(), add);
    match.ops.insert(match.ops.begin(), match.mask.ops.begin(),
                     match.mask.ops.end());
  }
  Operation *scaleOp = scores.getDefiningOp();
  if (isa_and_nonnull<MulOp, DivOp>(scaleOp)) {
    if (failed(singleUse(scores)))
      return failure();
    Value lhs = scaleOp->getOperand(0), rhs = scaleOp->getOperand(1);
    bool divide = isa<DivOp>(scaleOp);
    bool lhsIsScores = isa_and_nonnull<MatmulOp>(lhs.getDefiningOp());
    if (divide && !lhsIsScores)
      return fail("the scores divide a tensor rather than being divided");
    scores = lhsIsScores ? lhs : rhs;
    match.scale = lhsIsScores ? rhs : lhs;
    match.divideByScale = divide;
    if (!isScalarTensor(match.scale))
      return fail("the scores are scaled by a tensor, not a scalar");
    match.ops.insert(match.ops.begin(), scaleOp);
  }
  auto product = scores.getDefiningOp<MatmulOp>();
  if (!product)
    return fail("the softmax input is not q·kᵀ (a matmul), optionally "
                "scaled and masked");
  if (failed(singleUse(scores)))
    return failure();
  match.ops.insert(match.ops.begin(), product);
  match.query = peelConstantScale(product.getLhs(), match);
  match.keyT = peelConstantScale(product.getRhs(), match);

  RankedTensorType q = tensorOf(match.query), kT = tensorOf(match.keyT),
                   v = tensorOf(match.value);
  if (q.getRank() != 4 || kT.getRank() != 4 || v.getRank() != 4)
    return fail("q, kᵀ and v must all be rank 4 [batch, heads, ., .]");
  if (!dimsCompatible(q.getDimSize(0), kT.getDimSize(0)) ||
      !dimsCompatible(q.getDimSize(0), v.getDimSize(0)) ||
      !dimsCompatible(q.getDimSize(1), kT.getDimSize(1)) ||
      !dimsCompatible(q.getDimSize(1), v.getDimSize(1)))
    return fail("q, k and v differ in batch or heads (broadcast heads are "
                "not raised)");
  if (ShapedType::isDynamic(q.getDimSize(3)) ||
      q.getDimSize(3) != v.getDimSize(3))
    return fail("the head dimension must be static and the same for q and v");
  if (match.scale && tensorOf(match.scale).getElementType() !=
                         q.getElementType())
    return fail("the scale's element type differs from the query's");
  return match;
}
