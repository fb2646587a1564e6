//===- AttnToLoops.cpp - Attention ops to loops ---------------------------===//
//
// Lowers attn.attention to a flash-style loop nest: one parallel iteration
// per (batch, head, query row) walks only the interval of keys its mask lets
// it see, in blocks of 64 keys, with an online softmax (running max, running
// sum and an output accumulator in scratch), so no T×S matrix ever exists.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;

namespace {

/// Keys per block of the online softmax: the scores of one block live in a
/// small stack buffer.
constexpr int64_t kKeyBlock = 64;

/// `x^p` for a positive integer `p`, by repeated squaring.
Value integerPower(ImplicitLocOpBuilder &b, Value x, int64_t p) {
  Value result;
  for (Value square = x; p > 0; p >>= 1) {
    if (p & 1)
      result =
          result ? b.create<arith::MulFOp>(result, square).getResult() : square;
    if (p > 1)
      square = b.create<arith::MulFOp>(square, square);
  }
  return result;
}

/// An index-typed integer loaded from `memref` at `index`.
Value loadIndex(ImplicitLocOpBuilder &b, Value memref, Value index) {
  Value value = b.create<memref::LoadOp>(memref, index);
  return b.create<arith::IndexCastOp>(b.getIndexType(), value);
}

struct AttentionToLoops : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value query = adaptor.getQuery(), key = adaptor.getKey(),
          value = adaptor.getValue();
    SmallVector<Value> qSizes = memrefSizes(b, query);
    SmallVector<Value> kSizes = memrefSizes(b, key);
    Value headDim = qSizes[3], valueDim = memrefSizes(b, value)[3];
    Value keys = kSizes[1];
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    Value out =
        allocBuffer(b, type, {qSizes[0], qSizes[1], qSizes[2], valueDim});
    // Query heads per key/value head (grouped-query attention).
    Value group = b.create<arith::DivUIOp>(qSizes[2], kSizes[2]);
    // Keys as f32 [B, Hkv, D, S]: a block's scores are then a sum over d of
    // contiguous, vectorizable rows instead of one horizontal dot per key.
    Value keyT = transposeKeys(b, key, kSizes);

    parallelLoops(
        b, {qSizes[0], qSizes[2], qSizes[1]},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0], head = ivs[1], row = ivs[2];
          Value kvHead = b.create<arith::DivUIOp>(head, group);
          auto [lo, hi] =
              visibleKeys(b, op, adaptor.getSeqOffsets(), row, keys);

          // The query row, converted once.
          Value q = scratch(b, {headDim});
          sequentialLoops(
              b, {headDim}, [&](ImplicitLocOpBuilder &b, ValueRange d) {
                b.create<memref::StoreOp>(
                    loadF32(b, query, {batch, row, head, d[0]}), q, d);
              });
          Value acc = zeroScratch(b, {valueDim});
          // scale · dot + bias[b, h, t, s]: the score of key `s`.
          auto scaleAndBias = [&](ImplicitLocOpBuilder &b, Value dot,
                                  Value s) -> Value {
            Value result = b.create<arith::MulFOp>(
                dot, f32Const(b, op.getScale().convertToDouble()));
            if (Value bias = adaptor.getBias()) {
              auto shape = cast<MemRefType>(bias.getType()).getShape();
              result = b.create<arith::AddFOp>(
                  result,
                  loadF32(b, bias,
                          broadcastIndices(b, shape, {batch, head, row, s})));
            }
            return result;
          };
          auto score = [&](ImplicitLocOpBuilder &b, Value s) {
            Value dot =
                forReduce(b, indexConst(b, 0), headDim, {f32Const(b, 0.0)},
                          [&](ImplicitLocOpBuilder &b, Value d,
                              ValueRange sum) -> SmallVector<Value> {
                            Value x = b.create<memref::LoadOp>(q, d);
                            Value y = loadF32(b, key, {batch, s, kvHead, d});
                            return {multiplyAccumulate(b, sum[0], x, y)};
                          })[0];
            return scaleAndBias(b, dot, s);
          };
          // scores[j] = score(first + j) for the keys [first, last).
          auto blockScores = [&](ImplicitLocOpBuilder &b, Value first,
                                 Value last, Value scores) {
            Value count = b.create<arith::SubIOp>(last, first);
            Value zeroF = f32Const(b, 0.0);
            sequentialLoops(b, {count},
                            [&](ImplicitLocOpBuilder &b, ValueRange j) {
                              b.create<memref::StoreOp>(zeroF, scores, j);
                            });
            sequentialLoops(
                b, {headDim}, [&](ImplicitLocOpBuilder &b, ValueRange d) {
                  Value qd = b.create<memref::LoadOp>(q, d);
                  sequentialLoops(
                      b, {count}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
                        Value s = b.create<arith::AddIOp>(first, j[0]);
                        Value k = b.create<memref::LoadOp>(
                            keyT, ValueRange{batch, kvHead, d[0], s});
                        Value partial = b.create<memref::LoadOp>(scores, j);
                        b.create<memref::StoreOp>(
                            multiplyAccumulate(b, partial, qd, k), scores, j);
                      });
                });
            sequentialLoops(
                b, {count}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
                  Value s = b.create<arith::AddIOp>(first, j[0]);
                  b.create<memref::StoreOp>(
                      scaleAndBias(b, b.create<memref::LoadOp>(scores, j), s),
                      scores, j);
                });
          };
          // acc += weight · value[s].
          auto accumulate = [&](ImplicitLocOpBuilder &b, Value s,
                                Value weight) {
            sequentialLoops(
                b, {valueDim}, [&](ImplicitLocOpBuilder &b, ValueRange d) {
                  Value v = loadF32(b, value, {batch, s, kvHead, d[0]});
                  Value a = b.create<memref::LoadOp>(acc, d);
                  b.create<memref::StoreOp>(
                      b.create<arith::AddFOp>(
                          a, b.create<arith::MulFOp>(weight, v)),
                      acc, d);
                });
          };

          Value sum = op.getNormalizer() == Normalizer::power
                          ? powerWeights(b, op, lo, hi, score, accumulate)
                          : softmaxWeights(b, lo, hi, valueDim, acc,
                                           blockScores, accumulate);
          sequentialLoops(b, {valueDim},
                          [&](ImplicitLocOpBuilder &b, ValueRange d) {
                            Value a = b.create<memref::LoadOp>(acc, d);
                            storeF32(b, divideOrZero(b, a, sum), out,
                                     {batch, row, head, d[0]});
                          });
        });
    rewriter.replaceOp(op, out);
    return success();
  }

