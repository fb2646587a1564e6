//===- RaiseAttention.cpp - Primitive attention graphs to attn.attention --===//
//
// The kiln-raise-attention pass. A model written with matmul, transpose,
// softmax and elementwise ops computes attention as
//   o = matmul(softmax(add(mul(matmul(q, kᵀ), scale), mask)), v)
// on [B, H, T, D] operands, or with the power normalizer x^p / Σ x^p in
// place of the softmax. Raised into attn.attention it runs the flash
// kernel: no [T, S] score matrix in memory, and mask-aware work skipping.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "dialects/Graph/IR/ShapeUtils.h"

#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

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

/// The keys both masks show, when a mask kind says so: masks that hide the
/// future give the narrower window, or causal; causal and blocks give
/// causal blocks; blocks of one size stay blocks. None is the identity.
std::optional<PositionMask> intersect(const PositionMask &a,
                                      const PositionMask &b) {
  using attn::MaskKind;
  if (a.kind == MaskKind::none)
    return b;
  PositionMask both = a;
  for (Operation *op : b.ops)
    if (!llvm::is_contained(both.ops, op))
      both.ops.push_back(op);
  bool aBlocks = a.kind == MaskKind::block_diagonal;
  bool bBlocks = b.kind == MaskKind::block_diagonal;
  if (aBlocks && bBlocks) {
    if (a.block != b.block)
      return std::nullopt;
    both.causalBlocks |= b.causalBlocks;
    return both;
  }
  if (aBlocks || bBlocks) {
    if ((aBlocks ? b : a).kind != MaskKind::causal)
      return std::nullopt;
    both.kind = MaskKind::block_diagonal;
    both.block = aBlocks ? a.block : b.block;
    both.causalBlocks = true;
    return both;
  }
  if (b.kind == MaskKind::sliding_window &&
      (a.kind != MaskKind::sliding_window || b.window < a.window))
    both.window = b.window;
  if (b.kind == MaskKind::sliding_window)
    both.kind = MaskKind::sliding_window;
  return both;
}

/// The largest constant a finite position bias may hold.
constexpr double kFiniteBiasConstant = 1e6;

/// Whether `bias` is finite wherever it is evaluated: computed from
/// aranges and finite constants by ops that keep values finite (sums,
/// products, casts, data movement, a where between finite values). A graph
/// input or a parameter may hold -inf (a padding mask); so may anything
/// divided, exponentiated or logged.
bool isFinitePositionBias(Value bias, int depth = 0) {
  Operation *op = bias.getDefiningOp();
  if (!op || depth > 32)
    return false;
  if (auto constant = dyn_cast<ConstantOp>(op)) {
    auto values = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (!values)
      return false;
    // Bounded, so that products with positions stay far from overflow.
    auto bounded = [](double value) {
      return std::abs(value) <= kFiniteBiasConstant;
    };
    if (!isa<FloatType>(values.getElementType()))
      return llvm::all_of(values.getValues<APInt>(), [&](const APInt &value) {
        return bounded(static_cast<double>(value.getSExtValue()));
      });
    return llvm::all_of(values.getValues<APFloat>(), [&](const APFloat &value) {
      return bounded(value.convertToDouble());
    });
  }
  if (isa<ArangeOp>(op))
    return true;
  auto finite = [&](Value operand) {
    return isFinitePositionBias(operand, depth + 1);
  };
  if (auto where = dyn_cast<WhereOp>(op))
    return finite(where.getLhs()) && finite(where.getRhs());
  if (!isa<AddOp, SubOp, MulOp, NegOp, AbsOp, MinimumOp, MaximumOp, CastOp,
           ReshapeOp, TransposeOp, SliceOp, ConcatOp>(op))
    return false;
  return llvm::all_of(op->getOperands(), [&](Value operand) {
    return !isa<RankedTensorType>(operand.getType()) || finite(operand);
  });
}

/// A fill at most this absorbs any score in f32 (its ulp is about 1e23):
/// the fill plus the score is the fill.
constexpr double kAbsorbingFill = -1e30;

/// Whether `cast` widens bf16 or f16 to f32.
bool isWidenedTo16BitFloat(CastOp cast) {
  Type from = cast.getInput().getType().getElementType();
  return cast.getType().getElementType().isF32() &&
         (from.isBF16() || from.isF16());
}

/// Whether `value` is q·kᵀ under masks, scalings and a soft cap (a chain of
/// where, add, mul, div and tanh ops down to a matmul): the operand of a mask
/// or scaling that is the scores rather than the mask or scale.
bool isScoreChain(Value value) {
  SmallVector<Value> work = {value};
  llvm::SmallPtrSet<Operation *, 8> seen;
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (isa_and_nonnull<MatmulOp>(def))
      return true;
    if (isa_and_nonnull<WhereOp, AddOp, MulOp, DivOp, TanhOp>(def) &&
        seen.insert(def).second)
      llvm::append_range(work, def->getOperands());
  }
  return false;
}

