//===- PositionMask.cpp - Attention masks built from positions ------------===//
//
// The mask expression is interpreted one element at a time
// (ElementEvaluator): the value at a (query, key) position of the scores
// is found by mapping that position back to the aranges it started from.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/PositionMask.h"
#include "passes/Fusion/ElementEvaluator.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// Scores are [batch, heads, queries, keys].
constexpr int64_t kScoresRank = 4;
/// Sliding windows up to this size are recognized.
constexpr int64_t kMaxWindow = int64_t(1) << 30;

/// Evaluates a mask expression at (query, key) positions of the scores.
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
    return elements.at(root, index);
  }

  const llvm::SetVector<Operation *> &visited() const {
    return elements.visited();
  }

private:
  ElementEvaluator elements;
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
    mask->ops = deadWith(evaluator.visited(), {consumer});
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
