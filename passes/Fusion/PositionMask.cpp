//===- PositionMask.cpp - Attention masks built from positions ------------===//
//
// The mask expression is interpreted one element at a time: the value at a
// (query, key) position of the scores is found by mapping that position
// through each op's broadcasting back to the aranges it started from. Only
// ops whose element i depends on element i of their operands (elementwise
// ops, broadcasts, reshapes that add or drop unit dims, transposes) are
// followed, so the sampled values are the values of every position.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/PositionMask.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// Scores are [batch, heads, queries, keys].
constexpr int64_t kScoresRank = 4;
/// Sliding windows up to this size are recognized.
constexpr int64_t kMaxWindow = int64_t(1) << 30;

/// Evaluates a mask expression element by element; fails on any op it does
/// not model. Records every op it visits.
class MaskEvaluator {
public:
  /// The value of `root` at query `q` and key `k` (same for every batch and
  /// head), or nullopt.
  std::optional<double> at(Value root, int64_t q, int64_t k) {
    auto type = dyn_cast<RankedTensorType>(root.getType());
    if (!type || type.getRank() > kScoresRank)
      return std::nullopt;
    SmallVector<int64_t> index;
    int64_t offset = kScoresRank - type.getRank();
    for (int64_t axis = 0; axis < type.getRank(); ++axis) {
      int64_t size = type.getDimSize(axis);
      int64_t scoresAxis = axis + offset;
      if (size == 1)
        index.push_back(0);
      else if (scoresAxis == 2)
        index.push_back(q);
      else if (scoresAxis == 3)
        index.push_back(k);
      else
        return std::nullopt; // Varies over batch or heads.
    }
    return eval(root, index);
  }

  const llvm::SetVector<Operation *> &visited() const { return ops; }

private:
  /// The element of `value` at `index`, rounded to its element type as the
  /// kernels compute it (bf16 positions past 256 collide).
  std::optional<double> eval(Value value, ArrayRef<int64_t> index) {
    std::optional<double> exact = evalExact(value, index);
    auto type = dyn_cast<RankedTensorType>(value.getType());
    auto floatType =
        type ? dyn_cast<FloatType>(type.getElementType()) : FloatType();
    if (!exact || !floatType)
      return exact;
    APFloat rounded(*exact);
    bool losesInfo;
    rounded.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
    return rounded.convertToDouble();
  }

