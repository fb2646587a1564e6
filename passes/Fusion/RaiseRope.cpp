//===- RaiseRope.cpp - RoPE written with primitives into graph.rope -------===//
//
// The kiln-raise-rope pass. HF's LLaMA (and most JAX model code) writes
// rotary embeddings out: `x * cos + rotate_half(x) * sin`, rotate_half(x)
// = concat(-x2, x1) of x's halves (GPT-J's rotate_every_two pairs
// neighbours instead), with cos and sin tables built from the positions
// and the inverse frequencies theta^(-2i/D). Raised to
// graph.rope, the rotation becomes its projection's epilogue
// (kiln-fuse-rope-projections), as the composite op does, and the tables
// are never built. The tables are recognized by their values
// (ElementEvaluator): at sampled positions and every feature they must be
// the cos and sin of position * theta^(-2 j / D) for one theta, where
// feature i belongs to pair j = i mod D/2 (halves) or i div 2 (neighbours).
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

/// `x * cos + rotate(x) * sin` as matched: the rotated tensor, the
/// tables, whether the rotation pairs neighbours (GPT-J) or halves, and the
/// ops of the rotation itself.
struct WrittenOutRope {
  Value x, cos, sin;
  bool interleaved = false;
  SmallVector<Operation *> ops;
};

/// The ops a rotation may be written with: moves of x's features, the
/// negation of half of them, and the constant indices of a gather (no
/// float constant, which could stand in for features).
bool movesFeatures(Operation *op) {
  if (auto constant = dyn_cast<ConstantOp>(op))
    return isa<IntegerType>(getElementTypeOrSelf(constant.getType()));
  return isa<ReshapeOp, SliceOp, ConcatOp, GatherOp, TransposeOp, NegOp>(op);
}

/// How `rotated` rotates the pairs of features of x `[..., R]`: for pair
/// (a, b), -x_b at a and x_a at b, with a and b the halves (rotate_half:
/// (i, i + R/2)) or neighbours (GPT-J's rotate_every_two: (2i, 2i + 1));
/// nullopt if it is neither. However it is written (slices and a concat,
/// reshapes into pairs, strided slices exported as gathers), it is found
/// by evaluating it, element by element, on an x whose features are
/// numbered at two probe positions and zero elsewhere, so that a feature
/// read from another position or head shows. Its ops are added to `ops`.
std::optional<bool> rotationKind(Value rotated, Value x,
                                 SmallVectorImpl<Operation *> &ops) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() == 0)
    return std::nullopt;
  int64_t rank = type.getRank(), size = type.getDimSize(rank - 1);
  // Feature numbers up to 256 are exact in every float type.
  constexpr int64_t kMaxFeatures = 255;
  if (rotated.getType() != type || ShapedType::isDynamic(size) || size % 2 ||
      size > kMaxFeatures || !rotated.getDefiningOp() ||
      !movesFeatures(rotated.getDefiningOp()))
    return std::nullopt;
  SmallVector<SmallVector<int64_t>> probes(2, SmallVector<int64_t>(rank, 0));
  for (int64_t axis = 0; axis + 1 < rank; ++axis)
    probes[1][axis] = type.getDimSize(axis) == 1 ? 0 : 1;
  ElementEvaluator values;
  std::optional<bool> kind;
  for (ArrayRef<int64_t> probe : probes) {
    values.bind(x, [probe](ArrayRef<int64_t> index) {
      return index.drop_back() == probe.drop_back() ? double(index.back() + 1)
                                                    : 0.0;
    });
    SmallVector<int64_t> index(probe);
    for (int64_t i = 0; i < size; ++i) {
      index.back() = i;
      std::optional<double> value = values.at(rotated, index);
      int64_t half = size / 2;
      double halves = i < half ? -(i + half + 1) : i - half + 1;
      double neighbours = i % 2 ? i : -(i + 2);
      if (!value || (*value != halves && *value != neighbours))
        return std::nullopt;
      bool interleaved = *value == neighbours;
      if (size > 2 && kind && *kind != interleaved)
        return std::nullopt;
      kind = interleaved;
    }
  }
  if (!llvm::all_of(values.visited(), movesFeatures))
    return std::nullopt;
  // The constants may index other rotations too; they stay, and die with
  // their last user.
  for (Operation *op : values.visited())
    if (!isa<ConstantOp>(op))
      ops.push_back(op);
  return size == 2 ? false : kind;
}

