//===- AttnRowsToLoops.cpp - Attention, one query row per iteration -------===//
//
// The GPU form of attn.attention (kiln-convert-to-loops row-attention=true,
// set by the NVPTX pipeline): one parallel iteration, a GPU thread, per
// (batch, head, query row), the row fastest, so that a warp holds
// neighbouring rows of one head. The thread keeps its scaled query and its
// output accumulator in registers as vectors along the head dims (static,
// the last vector masked) and streams the keys it sees in order, in blocks
// of W: W dot products fill a score vector, an online softmax (running
// maximum, lane sums, one rescale per block) or x^p turns it into weights,
// and each weight scales its value row into the accumulator. Nothing is
// packed and no scratch is allocated: per-thread state is O(D).
//
// A row walks only the keys of its visible interval, from the start of the
// interval of the warp's first row, so that the threads of a warp load the
// same key at the same step (one broadcast load); keys outside the row's
// own interval are masked.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnKernel.h"
#include "passes/Conversion/ToLoops/AttnMask.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;

namespace {

/// Threads per warp. kiln-gpu-map-parallel-loops gives consecutive
/// iterations (the last dimension fastest) to consecutive threads, so the
/// rows of a warp are a run of 32 consecutive linear indices.
constexpr int64_t kWarpSize = 32;
/// The largest head dims whose query and accumulator stay in registers.
constexpr int64_t kMaxRowHeadDim = 256;

struct AttentionRowsToLoops : OpConversionPattern<AttentionOp> {
  /// Tried before the block lowering, which takes the shapes this one
  /// declines.
  AttentionRowsToLoops(const KernelOptions &options, TypeConverter &converter,
                       MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/2),
        width(options.vectorWidth) {}