  std::optional<double> evalExact(Value value, ArrayRef<int64_t> index) {
    Operation *op = value.getDefiningOp();
    if (!op)
      return std::nullopt;
    ops.insert(op);
    if (auto arange = dyn_cast<ArangeOp>(op)) {
      if (arange.getSeqOffsets())
        return std::nullopt;
      return arange.getStart().convertToDouble() + double(index[0]);
    }
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      auto elements = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!elements || !elements.isSplat())
        return std::nullopt;
      return splatValue(elements);
    }
    if (auto where = dyn_cast<WhereOp>(op)) {
      std::optional<double> cond = operandAt(where.getCond(), index);
      if (!cond)
        return std::nullopt;
      return operandAt(*cond != 0 ? where.getLhs() : where.getRhs(), index);
    }
    if (auto cast = dyn_cast<CastOp>(op)) {
      std::optional<double> input = operandAt(cast.getInput(), index);
      Type element = cast.getType().getElementType();
      if (!input)
        return std::nullopt;
      if (element.isInteger(1))
        return double(*input != 0);
      return isa<IntegerType>(element) ? std::trunc(*input) : *input;
    }
    if (auto reshape = dyn_cast<ReshapeOp>(op))
      return throughReshape(reshape, index);
    if (auto transpose = dyn_cast<TransposeOp>(op)) {
      SmallVector<int64_t> source(index.size());
      for (auto [axis, from] : llvm::enumerate(transpose.getPerm()))
        source[from] = index[axis];
      return eval(transpose.getInput(), source);
    }
    if (auto neg = dyn_cast<NegOp>(op)) {
      std::optional<double> input = operandAt(neg.getInput(), index);
      return input ? std::optional<double>(-*input) : std::nullopt;
    }
    if (op->getNumOperands() != 2 ||
        (isa<DivOp>(op) &&
         !isa<FloatType>(getElementTypeOrSelf(value.getType()))))
      return std::nullopt;
    std::optional<double> lhs = operandAt(op->getOperand(0), index);
    std::optional<double> rhs = operandAt(op->getOperand(1), index);
    if (!lhs || !rhs)
      return std::nullopt;
    return combine(op, *lhs, *rhs);
  }

  /// The element of `operand` that broadcasts to `index` of its user's
  /// result.
  std::optional<double> operandAt(Value operand, ArrayRef<int64_t> index) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    int64_t offset = static_cast<int64_t>(index.size()) -
                     (type ? type.getRank() : 0);
    if (!type || offset < 0) // A size operand, or not a broadcast.
      return std::nullopt;
    SmallVector<int64_t> source;
    for (int64_t axis = 0; axis < type.getRank(); ++axis)
      source.push_back(type.getDimSize(axis) == 1 ? 0 : index[axis + offset]);
    return eval(operand, source);
  }

  /// Follows a reshape that only adds or drops unit dims: the other dims
  /// keep their order, so their indices carry over.
  std::optional<double> throughReshape(ReshapeOp reshape,
                                       ArrayRef<int64_t> index) {
    auto from = cast<RankedTensorType>(reshape.getInput().getType());
    auto to = cast<RankedTensorType>(reshape.getType());
    SmallVector<int64_t> kept;
    for (int64_t axis = 0; axis < to.getRank(); ++axis)
      if (to.getDimSize(axis) != 1)
        kept.push_back(axis);
    SmallVector<int64_t> source;
    size_t next = 0;
    for (int64_t axis = 0; axis < from.getRank(); ++axis) {
      if (from.getDimSize(axis) == 1) {
        source.push_back(0);
        continue;
      }
      if (next == kept.size() ||
          from.getDimSize(axis) != to.getDimSize(kept[next]))
        return std::nullopt;
      source.push_back(index[kept[next++]]);
    }
    if (next != kept.size())
      return std::nullopt;
    return eval(reshape.getInput(), source);
  }

  static std::optional<double> splatValue(DenseElementsAttr elements) {
    Type element = elements.getElementType();
    if (isa<FloatType>(element))
      return elements.getSplatValue<APFloat>().convertToDouble();
    if (element.isInteger(1))
      return double(elements.getSplatValue<bool>());
    if (isa<IntegerType>(element))
      return double(elements.getSplatValue<APInt>().getSExtValue());
    return std::nullopt;
  }

  /// `op` on two scalars, if it is a binary op the evaluator models.
  static std::optional<double> combine(Operation *op, double a, double b) {
    return llvm::TypeSwitch<Operation *, std::optional<double>>(op)
        .Case([&](AddOp) { return a + b; })
        .Case([&](SubOp) { return a - b; })
        .Case([&](MulOp) { return a * b; })
        .Case([&](DivOp) { return a / b; })
        .Case([&](MaximumOp) { return std::max(a, b); })
        .Case([&](MinimumOp) { return std::min(a, b); })
        .Case([&](EqualOp) { return double(a == b); })
        .Case([&](NotEqualOp) { return double(a != b); })
        .Case([&](LessOp) { return double(a < b); })
        .Case([&](LessEqualOp) { return double(a <= b); })
        .Case([&](GreaterOp) { return double(a > b); })
        .Case([&](GreaterEqualOp) { return double(a >= b); })
        .Default([](Operation *) { return std::nullopt; });
  }

  llvm::SetVector<Operation *> ops;
};

using Visibility = llvm::function_ref<std::optional<bool>(int64_t, int64_t)>;

/// The first position in (low, high] that `seen` says is hidden, by
/// bisection, given that low is seen and high hidden; none where `seen`
/// cannot tell.
std::optional<int64_t>
firstUnseen(int64_t low, int64_t high,
            llvm::function_ref<std::optional<bool>(int64_t)> seen) {
  while (high - low > 1) {
    int64_t mid = low + (high - low) / 2;
    std::optional<bool> at = seen(mid);
    if (!at)
      return std::nullopt;
    (*at ? low : high) = mid;
  }
  return high;
}

/// Whether the mask hides every key after the query, shows the query's own
/// key, and depends on the distance q - k alone; then the first hidden
/// distance (a sliding window) or none (causal).
std::optional<PositionMask> classifyByDistance(Visibility visible) {
  auto seenAt = [&](int64_t distance, int64_t key) {
    return visible(key + distance, key);
  };
  // Future keys are hidden, at every sampled distance and position; the
  // large positions catch positions in a 16-bit float, which collide past
  // 256 (bf16) or 2048 (f16).
  for (int64_t key : {0, 1, 7, 100, 1001, 4097, 65537})
    for (int64_t ahead : {1, 2, 3, 5, 64, 1000, 1 << 20})
      if (visible(key, key + ahead) != std::optional<bool>(false))
        return std::nullopt;
  // Distances that are seen form a prefix [0, window).
  SmallVector<int64_t> distances;
  for (int64_t d = 0; d <= 70; ++d)
    distances.push_back(d);
  for (int64_t d = 128; d <= kMaxWindow; d *= 2)
    distances.append({d - 1, d, d + 1});
  std::optional<int64_t> firstHidden;
  for (int64_t d : distances) {
    for (int64_t key : {0, 3, 50}) {
      std::optional<bool> seen = seenAt(d, key);
      if (!seen || *seen != seenAt(d, 0))
        return std::nullopt; // Not a function of the distance alone.
    }
    bool seen = *seenAt(d, 0);
    if (!seen && !firstHidden)
      firstHidden = d;
    if (seen && firstHidden)
      return std::nullopt; // Seen again after a hidden distance.
  }
  PositionMask mask;
  if (!firstHidden) {
    mask.kind = attn::MaskKind::causal;
    return mask;
  }
  if (*firstHidden == 0)
    return std::nullopt;
  // The window lies between the last seen and the first hidden sample.
  int64_t low = 0;
  for (int64_t d : distances)
    if (d < *firstHidden)
      low = d;
  std::optional<int64_t> window =
      firstUnseen(low, *firstHidden, [&](int64_t d) { return seenAt(d, 0); });
  if (!window)
    return std::nullopt;
  mask.kind = attn::MaskKind::sliding_window;
  mask.window = *window;
  return mask;
}

