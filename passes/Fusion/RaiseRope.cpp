//===- RaiseRope.cpp - RoPE written with primitives into graph.rope -------===//
//
// The kiln-raise-rope pass. HF's LLaMA (and most JAX model code) writes
// rotary embeddings out: `x * cos + rotate_half(x) * sin`, rotate_half(x)
// = concat(-x2, x1) of x's halves, with cos and sin tables built from the
// positions and the inverse frequencies theta^(-2i/D). Raised to
// graph.rope, the rotation becomes its projection's epilogue
// (kiln-fuse-rope-projections), as the composite op does, and the tables
// are never built. The tables are recognized by their values
// (ElementEvaluator): at sampled positions and every feature they must be
// the cos and sin of position * theta^(-2 (i mod D/2) / D) for one theta.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/ElementEvaluator.h"
#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_RAISEROPE
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// `x * cos + rotate_half(x) * sin` as matched: the rotated tensor, the
/// tables, and the ops of the rotation itself.
struct WrittenOutRope {
  Value x, cos, sin;
  SmallVector<Operation *> ops;
};

/// The x of `concat(-x[..., h:], x[..., :h])` along the last axis of a
/// static even size 2h, with its ops added to `ops`; null otherwise.
Value rotatedHalves(Value value, SmallVectorImpl<Operation *> &ops) {
  auto concat = value.getDefiningOp<ConcatOp>();
  auto type = cast<RankedTensorType>(value.getType());
  int64_t last = type.getRank() - 1;
  if (!concat || concat.getInputs().size() != 2 || concat.getAxis() != last)
    return {};
  auto neg = concat.getInputs()[0].getDefiningOp<NegOp>();
  auto high = neg ? neg.getInput().getDefiningOp<SliceOp>() : SliceOp();
  auto low = concat.getInputs()[1].getDefiningOp<SliceOp>();
  if (!high || !low || high.getInput() != low.getInput())
    return {};
  int64_t size = type.getDimSize(last);
  auto covers = [&](SliceOp slice, int64_t start, int64_t end) {
    return slice.getAxis() == last && slice.getStart() == start &&
           slice.getEnd().value_or(size) == end;
  };
  if (ShapedType::isDynamic(size) || size % 2 ||
      !covers(high, size / 2, size) || !covers(low, 0, size / 2))
    return {};
  ops.append({high, low, neg, concat});
  return low.getInput();
}

/// Matches `x * cos + rotate_half(x) * sin` at `add`, each product's and
/// the sum's operands in either order.
std::optional<WrittenOutRope> matchWrittenOutRope(AddOp add) {
  for (int side = 0; side < 2; ++side) {
    auto plain = add->getOperand(side).getDefiningOp<MulOp>();
    auto rotated = add->getOperand(1 - side).getDefiningOp<MulOp>();
    if (!plain || !rotated)
      continue;
    for (int r = 0; r < 2; ++r) {
      WrittenOutRope rope;
      Value x = rotatedHalves(rotated->getOperand(r), rope.ops);
      if (!x)
        continue;
      for (int p = 0; p < 2; ++p) {
        if (plain->getOperand(p) != x)
          continue;
        rope.x = x;
        rope.cos = plain->getOperand(1 - p);
        rope.sin = rotated->getOperand(1 - r);
        rope.ops.append({plain, rotated, add});
        return rope;
      }
    }
  }
  return std::nullopt;
}

/// Sequence indices at which the tables are checked.
constexpr int64_t kSampledPositions[] = {0, 1, 2, 3, 7, 31, 100};

/// The position ids bound to a `[B, T]` leaf of the tables: distinct per
/// sequence, so that tables reading another sequence's ids fail the check.
double boundPosition(int64_t b, int64_t t) { return double(t + 37 * b); }