/// A soft cap `c · tanh(s · k)`: its c, the scale k·c its input has
/// relative to `c · tanh(s / c)` (1 when k = 1/c), the capped scores s and
/// its ops, the producer side first.
struct SoftCap {
  double cap, inputScale;
  Value scores;
  SmallVector<Operation *, 3> ops;
};

/// `value` = `x * c` or `x / c` (either order for the product), c a
/// constant scalar: x and the factor x is multiplied by.
std::optional<std::pair<Value, double>> scaledByConstant(Value value) {
  Operation *op = value.getDefiningOp();
  if (!isa_and_nonnull<MulOp, DivOp>(op))
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    Value x = op->getOperand(side);
    std::optional<double> factor = scalarConstant(op->getOperand(1 - side));
    if (!factor || x.getType() != value.getType() ||
        (isa<DivOp>(op) && (side == 1 || *factor == 0)))
      continue;
    return std::make_pair(x, isa<DivOp>(op) ? 1.0 / *factor : *factor);
  }
  return std::nullopt;
}

/// The soft cap `op` is: `c · tanh(s / c)`, or any `c · tanh(s · k)`, which
/// is `c · tanh((s · k·c) / c)` (in bf16 `s * (1 / c)` rounds 1/c), each
/// intermediate used once.
std::optional<SoftCap> matchSoftCap(Operation *op) {
  if (!isa_and_nonnull<MulOp>(op))
    return std::nullopt;
  std::optional<std::pair<Value, double>> outer =
      scaledByConstant(op->getResult(0));
  auto tanh = outer ? outer->first.getDefiningOp<TanhOp>() : TanhOp();
  if (!tanh || !tanh.getResult().hasOneUse() || !tanh.getInput().hasOneUse())
    return std::nullopt;
  std::optional<std::pair<Value, double>> inner =
      scaledByConstant(tanh.getInput());
  double cap = outer->second;
  if (!inner || !(cap >= shapes::kMinAttentionSoftCap) ||
      cap > shapes::kMaxAttentionSoftCap)
    return std::nullopt;
  double inputScale = inner->second * cap;
  if (inputScale == 0 || !std::isfinite(inputScale))
    return std::nullopt;
  return SoftCap{cap,
                 inputScale,
                 inner->first,
                 {tanh.getInput().getDefiningOp(), tanh, op}};
}

/// The operand of `value` = `operand * c` or `operand / c`, c a constant
/// scalar and `value` used only by q·kᵀ, with c folded into
/// `match.constantScale`; else `value`.
Value peelConstantScale(Value value, AttentionMatch &match) {
  std::optional<std::pair<Value, double>> scaled = scaledByConstant(value);
  if (!scaled || !value.hasOneUse())
    return value;
  match.constantScale *= scaled->second;
  match.ops.insert(match.ops.begin(), value.getDefiningOp());
  return scaled->first;
}

/// x and p when `e` is x^p for an even p: `pow(x, p)` by a scalar
/// constant, or x² as `square(x)` or `x * x`.
std::optional<std::pair<Value, int64_t>> evenPowerOf(Value e) {
  Operation *def = e.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (Value x = squaredOperand(def))
    return std::make_pair(x, int64_t(2));
  auto pow = dyn_cast<PowOp>(def);
  if (!pow || pow.getLhs().getType() != e.getType())
    return std::nullopt;
  std::optional<double> p = scalarConstant(pow.getRhs());
  if (!p || *p < 2 || *p > (1 << 30) || std::fmod(*p, 2.0) != 0)
    return std::nullopt;
  return std::make_pair(pow.getLhs(), static_cast<int64_t>(*p));
}

/// How the scores become the weights that multiply v.
struct Normalizer {
  /// Its input: q·kᵀ, scaled and masked.
  Value scores;
  /// Its result, the left operand of the product with v.
  Value weights;
  /// The ops from the scores to the weights, the producer side first.
  SmallVector<Operation *> ops;
  /// p of `x^p / Σ x^p`; none: softmax.
  std::optional<int64_t> power;
};

/// The power normalizer whose division is `op`: `e / reduce_sum(e)` along
/// the last axis, kept, e = x^p (evenPowerOf); intermediates unchecked.
std::optional<Normalizer> powerNormalizer(Operation *op) {
  auto div = dyn_cast_or_null<DivOp>(op);
  if (!div)
    return std::nullopt;
  Value e = div.getLhs();
  auto sum = div.getRhs().getDefiningOp<ReduceSumOp>();
  int64_t rank = tensorOf(e).getRank();
  if (!sum || sum.getInput() != e || !sum.getKeepdims() ||
      sum.getAxes() != ArrayRef<int64_t>{rank - 1} ||
      div.getType() != e.getType())
    return std::nullopt;
  std::optional<std::pair<Value, int64_t>> power = evenPowerOf(e);
  if (!power)
    return std::nullopt;
  return Normalizer{power->first,
                    div.getResult(),
                    {e.getDefiningOp(), sum, div},
                    power->second};
}