/// Matches `x * cos + rotate(x) * sin` at `add`, each product's and the
/// sum's operands in either order.
std::optional<WrittenOutRope> matchWrittenOutRope(AddOp add) {
  for (int side = 0; side < 2; ++side) {
    auto plain = add->getOperand(side).getDefiningOp<MulOp>();
    auto rotated = add->getOperand(1 - side).getDefiningOp<MulOp>();
    if (!plain || !rotated)
      continue;
    for (int r = 0; r < 2; ++r)
      for (int p = 0; p < 2; ++p) {
        WrittenOutRope rope;
        Value x = plain->getOperand(p);
        std::optional<bool> interleaved =
            rotationKind(rotated->getOperand(r), x, rope.ops);
        if (!interleaved)
          continue;
        rope.x = x;
        rope.cos = plain->getOperand(1 - p);
        rope.sin = rotated->getOperand(1 - r);
        rope.interleaved = *interleaved;
        rope.ops.append({plain, rotated, add});
        return rope;
      }
  }
  return std::nullopt;
}

/// Whether `slice` takes `[start, end)` of its input's last axis.
bool slicesLastAxis(SliceOp slice, int64_t start, int64_t end) {
  auto type = cast<RankedTensorType>(slice.getInput().getType());
  int64_t last = type.getRank() - 1;
  return static_cast<int64_t>(slice.getAxis()) == last &&
         static_cast<int64_t>(slice.getStart()) == start &&
         static_cast<int64_t>(slice.getEnd().value_or(type.getDimSize(last))) ==
             end;
}

/// GPT-NeoX's partial rotary (and Phi's): only the first R features of x
/// `[..., D]` rotate, `concat(rope(x[..., :R]), x[..., R:])` along the last
/// axis. As matched at the sum of the rotation of the prefix `rotated`: the
/// whole x, the two slices and the concat, which the rope op with
/// rotary_dim R replaces.
struct PartialRotary {
  Value x;
  SliceOp prefix, rest;
  ConcatOp concat;
};

std::optional<PartialRotary> matchPartialRotary(Value rotated, AddOp sum) {
  auto prefix = rotated.getDefiningOp<SliceOp>();
  auto concat = dyn_cast_or_null<ConcatOp>(soleUser(sum.getResult()));
  if (!prefix || !concat || concat.getInputs().size() != 2 ||
      concat.getInputs()[0] != sum.getResult())
    return std::nullopt;
  auto rest = concat.getInputs()[1].getDefiningOp<SliceOp>();
  Value x = prefix.getInput();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t last = type.getRank() - 1, size = type.getDimSize(last);
  int64_t rotary = cast<RankedTensorType>(rotated.getType()).getDimSize(last);
  if (!rest || rest.getInput() != x || ShapedType::isDynamic(size) ||
      static_cast<int64_t>(concat.getAxis()) != last ||
      !slicesLastAxis(prefix, 0, rotary) || !slicesLastAxis(rest, rotary, size))
    return std::nullopt;
  return PartialRotary{x, prefix, rest, concat};
}

/// Sequence indices at which the tables are checked: small ones, and
/// around the powers of two and the lengths where a clamped, wrapped or
/// truncated position would first differ.
constexpr int64_t kSampledPositions[] = {
    0,    1,    2,     3,     7,     31,    100,   127,  128,
    129,  255,  256,   257,   1000,  1023,  1024,  1025, 4095,
    4096, 4097, 32767, 32768, 32769, 65537, 131073};

/// The position ids bound to a `[B, T]` leaf of the tables: distinct per
/// sequence, so that tables reading another sequence's ids fail the check.
double boundPosition(int64_t b, int64_t t) { return double(t + 37 * b); }

/// The angle of pair i at position p as the rope kernel computes it
/// (Rope.cpp): in f32, as PyTorch's rotary embeddings do.
double ropeAngle(double theta, int64_t i, int64_t rotaryDim, double p) {
  float exponent = float(2 * i) / float(rotaryDim);
  float power = float(std::exp(double(exponent) * std::log(theta)));
  return double(float(p) * (1.0f / power));
}

