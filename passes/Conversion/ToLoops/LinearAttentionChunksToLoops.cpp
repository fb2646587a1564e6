//===- LinearAttentionChunksToLoops.cpp - Linear attention for the GPU ----===//
//
// The GPU's form of attn.linear_attention (`chunked-scans`). The CPU's state
// form gives a parallel iteration a (batch, head) and its whole state
// S [D, Dv] in scratch: B·H threads, with S in local memory. Here a thread
// owns one column j of S (D values in registers) and, with time cut into
// chunks of kChunk tokens, one chunk:
//   1. per (batch, chunk, head, j): the chunk's Σ φ(k[t])·v[t, j], and per
//      (batch, chunk, head, i) its key sum Σ φ(k[t])_i (with a denominator);
//   2. per (batch, head, i, j) and (batch, head, i): the sums of the chunks
//      before each chunk, written over the chunk's own (causal), or the
//      total of all chunks (not causal);
//   3. causal, per (batch, chunk, head, j): the chunk again from those sums,
//      adding each token's key before reading S with its query; not causal,
//      per (batch, token, head, j): the token's query against the totals.
// The sums are those of the state form grouped per chunk, so results agree
// with it to rounding. A dynamic or large D (S's column and the key sum
// must fit a thread's registers) and packed sequences keep the state form.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LinearAttention.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;

namespace {

/// Tokens per chunk.
constexpr int64_t kChunk = 64;

/// Static head dims D up to this: a thread holds D values of S and, with a
/// denominator, D of the key sum.
constexpr int64_t kMaxHeadDim = 64;

/// Exclusive prefix sums (or, with `total`, the total into `totals`) over
/// dimension 1 (the chunks) of `sums`, for every other index.
void sumOverChunks(ImplicitLocOpBuilder &b, Value sums, bool total,
                   Value totals) {
  SmallVector<Value> sizes = memrefSizes(b, sums);
  SmallVector<Value> others = {sizes[0]};
  others.append(sizes.begin() + 2, sizes.end());
  parallelLoops(b, others, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
    auto at = [&](Value chunk) {
      SmallVector<Value> indices = {ivs[0], chunk};
      indices.append(ivs.begin() + 1, ivs.end());
      return indices;
    };
    Value sum = forReduce(
        b, indexConst(b, 0), sizes[1], {f32Const(b, 0.0)},
        [&](ImplicitLocOpBuilder &b, Value chunk, ValueRange acc) {
          Value own = b.create<memref::LoadOp>(sums, at(chunk));
          if (!total)
            b.create<memref::StoreOp>(acc[0], sums, at(chunk));
          return SmallVector<Value>{b.create<arith::AddFOp>(acc[0], own)};
        })[0];
    if (total)
      b.create<memref::StoreOp>(sum, totals, ivs);
  });
}