/// The size b of the blocks when query q sees key k exactly where
/// ⌊q/b⌋ = ⌊k/b⌋ (and k ≤ q when causal), found as the first query that no
/// longer sees key 0 and checked at sampled positions around block edges.
std::optional<PositionMask> classifyBlocks(Visibility visible) {
  // Queries [0, b) see key 0: b by doubling, then bisection.
  int64_t low = 0, high = 1;
  for (;; high *= 2) {
    if (high > kMaxWindow)
      return std::nullopt;
    std::optional<bool> seen = visible(high, 0);
    if (!seen)
      return std::nullopt;
    if (!*seen)
      break;
    low = high;
  }
  if (visible(0, 0) != std::optional<bool>(true))
    return std::nullopt;
  std::optional<int64_t> found =
      firstUnseen(low, high, [&](int64_t q) { return visible(q, 0); });
  if (!found)
    return std::nullopt;
  int64_t block = *found;
  bool causal = block > 1 && visible(0, 1) == std::optional<bool>(false);
  SmallVector<int64_t> samples = {0, 1, 2, 3, 7, 100, 1001, 4097, 65537};
  for (int64_t edge : {block, 2 * block, 3 * block, (4097 / block + 1) * block})
    samples.append({edge - 2, edge - 1, edge, edge + 1});
  for (int64_t q : samples)
    for (int64_t k : samples) {
      if (q < 0 || k < 0)
        continue;
      bool expected = q / block == k / block && (!causal || k <= q);
      if (visible(q, k) != std::optional<bool>(expected))
        return std::nullopt;
    }
  PositionMask mask;
  mask.kind = attn::MaskKind::block_diagonal;
  mask.block = block;
  mask.causalBlocks = causal;
  return mask;
}

std::optional<PositionMask> classify(Visibility visible) {
  if (std::optional<PositionMask> mask = classifyByDistance(visible))
    return mask;
  return classifyBlocks(visible);
}

/// The visited ops that nothing outside the mask (or `consumer`) uses.
SmallVector<Operation *> deadWithMask(const llvm::SetVector<Operation *> &ops,
                                      Operation *consumer) {
  llvm::SetVector<Operation *> dead;
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation *op : ops) {
      if (dead.contains(op))
        continue;
      bool onlyMaskUsers = llvm::all_of(op->getUsers(), [&](Operation *user) {
        return user == consumer || dead.contains(user);
      });
      if (onlyMaskUsers)
        changed |= dead.insert(op);
    }
  }
  return SmallVector<Operation *>(dead.begin(), dead.end());
}

std::optional<PositionMask>
classifyWith(Value root, Operation *consumer,
             llvm::function_ref<std::optional<bool>(double)> seenFromValue) {
  MaskEvaluator evaluator;
  auto visible = [&](int64_t q, int64_t k) -> std::optional<bool> {
    std::optional<double> value = evaluator.at(root, q, k);
    return value ? seenFromValue(*value) : std::nullopt;
  };
  std::optional<PositionMask> mask = classify(visible);
  if (mask)
    mask->ops = deadWithMask(evaluator.visited(), consumer);
  return mask;
}

} // namespace

std::optional<PositionMask> kiln::classifyVisibility(Value cond,
                                                     bool seenWhere,
                                                     Operation *consumer) {
  return classifyWith(cond, consumer, [&](double value) {
    return std::optional<bool>((value != 0) == seenWhere);
  });
}

std::optional<PositionMask>
kiln::classifyAdditiveMask(Value mask, Operation *consumer, double scale) {
  return classifyWith(mask, consumer, [&](double value) -> std::optional<bool> {
    if (value == 0)
      return true;
    if (value * scale <= kHidingValue)
      return false;
    return std::nullopt; // A real bias, not a mask.
  });
}

std::optional<double> kiln::constantScalarValue(Value value) {
  MaskEvaluator evaluator;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !llvm::all_of(type.getShape(), [](int64_t d) { return d == 1; }))
    return std::nullopt;
  // Equal at two positions: no arange along a unit axis.
  std::optional<double> first = evaluator.at(value, 0, 0);
  if (first != evaluator.at(value, 5, 7))
    return std::nullopt;
  return first;
}