/// A pair of cos and sin tables broadcast to x `[B, ·, ·, D]` along
/// `seqAxis` (1 or 2) and the features, read element by element.
class RopeTables {
public:
  RopeTables(Value cos, Value sin, int64_t seqAxis, int64_t features,
             bool interleaved, ElementEvaluator &values, bool positions)
      : cos(cos), sin(sin), seqAxis(seqAxis), features(features),
        interleaved(interleaved), values(values), positions(positions) {}

  /// The theta for which the tables are the cos and sin of the angles
  /// ropeAngle(theta, pair(i), D, p) at position p and feature i; nullopt
  /// when they are not such tables (they vary over heads, read another
  /// run-time value, or compute anything else). Position p is the sequence
  /// index t, or with `positions` bound in `values` (position ids of the
  /// sequences) boundPosition(b, t), and then the tables may vary over
  /// batches.
  std::optional<double> theta() {
    // Tables that vary over the batch read position ids: evaluated once, so
    // that `values` records the ids it stopped at.
    if (!positions && (variesOverBatch(cos) || variesOverBatch(sin))) {
      (void)element(cos, 0, 1, 1);
      return std::nullopt;
    }
    // Both tables must vary along the positions: a table without a
    // position axis is no table of angles.
    for (Value table : {cos, sin}) {
      auto type = cast<RankedTensorType>(table.getType());
      int64_t axis = seqAxis - (4 - type.getRank());
      if (type.getRank() > 4 || axis < 0 || type.getDimSize(axis) == 1 ||
          type.getDimSize(type.getRank() - 1) != features)
        return std::nullopt;
    }
    if (features == 2) // One frequency, 1, whatever theta is.
      return matches(10000.0) ? std::optional<double>(10000.0) : std::nullopt;
    std::optional<double> estimate = estimateTheta();
    if (!estimate)
      return std::nullopt;
    // The estimate is within about 1e-7 of theta from f32 tables, 1e-3 from
    // 16-bit ones: the integer, then the rounder numbers near it.
    for (int digits : {0, 3, 2, 1}) {
      double candidate = std::round(*estimate);
      if (digits) {
        double unit =
            std::pow(10.0, std::floor(std::log10(*estimate)) + 1 - digits);
        candidate = std::round(*estimate / unit) * unit;
      }
      if (std::fabs(candidate - *estimate) <= 1e-2 * *estimate &&
          matches(candidate))
        return candidate;
    }
    return std::nullopt;
  }

private:
  /// theta from the lowest frequency, theta^(-2(h-1)/D) for h = D/2 pairs,
  /// whose exponent passes its error on least: read at position 1, then
  /// at the position where its angle is about 1 radian.
  std::optional<double> estimateTheta() {
    int64_t last = features / 2 - 1;
    int64_t feature = interleaved ? 2 * last : last;
    std::optional<double> frequency = angleAt(1, feature);
    if (!frequency || !(*frequency > 0 && *frequency < 1))
      return std::nullopt;
    constexpr double kFarthest = 1 << 24; // Positions f32 holds exactly.
    double position = std::round(1 / *frequency);
    if (position > 1 && position < kFarthest) {
      std::optional<double> angle = angleAt(int64_t(position), feature);
      if (!angle || !(*angle > 0))
        return std::nullopt;
      frequency = *angle / position;
    }
    return std::pow(*frequency, -double(features) / (2.0 * last));
  }

  /// The angle of feature i at index t of sequence 0, in (-pi, pi].
  std::optional<double> angleAt(int64_t t, int64_t i) {
    std::optional<double> c = element(cos, 0, t, i), s = element(sin, 0, t, i);
    if (!c || !s)
      return std::nullopt;
    return std::atan2(*s, *c);
  }

  /// Whether the tables are those of `theta` at every sampled position and
  /// feature: within the tables' rounding (f32, or 16-bit: 2^-11 and 2^-8
  /// relative) and that of an f32 angle, which grows with it.
  bool matches(double theta) {
    auto type = cast<RankedTensorType>(cos.getType()).getElementType();
    double tolerance = type.isF32() ? 1e-5 : type.isF16() ? 2e-3 : 1e-2;
    for (int64_t b = 0; b < (positions ? 2 : 1); ++b)
      for (int64_t t : kSampledPositions)
        for (int64_t i = 0; i < features; ++i) {
          double position = positions ? boundPosition(b, t) : double(t);
          double angle = ropeAngle(theta, pair(i), features, position);
          double bound = tolerance + 4 * 0x1p-24 * std::fabs(angle);
          std::optional<double> c = element(cos, b, t, i),
                                s = element(sin, b, t, i);
          if (!c || !s || std::fabs(*c - std::cos(angle)) > bound ||
              std::fabs(*s - std::sin(angle)) > bound)
            return false;
        }
    return true;
  }