/// The normalizer `op` is, a softmax or powerNormalizer, with its
/// intermediates used by it alone; on failure says why.
FailureOr<Normalizer> matchNormalizer(Operation *op, std::string &why) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  auto checkRank = [&](Value scores, StringRef input) -> LogicalResult {
    int64_t rank = tensorOf(scores).getRank();
    if (rank == 4 || rank == 5)
      return success();
    return fail(input + " has rank " + Twine(rank) +
                ", not the [batch, heads, queries, keys] of attention (or "
                "[batch, kv heads, group, queries, keys] of grouped-query "
                "attention)");
  };
  if (std::optional<Normalizer> power = powerNormalizer(op)) {
    if (failed(checkRank(power->scores, "the power normalizer's input")))
      return failure();
    Operation *raise = power->ops[0];
    Value e = raise->getResult(0);
    if (!llvm::all_of(e.getUsers(), [&](Operation *user) {
          return user == power->ops[1] || user == op;
        }))
      return fail(otherUsersReason(e));
    if (!llvm::all_of(power->scores.getUsers(),
                      [&](Operation *user) { return user == raise; }))
      return fail(otherUsersReason(power->scores));
    if (!power->weights.hasOneUse())
      return fail(otherUsersReason(power->weights));
    return *power;
  }
  auto softmax = dyn_cast<SoftmaxOp>(op);
  if (!softmax)
    return fail("no attention normalizer (a softmax, or x^p / Σ x^p)");
  // HF's eager attention in bf16 or f16: softmax(cast(scores, f32)), cast
  // back before the product with v. The kernel keeps the scores and
  // weights in f32 anyway (it skips the weights' rounding).
  Normalizer normalizer{
      softmax.getInput(), softmax.getResult(), {softmax}, std::nullopt};
  auto upcast = normalizer.scores.getDefiningOp<CastOp>();
  if (upcast && !isWidenedTo16BitFloat(upcast))
    upcast = nullptr;
  if (upcast)
    normalizer.scores = upcast.getInput();
  if (failed(checkRank(normalizer.scores, "the softmax input")))
    return failure();
  int64_t rank = tensorOf(normalizer.scores).getRank();
  if (static_cast<int64_t>(softmax.getAxis()) != rank - 1)
    return fail("the softmax is not over the keys (the last axis)");
  if (!softmax.getResult().hasOneUse())
    return fail(otherUsersReason(softmax.getResult()));
  if (!upcast)
    return normalizer;
  Type narrow = tensorOf(normalizer.scores).getElementType();
  auto downcast = dyn_cast<CastOp>(*softmax.getResult().getUsers().begin());
  if (!upcast.getResult().hasOneUse())
    return fail(otherUsersReason(upcast.getResult()));
  if (!downcast || downcast.getType().getElementType() != narrow)
    return fail("the weights of the widened scores are not cast back to " +
                llvm::Twine(narrow.isBF16() ? "bf16" : "f16") +
                " for the product with v");
  if (!downcast.getResult().hasOneUse())
    return fail(otherUsersReason(downcast.getResult()));
  normalizer.weights = downcast.getResult();
  normalizer.ops = {upcast, softmax, downcast};
  return normalizer;
}

/// Checks the grouped-query form q [B, Hkv, G, T, D] · kᵀ [B, Hkv, 1, D, S]
/// (the matmul broadcasts k and v over the group) and sets `match.groups`.
LogicalResult matchGroups(AttentionMatch &match, std::string &why) {
  RankedTensorType q = tensorOf(match.query), kT = tensorOf(match.keyT),
                   v = tensorOf(match.value);
  if (q.getRank() != 5 || kT.getRank() != 5 || v.getRank() != 5) {
    why = "q, kᵀ and v must all have the scores' rank";
    return failure();
  }
  auto isStatic = [](RankedTensorType type, int64_t axis) {
    return !ShapedType::isDynamic(type.getDimSize(axis));
  };
  RankedTensorType out = tensorOf(match.output.getResult());
  if (kT.getDimSize(2) != 1 || v.getDimSize(2) != 1 || !isStatic(q, 1) ||
      !isStatic(q, 2) || !isStatic(kT, 1) || !isStatic(v, 1) ||
      !isStatic(out, 1) || !isStatic(out, 2)) {
    why = "rank-5 scores must be grouped-query attention: q [batch, kv "
          "heads, group, queries, D] with static heads and group, k and v "
          "with a group axis of 1";
    return failure();
  }
  if (llvm::any_of(match.layers, [](const AttentionMatch::BiasLayer &layer) {
        return layer.operand && !layer.position &&
               tensorOf(layer.operand).getRank() > 2;
      })) {
    why = "the bias of a grouped-query attention must be [queries, keys] or "
          "[keys]";
    return failure();
  }
  match.groups = q.getDimSize(2);
  return success();
}

/// A scalar constant of `elementType`.
Value scalarConstantOf(PatternRewriter &rewriter, Location loc,
                       Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  return rewriter.create<ConstantOp>(
      loc, type,
      DenseElementsAttr::get(type, rewriter.getFloatAttr(elementType, value)));
}