/// The theta for which `cos` and `sin`, broadcast to x `[B, ·, ·, D]` along
/// `seqAxis` (1 or 2) and the features, are the cos and sin of
/// `p * theta^(-2 (i mod D/2) / D)` at position p and feature i; nullopt
/// when they are not such tables (they vary over heads, read another
/// run-time value, or compute anything else). Position p is the sequence
/// index t, or with `positions` bound in `values` (position ids of the
/// sequences) boundPosition(b, t), and then the tables may vary over
/// batches.
std::optional<double> ropeTheta(Value cos, Value sin, int64_t seqAxis,
                                int64_t features, ElementEvaluator &values,
                                bool positions) {
  // The element of a table at sequence b, index t and feature i.
  auto element = [&](Value table, int64_t b, int64_t t,
                     int64_t i) -> std::optional<double> {
    auto type = cast<RankedTensorType>(table.getType());
    int64_t offset = 4 - type.getRank();
    SmallVector<int64_t> index;
    for (int64_t axis = 0; axis < type.getRank(); ++axis) {
      int64_t size = type.getDimSize(axis);
      if (axis + offset == 3 && size == features)
        index.push_back(i);
      else if (axis + offset == seqAxis && size != 1)
        index.push_back(t);
      else if (size == 1)
        index.push_back(0);
      else if (axis + offset == 0)
        index.push_back(b);
      else
        return std::nullopt;
    }
    return values.at(table, index);
  };
  // Tables that vary over the batch read position ids: evaluated once, so
  // that `values` records the ids it stopped at.
  auto variesOverBatch = [](Value table) {
    auto type = cast<RankedTensorType>(table.getType());
    return type.getRank() == 4 && type.getDimSize(0) != 1;
  };
  if (!positions && (variesOverBatch(cos) || variesOverBatch(sin))) {
    (void)element(cos, 0, 1, 1);
    return std::nullopt;
  }
  // Both tables must vary along the positions: a table without a position
  // axis is no table of angles.
  for (Value table : {cos, sin}) {
    auto type = cast<RankedTensorType>(table.getType());
    int64_t axis = seqAxis - (4 - type.getRank());
    if (type.getRank() > 4 || axis < 0 || type.getDimSize(axis) == 1 ||
        type.getDimSize(type.getRank() - 1) != features)
      return std::nullopt;
  }
  int64_t half = features / 2;
  // theta from the angle of feature 1 at position 1: theta^(-2/D).
  double theta = 10000.0; // Any theta fits a single frequency (D = 2).
  if (half > 1) {
    std::optional<double> c = element(cos, 0, 1, 1), s = element(sin, 0, 1, 1);
    if (!c || !s)
      return std::nullopt;
    double frequency = std::atan2(*s, *c);
    if (!(frequency > 0 && frequency < 1))
      return std::nullopt;
    theta = std::pow(frequency, -double(features) / 2);
    // The table's f32 rounding moves theta off the integer it was.
    if (std::fabs(theta - std::round(theta)) <= 1e-3 * theta)
      theta = std::round(theta);
  }
  // Within f32 rounding of angles up to 100 radians; 16-bit tables round
  // more (2^-8 and 2^-11 relative).
  auto tableElement = cast<RankedTensorType>(cos.getType()).getElementType();
  double tolerance = tableElement.isF32()   ? 1e-4
                     : tableElement.isF16() ? 2e-3
                                            : 1e-2;
  for (int64_t b = 0; b < (positions ? 2 : 1); ++b)
    for (int64_t t : kSampledPositions)
      for (int64_t i = 0; i < features; ++i) {
        double position = positions ? boundPosition(b, t) : double(t);
        double angle = position * std::pow(theta, -2.0 * (i % half) / features);
        std::optional<double> c = element(cos, b, t, i),
                              s = element(sin, b, t, i);
        if (!c || !s || std::fabs(*c - std::cos(angle)) > tolerance ||
            std::fabs(*s - std::sin(angle)) > tolerance)
          return std::nullopt;
      }
  return theta;
}

/// The axis of x `[B, T, H, D]` or `[B, H, T, D]` that the tables run
/// along: the one of axes 1 and 2 where either table is not 1.
std::optional<int64_t> tablesSeqAxis(Value cos, Value sin) {
  std::optional<int64_t> seqAxis;
  for (Value table : {cos, sin}) {
    auto type = cast<RankedTensorType>(table.getType());
    int64_t offset = 4 - type.getRank();
    for (int64_t axis = 1; axis < 3; ++axis) {
      if (axis < offset || type.getDimSize(axis - offset) == 1)
        continue;
      if (seqAxis && *seqAxis != axis)
        return std::nullopt;
      seqAxis = axis;
    }
  }
  return seqAxis;
}