  /// The element of `table` at sequence b, index t and feature i.
  std::optional<double> element(Value table, int64_t b, int64_t t, int64_t i) {
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
  }

  /// The pair feature i belongs to: the index of its frequency.
  int64_t pair(int64_t i) const {
    return interleaved ? i / 2 : i % (features / 2);
  }

  static bool variesOverBatch(Value table) {
    auto type = cast<RankedTensorType>(table.getType());
    return type.getRank() == 4 && type.getDimSize(0) != 1;
  }

  Value cos, sin;
  int64_t seqAxis, features;
  bool interleaved;
  ElementEvaluator &values;
  bool positions;
};

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
      return rewriter.notifyMatchFailure(
          add, "not x * cos + rotate(x) * sin, x's pairs rotated");
    auto type = cast<RankedTensorType>(rope->x.getType());
    if (type.getRank() != 4 || add.getType() != type)
      return rewriter.notifyMatchFailure(
          add, "x is not [B, T, H, D] or [B, H, T, D], or the tables "
               "broadcast it");
    if (!intermediatesContained(rope->ops, add))
      return rewriter.notifyMatchFailure(add, "an intermediate escapes");
    // The op the rope replaces: the concat of a partial rotary whose
    // slices feed only it, else the sum (the prefix's rotation alone).
    Operation *replaced = add;
    Value x = rope->x;
    if (std::optional<PartialRotary> partial =
            matchPartialRotary(rope->x, add)) {
      SmallVector<Operation *> ops = rope->ops;
      ops.append({partial->prefix, partial->rest, partial->concat});
      if (intermediatesContained(ops, partial->concat)) {
        replaced = partial->concat;
        x = partial->x;
        rope->ops = std::move(ops);
      }
    }
    std::optional<int64_t> seqAxis = tablesSeqAxis(rope->cos, rope->sin);
    if (!seqAxis)
      return rewriter.notifyMatchFailure(add, "the tables vary over no "
                                              "sequence axis of x");
    ElementEvaluator tables;
    int64_t features = type.getDimSize(3);
    std::optional<double> theta =
        RopeTables(rope->cos, rope->sin, *seqAxis, features, rope->interleaved,
                   tables, false)
            .theta();
    // Tables of position ids (HF's position_ids): the ids, [B, T] integers
    // of x's sequences, become the rope's positions.
    Value positions;
    if (!theta && isPositionIds(tables.stoppedAt(), rope->x, *seqAxis)) {
      positions = tables.stoppedAt();
      tables = ElementEvaluator();
      tables.bind(positions, [](ArrayRef<int64_t> index) {
        return boundPosition(index[0], index[1]);
      });
      theta = RopeTables(rope->cos, rope->sin, *seqAxis, features,
                         rope->interleaved, tables, true)
                  .theta();
    }
    if (!theta)
      return rewriter.notifyMatchFailure(
          add, "the tables are not cos and sin of positions times "
               "theta^(-2i/D)");
    // The tables' ops die with the rotation: the rope computes them.
    SmallVector<Operation *> fused = rope->ops;
    llvm::append_range(fused, deadWith(tables.visited(), rope->ops));
    Location loc = fusedLoc(fused);
    // [B, H, T, D]: rotated as [B, T, H, D], the transposes folding into
    // the layout transposes around it.
    const int64_t swap[] = {0, 2, 1, 3};
    if (*seqAxis == 2)
      x = tokenMajor(rewriter, loc, x, swap);
    auto rotated = rewriter.create<RopeOp>(
        loc, x.getType(), x, positions, rewriter.getF64FloatAttr(*theta),
        rewriter.getI64IntegerAttr(features),
        rope->interleaved ? rewriter.getUnitAttr() : UnitAttr());
    Value result = rotated;
    if (*seqAxis == 2)
      result = tokenMajor(rewriter, loc, result, swap);
    rewriter.replaceOp(replaced, result);
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