/// The attention's bias: the match's layers applied to 0, innermost first
/// (null when none adds anything). A hiding where becomes `where(cond, x,
/// fill)`: equal to where's result in every row that sees some key; a row
/// whose keys are all hidden gets the softmax of its scores + fill, which
/// is where's uniform weights when the fill absorbs the scores (fp32
/// -3.4e38, HF's finfo.min) and else the softmax of the scores
/// (docs/compiler.md).
Value buildBias(PatternRewriter &rewriter, Location loc,
                ArrayRef<AttentionMatch::BiasLayer> layers) {
  using Kind = AttentionMatch::BiasLayer::Kind;
  Value bias;
  for (const AttentionMatch::BiasLayer &layer : llvm::reverse(layers)) {
    if (layer.position)
      continue;
    switch (layer.kind) {
    case Kind::scale:
      if (bias)
        bias = rewriter.create<MulOp>(
            loc, bias,
            scalarConstantOf(rewriter, loc, tensorOf(bias).getElementType(),
                             layer.factor));
      break;
    case Kind::add:
      bias = bias ? rewriter.create<AddOp>(loc, bias, layer.operand).getResult()
                  : layer.operand;
      break;
    case Kind::hide: {
      Value shown =
          bias ? bias
               : scalarConstantOf(rewriter, loc,
                                  tensorOf(layer.fill).getElementType(), 0.0);
      Value whenTrue = shown, whenFalse = layer.fill;
      if (layer.hiddenWhereTrue)
        std::swap(whenTrue, whenFalse);
      bias = rewriter.create<WhereOp>(loc, layer.operand, whenTrue, whenFalse);
      break;
    }
    }
  }
  return bias;
}

/// `type` without the group axis (2) of the grouped form.
RankedTensorType dropGroupAxis(RankedTensorType type, int64_t rank) {
  if (rank == 4)
    return type;
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + 2);
  return RankedTensorType::get(shape, type.getElementType());
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

/// `value` reshaped to `shape`; its dynamic sizes are those of `value`'s
/// dims `sameAs` (one per dynamic entry of `shape`, in order).
Value reshape(PatternRewriter &rewriter, Location loc, Value value,
              ArrayRef<int64_t> shape, ArrayRef<int64_t> sameAs) {
  SmallVector<Value> sizes;
  for (int64_t axis : sameAs)
    sizes.push_back(rewriter.create<tensor::DimOp>(loc, value, axis));
  auto type = RankedTensorType::get(shape, tensorOf(value).getElementType());
  return rewriter.create<ReshapeOp>(loc, type, value, sizes);
}

/// The [B, T, H, D] operand attn.attention takes, from the primitive
/// graph's [B, H, T, D] (or, grouped, [B, Hkv, G, T, D]); the transposes
/// cancel against the ones the primitive graph made (canonicalization folds
/// the pairs).
Value toTokenMajor(PatternRewriter &rewriter, Location loc, Value value,
                   int64_t groups) {
  if (!groups)
    return transpose(rewriter, loc, value, {0, 2, 1, 3});
  // [B, T, Hkv, G, D], then the kv heads and their groups merged.
  Value split = transpose(rewriter, loc, value, {0, 3, 1, 2, 4});
  ArrayRef<int64_t> shape = tensorOf(split).getShape();
  SmallVector<int64_t> merged = {shape[0], shape[1], shape[2] * shape[3],
                                 shape[4]};
  SmallVector<int64_t> dynamicAxes;
  for (int64_t axis : {0, 1, 4})
    if (ShapedType::isDynamic(shape[axis]))
      dynamicAxes.push_back(axis);
  return reshape(rewriter, loc, split, merged, dynamicAxes);
}

/// attn.attention's [B, T, H, Dv] result in the layout of the primitive
/// graph's output: [B, H, T, Dv], or grouped, [B, Hkv, G, T, Dv].
Value fromTokenMajor(PatternRewriter &rewriter, Location loc, Value value,
                     int64_t groups) {
  if (!groups)
    return transpose(rewriter, loc, value, {0, 2, 1, 3});
  ArrayRef<int64_t> shape = tensorOf(value).getShape();
  SmallVector<int64_t> split = {shape[0], shape[1], shape[2] / groups, groups,
                                shape[3]};
  SmallVector<int64_t> dynamicAxes;
  for (int64_t axis : {0, 1, 3})
    if (ShapedType::isDynamic(shape[axis]))
      dynamicAxes.push_back(axis);
  Value grouped = reshape(rewriter, loc, value, split, dynamicAxes);
  return transpose(rewriter, loc, grouped, {0, 2, 3, 1, 4});
}

/// Adds the op defining `value` to `ops` when it is a transpose with no
/// other user: a layout move the raised attention makes unnecessary.
void absorbLayoutTranspose(Value value, SmallVector<Operation *> &ops) {
  if (auto op = value.getDefiningOp<TransposeOp>(); op && value.hasOneUse())
    ops.push_back(op);
}

