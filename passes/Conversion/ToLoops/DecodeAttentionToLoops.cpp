//===- DecodeAttentionToLoops.cpp - One query per sequence, as vectors ----===//
//
// Lowers attn.decode_attention (docs/compiler.md, "Generation"): each query
// of a decode step attends over its sequence's ring of cached keys and
// values. One (sequence, step, head) per parallel iteration; its query and
// output accumulators live in registers as vectors along the head dim (the
// head dims are static, the last vector masked). Entries go in blocks of W:
// W dot products (vector FMAs, one horizontal sum each) fill a score
// vector, whose weights then come from one vector exp (an online softmax,
// the running maximum and sum carried from block to block) or x^p, and
// each weight scales its value row into the accumulators.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnKernel.h"
#include "passes/Conversion/ToLoops/GenerationState.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace {

struct DecodeAttentionToVectors : OpConversionPattern<attn::DecodeAttentionOp> {
  DecodeAttentionToVectors(const KernelOptions &options,
                           TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context), width(options.vectorWidth) {}

  int64_t width;

  LogicalResult
  matchAndRewrite(attn::DecodeAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t headDim = op.getQuery().getType().getDimSize(3);
    int64_t valueDim = op.getValue().getType().getDimSize(3);
    if (ShapedType::isDynamic(headDim) || ShapedType::isDynamic(valueDim))
      return rewriter.notifyMatchFailure(op, "head dims must be static");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    StaticChunks keyChunks(b, headDim, width), valueChunks(b, valueDim, width);
    storeNewEntries(b, adaptor, keyChunks, valueChunks);

    SmallVector<Value> q = memrefSizes(b, adaptor.getQuery());
    Value out = resultBuffer(op);
    Value group =
        queryHeadsPerKeyHead(b, adaptor.getQuery(), adaptor.getKey());
    parallelLoops(
        b, {q[0], q[1], q[2]}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          emitQuery(b, op, adaptor, keyChunks, valueChunks, ivs, group, out);
        });
    rewriter.replaceOp(op, out);
    return success();
  }

  /// The new tokens' keys and values go into their ring entries first, so
  /// that each query sees itself.
  void storeNewEntries(ImplicitLocOpBuilder &b, OpAdaptor adaptor,
                       const StaticChunks &keyChunks,
                       const StaticChunks &valueChunks) const {
    Value key = adaptor.getKey(), value = adaptor.getValue();
    Value keyCache = adaptor.getKeyCache();
    Value ring = b.create<memref::DimOp>(keyCache, 1);
    SmallVector<Value> k = memrefSizes(b, key);
    parallelLoops(
        b, {k[0], k[1], k[2]}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value row = stateRow(b, adaptor.getSlots(), ivs[0], keyCache);
          Value position = b.create<arith::AddIOp>(
              firstPosition(b, adaptor.getPositions(), ivs[0]), ivs[1]);
          SmallVector<Value> from = {ivs[0], ivs[1], ivs[2]};
          SmallVector<Value> to = {row, ringEntry(b, position, ring), ivs[2]};
          for (size_t i = 0; i < keyChunks.size(); ++i)
            keyChunks.store(b, keyChunks.load(b, key, from, i), keyCache, to,
                            i);
          for (size_t i = 0; i < valueChunks.size(); ++i)
            valueChunks.store(b, valueChunks.load(b, value, from, i),
                              adaptor.getValueCache(), to, i);
        });
  }

  /// One query (`ivs` = sequence row, step, head) over its visible entries.
  void emitQuery(ImplicitLocOpBuilder &b, attn::DecodeAttentionOp op,
                 OpAdaptor adaptor, const StaticChunks &keyChunks,
                 const StaticChunks &valueChunks, ValueRange ivs, Value group,
                 Value out) const {
    Value batch = ivs[0], step = ivs[1], head = ivs[2];
    Value keyCache = adaptor.getKeyCache();
    Value position = b.create<arith::AddIOp>(
        firstPosition(b, adaptor.getPositions(), batch), step);
    Value visible =
        visibleEntries(b, op, position, b.create<memref::DimOp>(keyCache, 1));
    bool power = op.getNormalizer() == attn::Normalizer::power;
    QueryRows rows{keyCache,
                   adaptor.getValueCache(),
                   stateRow(b, adaptor.getSlots(), batch, keyCache),
                   b.create<arith::DivUIOp>(head, group),
                   scratch(b, {indexConst(b, width)}),
                   {},
                   keyChunks,
                   valueChunks};
    double scale = scoreScale(op.getScale(), power);
    Value scaleV = floatConst(b, f32Vector(b, width), scale);
    for (size_t i = 0; i < keyChunks.size(); ++i)
      rows.query.push_back(b.create<arith::MulFOp>(
          keyChunks.load(b, adaptor.getQuery(), {batch, step, head}, i),
          scaleV));

    // iter_args: the accumulators, the running weight sums by lane and the
    // running maximum (softmax).
    size_t accumulators = valueChunks.size();
    Value zeroV = floatConst(b, f32Vector(b, width), 0.0);
    SmallVector<Value> init(accumulators + 1, zeroV);
    init.push_back(f32Const(b, -std::numeric_limits<float>::infinity()));
    auto blocks = b.create<scf::ForOp>(
        indexConst(b, 0), visible, indexConst(b, width), init,
        [&](OpBuilder &nested, Location loc, Value e0, ValueRange carried) {
          ImplicitLocOpBuilder b(loc, nested);
          Value count = indexMin(b, b.create<arith::SubIOp>(visible, e0),
                                 indexConst(b, width));
          storeScores(b, rows, e0, count);
          SmallVector<Value> next = blockWeights(
              b, rows.scores, count, carried, accumulators, power,
              op.getPower().value_or(2), baseTwoSoftCap(op.getSoftcap()));
          SmallVector<Value> accs = addValues(
              b, rows, e0, count, ArrayRef(next).take_front(accumulators));
          accs.append(next.begin() + accumulators, next.end());
          b.create<scf::YieldOp>(accs);
        });

    ValueRange results = blocks.getResults();
    Value total = splat(b, reduceAdd(b, results[accumulators]), width);
    for (size_t i = 0; i < accumulators; ++i)
      valueChunks.store(b, divideOrZero(b, results[i], total), out,
                        {batch, step, head}, i);
  }

  /// The ring's visible entries for a query at `position`
  /// (attn.decode_attention): `position mod R + 1` for a block-diagonal
  /// ring, `min(position + 1, R)` otherwise.
  Value visibleEntries(ImplicitLocOpBuilder &b, attn::DecodeAttentionOp op,
                       Value position, Value ring) const {
    Value one = indexConst(b, 1);
    if (op.getMask() == attn::MaskKind::block_diagonal)
      return b.create<arith::AddIOp>(ringEntry(b, position, ring), one);
    return indexMin(b, b.create<arith::AddIOp>(position, one), ring);
  }

  /// What one query reads: its sequence's cache row, its K/V head, its
  /// scaled query vectors, and the scratch vector of a block's scores.
  struct QueryRows {
    Value keyCache, valueCache, row, kvHead, scores;
    SmallVector<Value> query;
    const StaticChunks &keyChunks, &valueChunks;

    SmallVector<Value> entry(ImplicitLocOpBuilder &b, Value e0, Value j) const {
      return {row, b.create<arith::AddIOp>(e0, j), kvHead};
    }
  };

  /// The scores of entries [e0, e0 + count) into `rows.scores`: one dot
  /// product (vector FMAs over the head dim, one horizontal sum) each.
  void storeScores(ImplicitLocOpBuilder &b, const QueryRows &rows, Value e0,
                   Value count) const {
    const StaticChunks &chunks = rows.keyChunks;
    sequentialLoops(b, {count}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
      SmallVector<Value> at = rows.entry(b, e0, j[0]);
      Value dot = b.create<arith::MulFOp>(rows.query[0],
                                          chunks.load(b, rows.keyCache, at, 0));
      for (size_t i = 1; i < chunks.size(); ++i)
        dot = fma(b, rows.query[i], chunks.load(b, rows.keyCache, at, i), dot);
      b.create<memref::StoreOp>(reduceAdd(b, dot), rows.scores, j[0]);
    });
  }

  /// `accs` plus weight · value row of each entry in [e0, e0 + count), the
  /// weights in `rows.scores`.
  SmallVector<Value> addValues(ImplicitLocOpBuilder &b, const QueryRows &rows,
                               Value e0, Value count, ValueRange accs) const {
    const StaticChunks &chunks = rows.valueChunks;
    return forReduce(
        b, indexConst(b, 0), count, accs,
        [&](ImplicitLocOpBuilder &b, Value j,
            ValueRange acc) -> SmallVector<Value> {
          Value weight =
              splat(b, b.create<memref::LoadOp>(rows.scores, j), width);
          SmallVector<Value> at = rows.entry(b, e0, j);
          SmallVector<Value> updated;
          for (size_t i = 0; i < chunks.size(); ++i)
            updated.push_back(
                fma(b, weight, chunks.load(b, rows.valueCache, at, i), acc[i]));
          return updated;
        });
  }

  /// Turns the `count` scores of a block (soft-capped first, with
  /// `softcap` in base 2) into weights in place, and returns
  /// the carried values for the block: the accumulators rescaled (softmax:
  /// by 2^(old max - new max)), the lane sums with the weights added, the
  /// new maximum.
  SmallVector<Value> blockWeights(ImplicitLocOpBuilder &b, Value scores,
                                  Value count, ValueRange carried,
                                  size_t accumulators, bool power,
                                  int64_t exponent,
                                  std::optional<double> softcap) const {
    Value valid = laneMask(b, count, width);
    Value s = loadVector(b, scores, {indexConst(b, 0)}, width);
    Value sums = carried[accumulators], max = carried[accumulators + 1];
    SmallVector<Value> next(carried.begin(), carried.begin() + accumulators);
    Value zeroV = floatConst(b, f32Vector(b, width), 0.0);
    Value weights;
    if (power) {
      // x^p by squaring; p is a positive even integer.
      weights = floatConst(b, f32Vector(b, width), 1.0);
      for (int64_t e = exponent; e > 0; e >>= 1) {
        if (e & 1)
          weights = b.create<arith::MulFOp>(weights, s);
        s = b.create<arith::MulFOp>(s, s);
      }
      weights = b.create<arith::SelectOp>(valid, weights, zeroV);
    } else {
      Value lowest = floatConst(b, f32Vector(b, width),
                                -std::numeric_limits<float>::infinity());
      if (softcap)
        s = softCapScore(b, s, *softcap);
      s = b.create<arith::SelectOp>(valid, s, lowest);
      Value newMax = fastMax(b, max, reduceMax(b, s));
      Value maxV = splat(b, newMax, width);
      // exp2(-inf) = 0: the masked lanes, and the first block's rescale.
      weights = exp2NonPositive(b, b.create<arith::SubFOp>(s, maxV));
      Value rescale = exp2NonPositive(
          b, b.create<arith::SubFOp>(splat(b, max, width), maxV));
      for (Value &acc : next)
        acc = b.create<arith::MulFOp>(acc, rescale);
      sums = b.create<arith::MulFOp>(sums, rescale);
      max = newMax;
    }
    storeVector(b, weights, scores, {indexConst(b, 0)});
    next.push_back(b.create<arith::AddFOp>(sums, weights));
    next.push_back(max);
    return next;
  }
};

} // namespace

void kiln::populateDecodeAttentionToLoopsPatterns(const KernelOptions &options,
                                                  TypeConverter &converter,
                                                  RewritePatternSet &patterns) {
  patterns.add<DecodeAttentionToVectors>(options, converter,
                                         patterns.getContext());
}