  int64_t width;

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t headDim = op.getQuery().getType().getDimSize(3);
    int64_t valueDim = op.getValue().getType().getDimSize(3);
    if (ShapedType::isDynamic(headDim) || ShapedType::isDynamic(valueDim) ||
        headDim > kMaxRowHeadDim || valueDim > kMaxRowHeadDim)
      return rewriter.notifyMatchFailure(
          op, "head dims must be static and at most 256");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    StaticChunks keyChunks(b, headDim, width), valueChunks(b, valueDim, width);
    SmallVector<Value> q = memrefSizes(b, adaptor.getQuery());
    Value out = resultBuffer(op);
    Value group =
        queryHeadsPerKeyHead(b, adaptor.getQuery(), adaptor.getKey());
    parallelLoops(
        b, {q[0], q[2], q[1]}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Row row{ivs[0], ivs[1], ivs[2],
                  b.create<arith::DivUIOp>(ivs[1], group)};
          emitRow(b, op, adaptor, keyChunks, valueChunks, q, row, out);
        });
    rewriter.replaceOp(op, out);
    return success();
  }

  /// The query row a parallel iteration owns, and its key/value head.
  struct Row {
    Value batch, head, t, kvHead;
  };

  void emitRow(ImplicitLocOpBuilder &b, AttentionOp op, OpAdaptor adaptor,
               const StaticChunks &keyChunks, const StaticChunks &valueChunks,
               ArrayRef<Value> sizes, const Row &row, Value out) const {
    Value key = adaptor.getKey(), offsets = adaptor.getSeqOffsets();
    Value keys = b.create<memref::DimOp>(key, 1);
    Value lo, hi;
    std::tie(lo, hi) = visibleKeys(b, op, offsets, row.t, keys);
    Value start = warpStart(b, op, offsets, sizes, row, keys, lo);

    bool power = op.getNormalizer() == Normalizer::power;
    double scale = scoreScale(op.getScale(), power);
    Value scaleV = floatConst(b, f32Vector(b, width), scale);
    SmallVector<Value> query;
    for (size_t i = 0; i < keyChunks.size(); ++i)
      query.push_back(b.create<arith::MulFOp>(
          keyChunks.load(b, adaptor.getQuery(), {row.batch, row.t, row.head},
                         i),
          scaleV));

    // iter_args: the accumulators, the lane sums of the weights, and the
    // running maximum (softmax).
    size_t accumulators = valueChunks.size();
    Value zeroV = floatConst(b, f32Vector(b, width), 0.0);
    SmallVector<Value> init(accumulators + 1, zeroV);
    if (!power)
      init.push_back(f32Const(b, -std::numeric_limits<float>::infinity()));
    Value last = b.create<arith::SubIOp>(hi, indexConst(b, 1));
    auto blocks = b.create<scf::ForOp>(
        start, hi, indexConst(b, width), init,
        [&](OpBuilder &nested, Location loc, Value k0, ValueRange carried) {
          ImplicitLocOpBuilder b(loc, nested);
          // Lanes past the interval read its last key, masked off.
          SmallVector<Value> at;
          for (int64_t j = 0; j < width; ++j)
            at.push_back(indexMin(
                b, b.create<arith::AddIOp>(k0, indexConst(b, j)), last));
          Value visible = visibleLanes(b, k0, lo, hi);
          Value scores = blockScores(b, adaptor, keyChunks, query, row, at,
                                     power, baseTwoSoftCap(op.getSoftcap()));
          SmallVector<Value> next(carried.begin(),
                                  carried.begin() + accumulators);
          Value sums = carried[accumulators], weights, max;
          if (power) {
            weights = b.create<arith::SelectOp>(
                visible,
                integerPower(b, scores, static_cast<int64_t>(*op.getPower())),
                zeroV);
          } else {
            Value rescale;
            std::tie(weights, rescale, max) =
                softmaxWeights(b, scores, visible, carried[accumulators + 1]);
            for (Value &acc : next)
              acc = b.create<arith::MulFOp>(acc, rescale);
            sums = b.create<arith::MulFOp>(sums, rescale);
          }
          addValues(b, adaptor.getValue(), valueChunks, row, at, weights, next);
          next.push_back(b.create<arith::AddFOp>(sums, weights));
          if (max)
            next.push_back(max);
          b.create<scf::YieldOp>(next);
        });

    // out = acc / sum; a row that sees no key, or only -inf scores, is 0.
    ValueRange results = blocks.getResults();
    Value total = splat(b, reduceAdd(b, results[accumulators]), width);
    for (size_t i = 0; i < accumulators; ++i)
      valueChunks.store(b, divideOrZero(b, results[i], total), out,
                        {row.batch, row.t, row.head}, i);
  }

  /// Where the row's key loop starts: the start of the interval of the
  /// warp's first row when that row sees keys (the warp then loads each key
  /// once, for all its rows), but no later than the row's own `lo`.
  static Value warpStart(ImplicitLocOpBuilder &b, AttentionOp op, Value offsets,
                         ArrayRef<Value> sizes, const Row &row, Value keys,
                         Value lo) {
    // Linear index of (batch, head, t) in the [B, H, T] iteration space.
    Value linear = b.create<arith::AddIOp>(
        b.create<arith::MulIOp>(
            b.create<arith::AddIOp>(
                b.create<arith::MulIOp>(row.batch, sizes[2]), row.head),
            sizes[1]),
        row.t);
    Value lane = b.create<arith::RemUIOp>(linear, indexConst(b, kWarpSize));
    Value first = b.create<arith::SubIOp>(row.t, indexMin(b, lane, row.t));
    auto [firstLo, firstHi] = visibleKeys(b, op, offsets, first, keys);
    Value firstSees =
        b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, firstLo, firstHi);
    return b.create<arith::SelectOp>(firstSees, indexMin(b, firstLo, lo), lo);
  }

  /// The lanes of the key block at `k0` inside the row's interval
  /// `[lo, hi)`.
  Value visibleLanes(ImplicitLocOpBuilder &b, Value k0, Value lo,
                     Value hi) const {
    auto i32 = b.getI32Type();
    auto i32Vec = VectorType::get({width}, i32);
    auto toVec = [&](Value index) -> Value {
      return b.create<vector::BroadcastOp>(
          i32Vec, b.create<arith::IndexCastOp>(i32, index));
    };
    SmallVector<int32_t> lanes;
    for (int64_t j = 0; j < width; ++j)
      lanes.push_back(static_cast<int32_t>(j));
    Value keysV = b.create<arith::AddIOp>(
        toVec(k0), b.create<arith::ConstantOp>(DenseElementsAttr::get(
                       i32Vec, ArrayRef<int32_t>(lanes))));
    return b.create<arith::AndIOp>(
        b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, keysV, toVec(lo)),
        b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, keysV, toVec(hi)));
  }

  /// The scores of the keys `at` (one per lane): a dot product each (vector
  /// FMAs along the head dim, one horizontal sum), soft-capped, plus the
  /// bias (in base 2 for the softmax).
  Value blockScores(ImplicitLocOpBuilder &b, OpAdaptor adaptor,
                    const StaticChunks &keyChunks, ArrayRef<Value> query,
                    const Row &row, ArrayRef<Value> at, bool power,
                    std::optional<double> softcap) const {
    Value key = adaptor.getKey(), bias = adaptor.getBias();
    SmallVector<Value> dots, biases;
    for (Value s : at) {
      SmallVector<Value> entry{row.batch, s, row.kvHead};
      Value dot =
          b.create<arith::MulFOp>(query[0], keyChunks.load(b, key, entry, 0));
      for (size_t i = 1; i < keyChunks.size(); ++i)
        dot = fma(b, query[i], keyChunks.load(b, key, entry, i), dot);
      dots.push_back(reduceAdd(b, dot));
      if (bias) {
        auto shape = cast<MemRefType>(bias.getType()).getShape();
        biases.push_back(loadF32(
            b, bias,
            broadcastIndices(b, shape, {row.batch, row.head, row.t, s})));
      }
    }
    auto vecType = f32Vector(b, width);
    Value scores = b.create<vector::FromElementsOp>(vecType, dots);
    if (softcap)
      scores = softCapScore(b, scores, *softcap);
    if (!bias)
      return scores;
    Value biasV = b.create<vector::FromElementsOp>(vecType, biases);
    return addScoreBias(b, scores, biasV, power);
  }

  /// The weights of a block's scores (`visible` lanes; the others weigh 0),
  /// the factor that rescales what the earlier blocks accumulated, and the
  /// new running maximum, from the running maximum `max`.
  std::tuple<Value, Value, Value> softmaxWeights(ImplicitLocOpBuilder &b,
                                                 Value scores, Value visible,
                                                 Value max) const {
    Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
    scores =
        b.create<arith::SelectOp>(visible, scores, splat(b, lowest, width));
    Value newMax = fastMax(b, max, reduceMax(b, scores));
    // While every score so far is -inf (a masked lane, an additive -inf
    // bias), shift by 0, so that the weights are exp2(-inf) = 0 rather than
    // exp2(-inf + inf).
    Value allMasked =
        b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ, newMax, lowest);
    Value shift =
        b.create<arith::SelectOp>(allMasked, f32Const(b, 0.0), newMax);
    Value weights = exp2NonPositive(
        b, b.create<arith::SubFOp>(scores, splat(b, shift, width)));
    // One lane: a GPU thread computes every lane of a vector.
    Value rescale =
        exp2NonPositive(b, splat(b, b.create<arith::SubFOp>(max, shift), 1));
    rescale = splat(b, b.create<vector::ExtractOp>(rescale, 0), width);
    return {weights, rescale, newMax};
  }

  /// `accs[i] += weight · value chunk i` for the key of each lane.
  void addValues(ImplicitLocOpBuilder &b, Value value,
                 const StaticChunks &valueChunks, const Row &row,
                 ArrayRef<Value> at, Value weights,
                 MutableArrayRef<Value> accs) const {
    for (auto [j, s] : llvm::enumerate(at)) {
      Value weight = splat(
          b, b.create<vector::ExtractOp>(weights, static_cast<int64_t>(j)),
          width);
      SmallVector<Value> entry{row.batch, s, row.kvHead};
      for (size_t i = 0; i < valueChunks.size(); ++i)
        accs[i] = fma(b, weight, valueChunks.load(b, value, entry, i), accs[i]);
    }
  }
};

} // namespace

void kiln::populateAttnRowsToLoopsPatterns(const KernelOptions &options,
                                           TypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<AttentionRowsToLoops>(options, converter, patterns.getContext());
}