/// Anchored at the normalizer: a softmax, or a power normalizer's division.
template <typename NormalizerOp>
struct RaiseAttentionPattern : OpRewritePattern<NormalizerOp> {
  using OpRewritePattern<NormalizerOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(NormalizerOp normalizer,
                                PatternRewriter &rewriter) const override {
    if (!isAttentionNormalizer(normalizer))
      return rewriter.notifyMatchFailure(normalizer, "no attention weights");
    std::string why;
    FailureOr<AttentionMatch> match = matchAttention(normalizer, why);
    if (failed(match))
      return rewriter.notifyMatchFailure(normalizer, why);
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
    int64_t groups = match->groups;
    Value q = toTokenMajor(rewriter, helperLoc, match->query, groups);
    // (q·kᵀ)/s = (q/s)·kᵀ: a scale known only at run time scales q.
    if (Value s = match->runtimeScale) {
      if (match->divideByRuntimeScale)
        q = rewriter.create<DivOp>(helperLoc, q.getType(), q, s);
      else
        q = rewriter.create<MulOp>(helperLoc, q.getType(), q, s);
    }
    // Grouped, kᵀ [B, Hkv, 1, D, S] and v [B, Hkv, 1, S, Dv] are the
    // grouped form with a group of 1.
    Value k = groups
                  ? toTokenMajor(rewriter, helperLoc,
                                 transpose(rewriter, helperLoc, match->keyT,
                                           {0, 1, 2, 4, 3}),
                                 1)
                  : transpose(rewriter, helperLoc, match->keyT, {0, 3, 1, 2});
    Value v = toTokenMajor(rewriter, helperLoc, match->value, groups ? 1 : 0);
    // The result type from the output's, so that the layout ops back give
    // exactly the type the replaced matmul had.
    RankedTensorType outType = tensorOf(match->output.getResult());
    ArrayRef<int64_t> outShape = outType.getShape();
    SmallVector<int64_t> resultShape = {outShape[0], outShape[2], outShape[1],
                                        outShape[3]};
    if (groups)
      resultShape = {outShape[0], outShape[3], outShape[1] * outShape[2],
                     outShape[4]};
    auto resultType =
        RankedTensorType::get(resultShape, outType.getElementType());
    Value bias = buildBias(rewriter, helperLoc, match->layers);
    auto attention = rewriter.create<attn::AttentionOp>(
        loc, resultType, q, k, v, bias, /*seq_offsets=*/Value(),
        rewriter.getF64FloatAttr(match->constantScale),
        attn::MaskKindAttr::get(rewriter.getContext(), match->mask.kind),
        match->mask.kind == attn::MaskKind::sliding_window
            ? rewriter.getI64IntegerAttr(match->mask.window)
            : IntegerAttr(),
        match->mask.kind == attn::MaskKind::block_diagonal
            ? rewriter.getI64IntegerAttr(match->mask.block)
            : IntegerAttr(),
        match->mask.causalBlocks ? rewriter.getUnitAttr() : UnitAttr(),
        match->power ? attn::NormalizerAttr::get(rewriter.getContext(),
                                                 attn::Normalizer::power)
                     : attn::NormalizerAttr(),
        match->power ? rewriter.getI64IntegerAttr(*match->power)
                     : IntegerAttr(),
        match->softcap ? rewriter.getF64FloatAttr(*match->softcap)
                       : FloatAttr());
    Value out = fromTokenMajor(rewriter, helperLoc, attention, groups);
    // The rest of the matched chain is dead now; the driver erases it.
    rewriter.replaceOp(match->output, out);
    return success();
  }
};

/// Whether `value` reaches a matmul through layout ops alone (transposes,
/// reshapes), each its producer's only user.
bool feedsMatmulThroughLayout(Value value) {
  for (Operation *user = soleUser(value); user; user = soleUser(value)) {
    if (isa<MatmulOp>(user))
      return true;
    if (!isa<TransposeOp, ReshapeOp>(user))
      return false;
    value = user->getResult(0);
  }
  return false;
}

/// layout(x * c) → layout(x) * c (or / c), c a constant scalar and layout a
/// transpose or reshape on the way to a matmul: the scale then sits on an
/// operand of q·kᵀ, where the attention raise folds it into `scale`. Flax
/// scales q, and some models k, on [B, T, H, D], before the layout
/// transpose; BART, OPT and Whisper scale q's projection before its split
/// into heads.
template <typename LayoutOp>
struct SinkScaleThroughLayout : OpRewritePattern<LayoutOp> {
  using OpRewritePattern<LayoutOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(LayoutOp layout,
                                PatternRewriter &rewriter) const override {
    Value input = layout->getOperand(0);
    Operation *scale = input.getDefiningOp();
    if (!isa_and_nonnull<MulOp, DivOp>(scale) || !input.hasOneUse() ||
        !feedsMatmulThroughLayout(layout.getResult()))
      return rewriter.notifyMatchFailure(layout, "no scaled matmul operand");
    for (int side = 0; side < 2; ++side) {
      Value x = scale->getOperand(side), c = scale->getOperand(1 - side);
      if (!scalarConstant(c) || x.getType() != input.getType() ||
          !llvm::all_of(tensorOf(c).getShape(),
                        [](int64_t size) { return size == 1; }) ||
          (isa<DivOp>(scale) && side == 1))
        continue;
      Operation *moved = rewriter.clone(*layout);
      moved->setOperand(0, x);
      Value result = moved->getResult(0);
      Type type = result.getType();
      Value scaled =
          isa<DivOp>(scale)
              ? rewriter.create<DivOp>(scale->getLoc(), type, result, c)
                    .getResult()
              : rewriter.create<MulOp>(scale->getLoc(), type, result, c)
                    .getResult();
      rewriter.replaceOp(layout, scaled);
      return success();
    }
    return rewriter.notifyMatchFailure(layout, "not a constant scalar");
  }
};