struct LinearAttentionChunksToLoops : OpConversionPattern<LinearAttentionOp> {
  LinearAttentionChunksToLoops(TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(LinearAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t headDim = cast<ShapedType>(op.getQuery().getType()).getDimSize(3);
    if (adaptor.getSeqOffsets() || ShapedType::isDynamic(headDim) ||
        headDim > kMaxHeadDim)
      return rewriter.notifyMatchFailure(
          op, "packed sequences or a dynamic or large head dim");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Kernel kernel{adaptor.getQuery(), adaptor.getKey(), adaptor.getValue(),
                  op.getFeatureMap(), headDim};
    bool causal = op.getCausal();
    bool normalize = op.getNormalize() == Normalize::denominator;
    SmallVector<Value> qSizes = memrefSizes(b, kernel.query);
    Value batches = qSizes[0], tokens = qSizes[1], heads = qSizes[2];
    Value valueDim = memrefSizes(b, kernel.value)[3];
    Value dim = indexConst(b, headDim);
    Value chunks = ceilDiv(b, tokens, kChunk);
    Value out = resultBuffer(op);

    // Pass 1: each chunk's sums.
    Value states = allocF32Buffer(b, {batches, chunks, heads, dim, valueDim});
    parallelLoops(
        b, {batches, chunks, heads, valueDim},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          auto [begin, end] = chunkBounds(b, ivs[1], kChunk, tokens);
          SmallVector<Value> column = forReduce(
              b, begin, end, kernel.zeros(b),
              [&](ImplicitLocOpBuilder &b, Value t, ValueRange s) {
                return kernel.addKey(
                    b, kernel.keyFeatures(b, ivs[0], t, ivs[2]),
                    kernel.valueAt(b, ivs[0], t, ivs[2], ivs[3]), s);
              });
          for (int64_t i = 0; i < headDim; ++i)
            b.create<memref::StoreOp>(column[i], states,
                                      ValueRange{ivs[0], ivs[1], ivs[2],
                                                 indexConst(b, i), ivs[3]});
        });
    Value keySums;
    if (normalize) {
      keySums = allocF32Buffer(b, {batches, chunks, heads, dim});
      parallelLoops(
          b, {batches, chunks, heads, dim},
          [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
            auto [begin, end] = chunkBounds(b, ivs[1], kChunk, tokens);
            Value sum = forReduce(
                b, begin, end, {f32Const(b, 0.0)},
                [&](ImplicitLocOpBuilder &b, Value t, ValueRange acc) {
                  Value phi = kernel.feature(b, kernel.key,
                                             {ivs[0], t, ivs[2], ivs[3]});
                  return SmallVector<Value>{
                      b.create<arith::AddFOp>(acc[0], phi)};
                })[0];
            b.create<memref::StoreOp>(sum, keySums, ivs);
          });
    }

    // Pass 2: the sums before each chunk, or the totals.
    Value totalStates, totalKeys;
    if (!causal) {
      totalStates = allocF32Buffer(b, {batches, heads, dim, valueDim});
      if (normalize)
        totalKeys = allocF32Buffer(b, {batches, heads, dim});
    }
    sumOverChunks(b, states, !causal, totalStates);
    if (normalize)
      sumOverChunks(b, keySums, !causal, totalKeys);

    // Pass 3: the outputs.
    auto output = [&](ImplicitLocOpBuilder &b, Value batch, Value t,
                      Value head, Value j, ValueRange s, ValueRange z) {
      SmallVector<Value> phiQ;
      for (int64_t i = 0; i < headDim; ++i)
        phiQ.push_back(kernel.feature(
            b, kernel.query, {batch, t, head, indexConst(b, i)}));
      Value result = kernel.dot(b, phiQ, s);
      if (normalize)
        result = divideOrZero(b, result, kernel.dot(b, phiQ, z));
      storeF32(b, result, out, {batch, t, head, j});
    };
    if (causal) {
      parallelLoops(
          b, {batches, chunks, heads, valueDim},
          [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
            auto [begin, end] = chunkBounds(b, ivs[1], kChunk, tokens);
            SmallVector<Value> init;
            for (int64_t i = 0; i < headDim; ++i)
              init.push_back(b.create<memref::LoadOp>(
                  states, ValueRange{ivs[0], ivs[1], ivs[2], indexConst(b, i),
                                     ivs[3]}));
            if (normalize)
              for (int64_t i = 0; i < headDim; ++i)
                init.push_back(b.create<memref::LoadOp>(
                    keySums,
                    ValueRange{ivs[0], ivs[1], ivs[2], indexConst(b, i)}));
            forReduce(
                b, begin, end, init,
                [&](ImplicitLocOpBuilder &b, Value t, ValueRange acc) {
                  SmallVector<Value> phiK =
                      kernel.keyFeatures(b, ivs[0], t, ivs[2]);
                  SmallVector<Value> next = kernel.addKey(
                      b, phiK, kernel.valueAt(b, ivs[0], t, ivs[2], ivs[3]),
                      acc.take_front(headDim));
                  if (normalize)
                    for (int64_t i = 0; i < headDim; ++i)
                      next.push_back(b.create<arith::AddFOp>(
                          acc[headDim + i], phiK[i]));
                  output(b, ivs[0], t, ivs[2], ivs[3],
                         ValueRange(next).take_front(headDim),
                         ValueRange(next).drop_front(headDim));
                  return next;
                });
          });
    } else {
      parallelLoops(
          b, {batches, tokens, heads, valueDim},
          [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
            SmallVector<Value> s, z;
            for (int64_t i = 0; i < headDim; ++i) {
              Value at = indexConst(b, i);
              s.push_back(b.create<memref::LoadOp>(
                  totalStates, ValueRange{ivs[0], ivs[2], at, ivs[3]}));
              if (normalize)
                z.push_back(b.create<memref::LoadOp>(
                    totalKeys, ValueRange{ivs[0], ivs[2], at}));
            }
            output(b, ivs[0], ivs[1], ivs[2], ivs[3], s, z);
          });
    }
    rewriter.replaceOp(op, out);
    return success();
  }

  /// One thread's arithmetic, on f32 scalars.
  struct Kernel {
    Value query, key, value;
    FeatureMap map;
    int64_t headDim;

    SmallVector<Value> zeros(ImplicitLocOpBuilder &b) const {
      return SmallVector<Value>(headDim, f32Const(b, 0.0));
    }
    Value feature(ImplicitLocOpBuilder &b, Value x,
                  ArrayRef<Value> indices) const {
      return linearAttentionFeature(b, map, loadF32(b, x, indices));
    }
    /// φ(k[t]) of a head, D values.
    SmallVector<Value> keyFeatures(ImplicitLocOpBuilder &b, Value batch,
                                   Value t, Value head) const {
      SmallVector<Value> phi;
      for (int64_t i = 0; i < headDim; ++i)
        phi.push_back(feature(b, key, {batch, t, head, indexConst(b, i)}));
      return phi;
    }
    Value valueAt(ImplicitLocOpBuilder &b, Value batch, Value t, Value head,
                  Value j) const {
      return loadF32(b, value, {batch, t, head, j});
    }
    /// A column of S after a key: s[i] + φ(k)_i·v[j].
    SmallVector<Value> addKey(ImplicitLocOpBuilder &b, ArrayRef<Value> phiK,
                              Value v, ValueRange s) const {
      SmallVector<Value> next;
      for (int64_t i = 0; i < headDim; ++i)
        next.push_back(multiplyAccumulate(b, s[i], phiK[i], v));
      return next;
    }
    Value dot(ImplicitLocOpBuilder &b, ArrayRef<Value> x, ValueRange y) const {
      Value sum = f32Const(b, 0.0);
      for (int64_t i = 0; i < headDim; ++i)
        sum = multiplyAccumulate(b, sum, x[i], y[i]);
      return sum;
    }
  };
};

} // namespace

void kiln::populateLinearAttentionChunksToLoopsPatterns(
    TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<LinearAttentionChunksToLoops>(converter, patterns.getContext());
}