private:
  using ScoreFn = llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)>;
  using BlockScoreFn =
      llvm::function_ref<void(ImplicitLocOpBuilder &, Value, Value, Value)>;
  using AccumulateFn =
      llvm::function_ref<void(ImplicitLocOpBuilder &, Value, Value)>;

  /// Copies `key` [B, S, Hkv, D] into a new f32 buffer [B, Hkv, D, S].
  static Value transposeKeys(ImplicitLocOpBuilder &b, Value key,
                             ArrayRef<Value> sizes) {
    auto keyType = cast<MemRefType>(key.getType());
    auto type = MemRefType::get({keyType.getDimSize(0), keyType.getDimSize(2),
                                 keyType.getDimSize(3), keyType.getDimSize(1)},
                                b.getF32Type());
    Value keyT = allocBuffer(b, type, {sizes[0], sizes[2], sizes[3], sizes[1]});
    rowParallelLoops(b, {sizes[0], sizes[2], sizes[3], sizes[1]},
                     [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                       b.create<memref::StoreOp>(
                           loadF32(b, key, {ivs[0], ivs[3], ivs[1], ivs[2]}),
                           keyT, ivs);
                     });
    return keyT;
  }

  /// The interval `[lo, hi)` of keys query `row` sees. Every mask (and the
  /// sequence of a packed batch) selects a contiguous interval.
  static std::pair<Value, Value> visibleKeys(ImplicitLocOpBuilder &b,
                                             AttentionOp op, Value offsets,
                                             Value row, Value keys) {
    Value zero = indexConst(b, 0), one = indexConst(b, 1);
    // Mask positions: the row and the keys counted from the start of the
    // row's sequence, and the number of keys that sequence has.
    Value pos = row, length = keys, start, end;
    if (offsets) {
      // The sequence [start, end) holding the row; a row outside every
      // sequence gets [0, 0), which shows it no key.
      Value count =
          b.create<arith::SubIOp>(b.create<memref::DimOp>(offsets, 0), one);
      SmallVector<Value> found = forReduce(
          b, zero, count, {zero, zero},
          [&](ImplicitLocOpBuilder &b, Value i,
              ValueRange bounds) -> SmallVector<Value> {
            Value first = loadIndex(b, offsets, i);
            Value last = loadIndex(b, offsets, b.create<arith::AddIOp>(i, one));
            Value inside = b.create<arith::AndIOp>(
                b.create<arith::CmpIOp>(arith::CmpIPredicate::sle, first, row),
                b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, row, last));
            return {b.create<arith::SelectOp>(inside, first, bounds[0]),
                    b.create<arith::SelectOp>(inside, last, bounds[1])};
          });
      start = found[0];
      end = found[1];
      pos = b.create<arith::SubIOp>(row, start);
      length = b.create<arith::SubIOp>(end, start);
    }
    auto next = [&] { return b.create<arith::AddIOp>(pos, one); };
    Value lo = zero, hi = length;
    switch (op.getMask()) {
    case MaskKind::none:
      break;
    case MaskKind::causal:
      hi = next();
      break;
    case MaskKind::sliding_window: {
      int64_t window = static_cast<int64_t>(*op.getWindow());
      hi = next();
      lo =
          indexMax(b, b.create<arith::SubIOp>(hi, indexConst(b, window)), zero);
      break;
    }
    case MaskKind::block_diagonal: {
      Value block = indexConst(b, static_cast<int64_t>(*op.getBlock()));
      lo = b.create<arith::MulIOp>(b.create<arith::DivUIOp>(pos, block), block);
      hi = indexMin(b, b.create<arith::AddIOp>(lo, block), length);
      if (op.getCausal())
        hi = indexMin(b, hi, next());
      break;
    }
    }
    // Back to absolute key positions, inside the sequence and the keys.
    if (offsets) {
      lo = indexMax(b, b.create<arith::AddIOp>(start, lo), zero);
      hi = indexMin(b, b.create<arith::AddIOp>(start, hi), end);
    }
    hi = indexMin(b, hi, keys);
    return {lo, hi};
  }

  /// Online softmax over `[lo, hi)` in blocks of kKeyBlock keys: the block's
  /// scores go to scratch, the running max rescales the accumulator and the
  /// running sum. Returns the sum of the weights.
  static Value softmaxWeights(ImplicitLocOpBuilder &b, Value lo, Value hi,
                              Value valueDim, Value acc,
                              BlockScoreFn blockScores,
                              AccumulateFn accumulate) {
    Value scores = b.create<memref::AllocaOp>(
        MemRefType::get({kKeyBlock}, b.getF32Type()));
    Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
    Value zeroF = f32Const(b, 0.0);
    auto blocks = b.create<scf::ForOp>(
        lo, hi, indexConst(b, kKeyBlock), ValueRange{lowest, zeroF},
        [&](OpBuilder &nested, Location loc, Value first, ValueRange running) {
          ImplicitLocOpBuilder b(loc, nested);
          Value last = indexMin(
              b, b.create<arith::AddIOp>(first, indexConst(b, kKeyBlock)), hi);
          blockScores(b, first, last, scores);
          Value blockMax =
              forReduce(b, indexConst(b, 0),
                        b.create<arith::SubIOp>(last, first), {lowest},
                        [&](ImplicitLocOpBuilder &b, Value j,
                            ValueRange max) -> SmallVector<Value> {
                          Value x = b.create<memref::LoadOp>(scores, j);
                          return {b.create<arith::MaximumFOp>(max[0], x)};
                        })[0];
          Value max = b.create<arith::MaximumFOp>(running[0], blockMax);
          // While every score so far is -inf (an additive -inf bias), shift
          // by 0 instead so that exp gives 0 rather than exp(-inf + inf).
          Value allMasked =
              b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ, max, lowest);
          Value shift = b.create<arith::SelectOp>(allMasked, zeroF, max);
          Value correction =
              b.create<math::ExpOp>(b.create<arith::SubFOp>(running[0], shift));
          sequentialLoops(b, {valueDim},
                          [&](ImplicitLocOpBuilder &b, ValueRange d) {
                            Value a = b.create<memref::LoadOp>(acc, d);
                            b.create<memref::StoreOp>(
                                b.create<arith::MulFOp>(a, correction), acc, d);
                          });
          // The weights first, in a loop of their own that vectorizes the
          // exp, then the weighted values.
          Value count = b.create<arith::SubIOp>(last, first);
          Value blockSum = forReduce(
              b, indexConst(b, 0), count, {zeroF},
              [&](ImplicitLocOpBuilder &b, Value j,
                  ValueRange sum) -> SmallVector<Value> {
                Value x = b.create<memref::LoadOp>(scores, j);
                Value w =
                    b.create<math::ExpOp>(b.create<arith::SubFOp>(x, shift));
                b.create<memref::StoreOp>(w, scores, j);
                return {b.create<arith::AddFOp>(sum[0], w,
                                                arith::FastMathFlags::reassoc)};
              })[0];
          sequentialLoops(b, {count},
                          [&](ImplicitLocOpBuilder &b, ValueRange j) {
                            accumulate(b, b.create<arith::AddIOp>(first, j[0]),
                                       b.create<memref::LoadOp>(scores, j));
                          });
          Value total = b.create<arith::AddFOp>(
              b.create<arith::MulFOp>(running[1], correction), blockSum);
          b.create<scf::YieldOp>(ValueRange{max, total});
        });
    return blocks.getResult(1);
  }

  /// Power normalizer: weights score^p, no max to track. Returns their sum.
  static Value powerWeights(ImplicitLocOpBuilder &b, AttentionOp op, Value lo,
                            Value hi, ScoreFn score, AccumulateFn accumulate) {
    int64_t p = static_cast<int64_t>(*op.getPower());
    return forReduce(b, lo, hi, {f32Const(b, 0.0)},
                     [&](ImplicitLocOpBuilder &b, Value s,
                         ValueRange sum) -> SmallVector<Value> {
                       Value w = integerPower(b, score(b, s), p);
                       accumulate(b, s, w);
                       return {b.create<arith::AddFOp>(sum[0], w)};
                     })[0];
  }
};

} // namespace

void kiln::populateAttnToLoopsPatterns(const KernelOptions &options,
                                       TypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<AttentionToLoops>(converter, patterns.getContext());
}