struct RaiseAttentionPass
    : kiln::impl::RaiseAttentionBase<RaiseAttentionPass> {
  void runOnOperation() override {
    // Scales move onto the products' operands first, so that every raise
    // below finds them there.
    RewritePatternSet sinking(&getContext());
    sinking.add<SinkScaleThroughLayout<TransposeOp>,
                SinkScaleThroughLayout<ReshapeOp>>(&getContext());
    populatePermutedPartsPatterns(sinking);
    TransposeOp::getCanonicalizationPatterns(sinking, &getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(sinking))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns
        .add<RaiseAttentionPattern<SoftmaxOp>, RaiseAttentionPattern<DivOp>>(
            &getContext());
    populateRepeatedHeadsPatterns(patterns);
    TransposeOp::getCanonicalizationPatterns(patterns, &getContext());
    // The grouped form's reshapes take sizes from the layout ops they
    // replace; reading them from those ops' operands lets the ops die.
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

/// matchAttention, reading the right operand of the adds in
/// `scoresOnRight` as the scores; appends the adds both of whose operands
/// lead to a matmul to `ambiguous`.
static FailureOr<AttentionMatch>
matchWithChoices(Operation *normalizerOp,
                 const llvm::SmallPtrSetImpl<Operation *> &scoresOnRight,
                 SmallVectorImpl<Operation *> &ambiguous, std::string &why) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  FailureOr<Normalizer> normalizer = matchNormalizer(normalizerOp, why);
  if (failed(normalizer))
    return failure();
  Value scores = normalizer->scores;
  RankedTensorType scoresType = tensorOf(scores);
  int64_t rank = scoresType.getRank();
  bool power = normalizer->power.has_value();
  StringRef input =
      power ? "the power normalizer's input" : "the softmax input";
  auto output = dyn_cast<MatmulOp>(*normalizer->weights.getUsers().begin());
  if (!output || output.getLhs() != normalizer->weights)
    return fail("the attention weights are not the left operand of a matmul");

  AttentionMatch match;
  match.output = output;
  match.value = output.getRhs();
  match.power = normalizer->power;
  match.ops = normalizer->ops;
  match.ops.push_back(output);
  // The normalizer's input may feed it twice (x * x); matchNormalizer
  // checked its users.
  auto singleUse = [&](Value value) -> LogicalResult {
    if (value.hasOneUse() || value == normalizer->scores)
      return success();
    return fail(otherUsersReason(value));
  };
  // The layers between the normalizer and q·kᵀ, outermost first.
  using Kind = AttentionMatch::BiasLayer::Kind;
  double scaleAbove = 1.0;
  // Whether the position mask hides with a finite value (or an unknown
  // one: an additive mask), and whether a where replaces the scores with
  // one too small to absorb them (above -1e30).
  bool finitePositionFill = false, scoreKeepingFill = false;
  // Whether an add is the position mask (its fill is unknown).
  bool additivePositionMask = false;
  // Whether a layer outside the current one adds a bias.
  bool biasAbove = false;
  while (!isa_and_nonnull<MatmulOp>(scores.getDefiningOp())) {
    Operation *op = scores.getDefiningOp();
    if (!isa_and_nonnull<WhereOp, AddOp, MulOp, DivOp>(op))
      return fail(input +
                  " is not q·kᵀ (a matmul), optionally scaled, soft-capped and "
                  "masked");
    if (failed(singleUse(scores)))
      return failure();
    AttentionMatch::BiasLayer layer;
    std::optional<PositionMask> positions;
    if (std::optional<SoftCap> cap = matchSoftCap(op)) {
      if (match.softcap)
        return fail("the scores are soft-capped twice");
      if (power)
        return fail("the power normalizer takes no soft cap");
      if (scaleAbove != 1.0 || match.runtimeScale)
        return fail("the soft cap is scaled after it, which changes the "
                    "cap: only masks may follow it");
      match.softcap = cap->cap;
      match.constantScale *= cap->inputScale;
      match.ops.insert(match.ops.begin(), cap->ops.begin(), cap->ops.end());
      scores = cap->scores;
      continue;
    }
    if (match.softcap && !isa<MulOp, DivOp>(op))
      return fail("the scores are masked before the soft cap, which does not "
                  "keep them hidden: only scalings may precede it");
    if (isa<MulOp, DivOp>(op)) {
      Value lhs = op->getOperand(0), rhs = op->getOperand(1);
      bool divide = isa<DivOp>(op);
      bool lhsIsScores = isScoreChain(lhs);
      if (!lhsIsScores && !isScoreChain(rhs))
        return fail("neither operand of the scaling is q·kᵀ");
      if (divide && !lhsIsScores)
        return fail("the scores divide a tensor rather than being divided");
      Value scale = lhsIsScores ? rhs : lhs;
      if (!isScalarTensor(scale))
        return fail("the scores are scaled by a tensor, not a scalar");
      if (tensorOf(scale).getElementType() != scoresType.getElementType())
        return fail("the scale's element type differs from the scores'");
      std::optional<double> constant = scalarConstant(scale);
      if (!constant && match.runtimeScale)
        return fail("the scores are scaled twice by values known only at "
                    "run time");
      scores = lhsIsScores ? lhs : rhs;
      match.ops.insert(match.ops.begin(), op);
      if (!constant) {
        match.runtimeScale = scale;
        match.divideByRuntimeScale = divide;
        continue;
      }
      layer.kind = Kind::scale;
      layer.factor = divide ? 1.0 / *constant : *constant;
      match.constantScale *= layer.factor;
      scaleAbove *= layer.factor;
      match.layers.push_back(layer);
      continue;
    }
    // (x + m)·c and where(cond, x, f)·c with c > 0 still hide what they hid.
    if (match.runtimeScale)
      return fail("the scores are masked before a scaling known only at run "
                  "time");
    if (!(scaleAbove > 0) || !std::isfinite(scaleAbove))
      return fail("the scores are masked before a scaling by a constant "
                  "that is not positive and finite, which would not hide "
                  "them");
    if (auto where = dyn_cast<WhereOp>(op)) {
      // where(cond, scores, fill) or where(cond, fill, scores).
      bool lhsIsScores = isScoreChain(where.getLhs());
      if (!lhsIsScores && !isScoreChain(where.getRhs()))
        return fail("neither branch of the mask where is q·kᵀ");
      Value fill = lhsIsScores ? where.getRhs() : where.getLhs();
      std::optional<double> fillValue = constantScalarValue(fill);
      // x^p weighs any score the where leaves, however small: only 0 hides.
      if (power && fillValue != 0.0)
        return fail("under a power normalizer the mask where does not hide "
                    "scores with 0");
      if (!power && (!fillValue || !(*fillValue * scaleAbove <= kHidingValue)))
        return fail("the mask where does not hide scores with a constant of "
                    "at most -1e4 (times the scalings after it)");
      scores = lhsIsScores ? where.getLhs() : where.getRhs();
      if (scores.getType() != scoresType)
        return fail("the mask where broadcasts the scores it masks");
      positions = classifyVisibility(where.getCond(), lhsIsScores, where);
      // The kernel raises the biased scores to p: only its mask hides keys.
      if (power && !positions)
        return fail("under a power normalizer only a mask of positions "
                    "(causal or a sliding window) can hide keys");
      if (power && biasAbove)
        return fail("under a power normalizer a bias added after the mask "
                    "where weighs the keys it hides");
      if (!positions && !shapes::broadcastToShape(
                            ruleShape(tensorOf(where.getCond()).getShape()),
                            ruleShape(scoresType.getShape()), 0, "the scores",
                            shapes::Naming{{"mask"}}))
        return fail("the mask where's condition does not broadcast to the "
                    "scores [batch, heads, queries, keys]");
      // A mask given as booleans (HF's GPT-2 `where(causal_mask, w,
      // finfo.min)`, an ONNX Where) hides keys as an additive bias would.
      layer.kind = Kind::hide;
      layer.operand = where.getCond();
      layer.fill = fill;
      layer.hiddenWhereTrue = !lhsIsScores;
      if (!power && positions && std::isfinite(*fillValue)) {
        finitePositionFill = true;
        scoreKeepingFill |= *fillValue * scaleAbove > kAbsorbingFill;
      }
    } else {
      auto add = cast<AddOp>(op);
      bool lhsChain = isScoreChain(add.getLhs());
      bool rhsChain = isScoreChain(add.getRhs());
      if (!lhsChain && !rhsChain)
        return fail("neither operand of the mask add is q·kᵀ");
      if (lhsChain && rhsChain)
        ambiguous.push_back(add);
      bool lhsIsScores = lhsChain && !(rhsChain && scoresOnRight.contains(add));
      scores = lhsIsScores ? add.getLhs() : add.getRhs();
      layer.kind = Kind::add;
      layer.operand = lhsIsScores ? add.getRhs() : add.getLhs();
      if (scores.getType() != scoresType)
        return fail("the mask add broadcasts the scores it masks");
      if (!shapes::broadcastToShape(
              ruleShape(tensorOf(layer.operand).getShape()),
              ruleShape(scoresType.getShape()), 0, "the scores",
              shapes::Naming{{"mask"}}))
        return fail("the mask does not broadcast to the scores [batch, "
                    "heads, queries, keys]");
      // Under a power normalizer an add is a bias, which hides nothing.
      if (!power)
        positions = classifyAdditiveMask(layer.operand, add, scaleAbove);
      finitePositionFill |= positions.has_value();
      additivePositionMask |= positions.has_value();
      biasAbove = true;
    }
    // A mask of positions becomes the kernel's mask, which skips hidden key
    // blocks; anything else is part of the bias.
    if (positions) {
      std::optional<PositionMask> both = intersect(match.mask, *positions);
      if (!both)
        return fail("two masks of positions show keys that no mask kind "
                    "does (blocks and a sliding window, or blocks of two "
                    "sizes)");
      match.mask = *both;
      layer.position = true;
    }
    match.layers.push_back(layer);
    match.ops.insert(match.ops.begin(), op);
  }
  // Beside another mask a row can have every key hidden, and softmax then
  // weighs the keys a finite fill left equal (PyTorch's finfo.min
  // arithmetic: HF's causal where plus its padding mask), which only the
  // whole bias reproduces: the position mask becomes part of it (the CPU
  // kernel still skips the keys it hides, row by row). A where's fill
  // replaces the scores, which the bias cannot unless the fill absorbs
  // them.
  bool otherMask = llvm::any_of(match.layers, [](const auto &layer) {
    return layer.kind != Kind::scale && !layer.position;
  });
  // Unless the other masks are finite biases computed from positions and
  // constants (ALiBi), which hide no key, and the position mask is a where
  // whose fill absorbs any score: then every row keeps a finite visible
  // score, the filled keys weigh exactly 0, and the position mask stays
  // the kernel's, its blocks skipped.
  bool finiteOthers = llvm::all_of(match.layers, [](const auto &layer) {
    return layer.kind == Kind::scale || layer.position ||
           (layer.kind == Kind::add && isFinitePositionBias(layer.operand));
  });
  bool keepPositions =
      finiteOthers && !scoreKeepingFill && !additivePositionMask;
  if (match.mask.kind != attn::MaskKind::none && otherMask &&
      finitePositionFill && !keepPositions) {
    if (scoreKeepingFill)
      return fail("beside another mask, the position mask's where fills "
                  "with a value above -1e30, which does not absorb the "
                  "scores: a row whose visible keys the other mask hides "
                  "weighs the filled keys alike, as no bias can (fill with "
                  "-inf or finfo.min)");
    for (AttentionMatch::BiasLayer &layer : match.layers)
      layer.position = false;
    match.mask = PositionMask();
  }
  match.ops.insert(match.ops.begin(), match.mask.ops.begin(),
                   match.mask.ops.end());
  auto product = scores.getDefiningOp<MatmulOp>();
  if (!product)
    return fail(input +
                " is not q·kᵀ (a matmul), optionally scaled, soft-capped and "
                "masked");
  if (failed(singleUse(scores)))
    return failure();
  match.ops.insert(match.ops.begin(), product);
  match.query = peelConstantScale(product.getLhs(), match);
  match.keyT = peelConstantScale(product.getRhs(), match);

  if (rank == 5 && failed(matchGroups(match, why)))
    return failure();
  RankedTensorType q = tensorOf(match.query), kT = tensorOf(match.keyT),
                   v = tensorOf(match.value);
  if (q.getRank() != rank || kT.getRank() != rank || v.getRank() != rank)
    return fail("q, kᵀ and v must all have the scores' rank");
  // The grouped form's last four axes are the plain form's.
  q = dropGroupAxis(q, rank);
  kT = dropGroupAxis(kT, rank);
  v = dropGroupAxis(v, rank);
  if (!dimsCompatible(q.getDimSize(0), kT.getDimSize(0)) ||
      !dimsCompatible(q.getDimSize(0), v.getDimSize(0)) ||
      !dimsCompatible(q.getDimSize(1), kT.getDimSize(1)) ||
      !dimsCompatible(q.getDimSize(1), v.getDimSize(1)))
    return fail("q, k and v differ in batch or heads (broadcast heads are "
                "not raised)");
  if (ShapedType::isDynamic(q.getDimSize(3)) ||
      q.getDimSize(3) != v.getDimSize(3))
    return fail("the head dimension must be static and the same for q and v");
  return match;
}

bool kiln::isAttentionNormalizer(Operation *op) {
  return isa<SoftmaxOp>(op) || powerNormalizer(op).has_value();
}

FailureOr<AttentionMatch> kiln::matchAttention(Operation *normalizer,
                                               std::string &why) {
  // A bias that is itself a product (Transformer-XL's q·rᵀ) leads to a
  // matmul as the scores do: its add is read with the left operand as the
  // scores first, then with the right.
  llvm::SmallPtrSet<Operation *, 2> scoresOnRight;
  SmallVector<Operation *> ambiguous;
  FailureOr<AttentionMatch> match =
      matchWithChoices(normalizer, scoresOnRight, ambiguous, why);
  for (Operation *add : ambiguous) {
    if (succeeded(match))
      break;
    scoresOnRight.insert(add);
    SmallVector<Operation *> again;
    std::string retryWhy;
    match = matchWithChoices(normalizer, scoresOnRight, again, retryWhy);
  }
  return match;
}