/// Anchored at the sum of the two products.
struct RaiseRopePattern : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    std::optional<WrittenOutRope> rope = matchWrittenOutRope(add);
    if (!rope)
      return rewriter.notifyMatchFailure(add,
                                         "not x * cos + rotate_half(x) * sin");
    auto type = cast<RankedTensorType>(rope->x.getType());
    if (type.getRank() != 4 || add.getType() != type)
      return rewriter.notifyMatchFailure(
          add, "x is not [B, T, H, D] or [B, H, T, D], or the tables "
               "broadcast it");
    if (!intermediatesContained(rope->ops, add))
      return rewriter.notifyMatchFailure(add, "an intermediate escapes");
    std::optional<int64_t> seqAxis = tablesSeqAxis(rope->cos, rope->sin);
    if (!seqAxis)
      return rewriter.notifyMatchFailure(add, "the tables vary over no "
                                              "sequence axis of x");
    ElementEvaluator tables;
    int64_t features = type.getDimSize(3);
    std::optional<double> theta =
        ropeTheta(rope->cos, rope->sin, *seqAxis, features, tables, false);
    // Tables of position ids (HF's position_ids): the ids, [B, T] integers
    // of x's sequences, become the rope's positions.
    Value positions;
    if (!theta && isPositionIds(tables.stoppedAt(), rope->x, *seqAxis)) {
      positions = tables.stoppedAt();
      tables = ElementEvaluator();
      tables.bind(positions, [](ArrayRef<int64_t> index) {
        return boundPosition(index[0], index[1]);
      });
      theta = ropeTheta(rope->cos, rope->sin, *seqAxis, features, tables, true);
    }
    if (!theta)
      return rewriter.notifyMatchFailure(
          add, "the tables are not cos and sin of positions times "
               "theta^(-2i/D)");
    // The tables' ops die with the rotation: the rope computes them.
    SmallVector<Operation *> fused = rope->ops;
    llvm::append_range(fused, deadWith(tables.visited(), rope->ops));
    Location loc = fusedLoc(fused);
    Value x = rope->x;
    // [B, H, T, D]: rotated as [B, T, H, D], the transposes folding into
    // the layout transposes around it.
    const int64_t swap[] = {0, 2, 1, 3};
    if (*seqAxis == 2)
      x = tokenMajor(rewriter, loc, x, swap);
    auto rotated = rewriter.create<RopeOp>(
        loc, x.getType(), x, positions, rewriter.getF64FloatAttr(*theta),
        rewriter.getI64IntegerAttr(type.getDimSize(3)), UnitAttr());
    Value result = rotated;
    if (*seqAxis == 2)
      result = tokenMajor(rewriter, loc, result, swap);
    rewriter.replaceOp(add, result);
    return success();
  }

  /// Whether `value` may be the position ids of x's sequences: integers
  /// `[B, T]` of x's batch and sequence dims.
  static bool isPositionIds(Value value, Value x, int64_t seqAxis) {
    auto type = value ? dyn_cast<RankedTensorType>(value.getType())
                      : RankedTensorType();
    return type && type.getRank() == 2 &&
           isa<IntegerType>(type.getElementType()) &&
           !type.getElementType().isInteger(1) &&
           sameRuntimeDim(value, 0, x, 0) &&
           sameRuntimeDim(value, 1, x, seqAxis);
  }

  /// `value` with its axes 1 and 2 swapped: the input of a transpose that
  /// swapped them, or a new transpose.
  static Value tokenMajor(PatternRewriter &rewriter, Location loc, Value value,
                          ArrayRef<int64_t> swap) {
    if (auto transpose = value.getDefiningOp<TransposeOp>())
      if (transpose.getPerm() == swap)
        return transpose.getInput();
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> shape(type.getShape());
    std::swap(shape[1], shape[2]);
    return rewriter.create<TransposeOp>(
        loc, RankedTensorType::get(shape, type.getElementType()), value,
        rewriter.getDenseI64ArrayAttr(swap));
  }
};

struct RaiseRopePass : kiln::impl::RaiseRopeBase<RaiseRopePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseRopePattern>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
