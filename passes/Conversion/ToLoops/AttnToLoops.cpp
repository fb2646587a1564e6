//===- AttnToLoops.cpp - Attention ops to loops ---------------------------===//
//
// Lowers attn.attention to flash attention in explicit vector code: one
// parallel iteration per (batch, head, block of query rows) walks the union
// of the intervals of keys its rows see, in blocks of kKeyBlock keys. Per key
// block: scores by a register-tiled micro-GEMM (AttnKernel.h), a vector online
// softmax per row (running max, running sum, a correction factor), then the
// weighted values by a second micro-GEMM into an output accumulator in scratch.
// Blocks that every row sees whole run without a mask; only blocks on an edge
// of some row's interval (the diagonal of a causal mask, the ends of a window)
// are masked elementwise.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnKernel.h"
#include "passes/Conversion/ToLoops/AttnMask.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;

namespace {

struct AttentionToLoops : OpConversionPattern<AttentionOp> {
  AttentionToLoops(TypeConverter &converter, MLIRContext *context,
                   const KernelOptions &options)
      : OpConversionPattern(converter, context),
        tile(attnTileFor(options.vectorWidth)) {}

  AttnTile tile;

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value query = adaptor.getQuery(), key = adaptor.getKey(),
          value = adaptor.getValue();
    SmallVector<Value> qSizes = memrefSizes(b, query);
    SmallVector<Value> kSizes = memrefSizes(b, key);
    Value headDim = qSizes[3], valueDim = memrefSizes(b, value)[3];
    Value rowsTotal = qSizes[1], keys = kSizes[1];
    Value out = resultBuffer(op);
    // Query heads per key/value head (grouped-query attention).
    Value group = b.create<arith::DivUIOp>(qSizes[2], kSizes[2]);
    // Keys and values repacked once per call into the panels the two
    // micro-GEMMs stream through (f32, zero-padded to whole tiles).
    AttnTile valueTile = valueTileFor(
        tile, cast<MemRefType>(value.getType()).getDimSize(3));
    Value keyT = packKeys(b, tile, key, kSizes);
    Value valueP = packValues(b, valueTile, value, memrefSizes(b, value));
    Value queryBlocks = ceilDivConst(b, rowsTotal, tile.queryBlock());
    bool power = op.getNormalizer() == Normalizer::power;
    int64_t w = tile.width;
    // A bias that hides keys (a mask given as an input) skips them as a
    // mask kind does; not under the power normalizer, whose weights a
    // large negative score does not make 0.
    Value bias = adaptor.getBias();
    bool narrowsToBias =
        bias && !power &&
        cast<MemRefType>(bias.getType()).getShape().back() != 1;

    // Blocks go out dynamically (parallelWorkQueue), last query block
    // first: the costliest under a causal mask.
    Value batches = qSizes[0], heads = qSizes[2];
    Value total = b.create<arith::MulIOp>(
        b.create<arith::MulIOp>(batches, heads), queryBlocks);
    Value bq = indexConst(b, tile.queryBlock());
    // Each iteration's scratch: the scaled queries, the block's scores, the
    // output accumulators, per row the running max, sum and correction and
    // the visible interval.
    Value qs, scores, os, ms, ls, cs, los, his;
    auto allocateScratch = [&](ImplicitLocOpBuilder &b) {
      qs = scratch(b, {bq, headDim});
      scores = scratch(b, {bq, indexConst(b, kKeyBlock)});
      int64_t chunks = cast<MemRefType>(valueP.getType()).getDimSize(2);
      os = scratch(b, {bq, ShapedType::isDynamic(chunks)
                               ? b.create<arith::MulIOp>(
                                      b.create<memref::DimOp>(valueP, 2),
                                      indexConst(b, valueTile.columns()))
                                     .getResult()
                               : indexConst(b, chunks * valueTile.columns())});
      ms = scratch(b, {bq});
      ls = scratch(b, {bq});
      cs = scratch(b, {bq});
      auto indexScratch =
          MemRefType::get({tile.queryBlock()}, b.getIndexType());
      los = b.create<memref::AllocaOp>(indexScratch);
      his = b.create<memref::AllocaOp>(indexScratch);
    };

    parallelWorkQueue(
        b, total, allocateScratch, [&](ImplicitLocOpBuilder &b, Value g) {
          Value rest = b.create<arith::DivUIOp>(g, queryBlocks);
          Value block = b.create<arith::SubIOp>(
              b.create<arith::SubIOp>(queryBlocks, indexConst(b, 1)),
              b.create<arith::RemUIOp>(g, queryBlocks));
          Value batch = b.create<arith::DivUIOp>(rest, heads);
          Value head = b.create<arith::RemUIOp>(rest, heads);
          Value kvHead = b.create<arith::DivUIOp>(head, group);
          Value t0 =
              b.create<arith::MulIOp>(block, indexConst(b, tile.queryBlock()));
          Value rows = indexMin(b, bq, b.create<arith::SubIOp>(rowsTotal, t0));
          // Both products cover the rows in whole tiles of the larger
          // one: the score tiles compute every row the value tiles read.
          Value tileRows =
              b.create<arith::MulIOp>(ceilDivConst(b, rows, valueTile.rows),
                                      indexConst(b, valueTile.rows));
          Value scoreGroups =
              b.create<arith::DivUIOp>(tileRows, indexConst(b, tile.rows));
          Value valueGroups =
              b.create<arith::DivUIOp>(tileRows, indexConst(b, valueTile.rows));
          Value zero = indexConst(b, 0);
          auto columnOf = [&](ImplicitLocOpBuilder &b, Value vector) -> Value {
            return b.create<arith::MulIOp>(vector, indexConst(b, w));
          };
          Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
          Value zeroF = f32Const(b, 0.0);
          sequentialLoops(b, {bq}, [&](ImplicitLocOpBuilder &b, ValueRange r) {
            b.create<memref::StoreOp>(lowest, ms, r);
            b.create<memref::StoreOp>(zeroF, ls, r);
            b.create<memref::StoreOp>(zeroF, cs, r);
          });
          // os has whole vectors per row (Dv padded to tile columns).
          Value zeroV = floatConst(b, f32Vector(b, w), 0.0);
          Value osVectors = b.create<arith::DivUIOp>(
              b.create<memref::DimOp>(os, 1), indexConst(b, w));
          sequentialLoops(
              b, {tileRows, osVectors},
              [&](ImplicitLocOpBuilder &b, ValueRange rv) {
                storeVector(b, zeroV, os, {rv[0], columnOf(b, rv[1])});
              });
          // Softmax scores are kept in base 2 (scaled by log2 e), so that
          // the weights are exp2(x - max): one multiply fewer per score.
          // The power normalizer's weights are the scaled scores as is.
          double toBase2 = power ? 1.0 : M_LOG2E;
          Value scale = f32Const(b, op.getScale().convertToDouble() * toBase2);
          // The rows of the last register tile past the end are zero
          // (they score 0); their loads read the last row, masked off.
          Value scaleV = splat(b, scale, w);
          Value lastRow = b.create<arith::SubIOp>(rowsTotal, indexConst(b, 1));
          sequentialLoops(
              b, {tileRows, ceilDivConst(b, headDim, w)},
              [&](ImplicitLocOpBuilder &b, ValueRange rv) {
                Value t =
                    indexMin(b, b.create<arith::AddIOp>(t0, rv[0]), lastRow);
                Value d = columnOf(b, rv[1]);
                Value inside = b.create<arith::CmpIOp>(
                    arith::CmpIPredicate::ult, rv[0], rows);
                Value lanes = b.create<arith::SelectOp>(
                    inside, b.create<arith::SubIOp>(headDim, d), zero);
                Value q = maskedLoadVector(b, query, {batch, t, head, d},
                                           laneMask(b, lanes, w), w);
                maskedStoreVector(
                    b, b.create<arith::MulFOp>(q, scaleV), qs, {rv[0], d},
                    laneMask(b, b.create<arith::SubIOp>(headDim, d), w));
              });

          // Each row's interval; the union (of non-empty ones) bounds the
          // key blocks, the intersection says which blocks need no mask.
          SmallVector<Value> bounds = forReduce(
              b, zero, rows, {keys, zero, zero, keys},
              [&](ImplicitLocOpBuilder &b, Value r,
                  ValueRange acc) -> SmallVector<Value> {
                Value t = b.create<arith::AddIOp>(t0, r);
                auto [lo, hi] =
                    visibleKeys(b, op, adaptor.getSeqOffsets(), t, keys);
                if (narrowsToBias)
                  std::tie(lo, hi) =
                      narrowToBias(b, bias, {batch, head, t}, lo, hi, w);
                b.create<memref::StoreOp>(lo, los, r);
                b.create<memref::StoreOp>(hi, his, r);
                Value some =
                    b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, lo, hi);
                auto pick = [&](Value updated, Value old) -> Value {
                  return b.create<arith::SelectOp>(some, updated, old);
                };
                return {pick(indexMin(b, acc[0], lo), acc[0]),
                        pick(indexMax(b, acc[1], hi), acc[1]),
                        pick(indexMax(b, acc[2], lo), acc[2]),
                        pick(indexMin(b, acc[3], hi), acc[3])};
              });
          Value unionLo = bounds[0], unionHi = bounds[1], commonLo = bounds[2],
                commonHi = bounds[3];
          // Blocks start at whole register tiles so that every key vector
          // read lies inside the padded keyT row.
          Value ct = indexConst(b, tile.columns());
          Value first = b.create<arith::MulIOp>(
              b.create<arith::DivUIOp>(unionLo, ct), ct);

          b.create<scf::ForOp>(
              first, unionHi, indexConst(b, kKeyBlock), std::nullopt,
              [&](OpBuilder &nested, Location loc, Value k0, ValueRange) {
                ImplicitLocOpBuilder b(loc, nested);
                Value k1 = indexMin(
                    b, b.create<arith::AddIOp>(k0, indexConst(b, kKeyBlock)),
                    unionHi);
                Value count = b.create<arith::SubIOp>(k1, k0);
                scoreTiles(b, tile, qs, keyT, batch, kvHead, headDim, k0, count,
                           scoreGroups, RowIntervals{los, his, rows}, scores);
                // Seen whole by every row, and whole vectors: no mask.
                Value whole = b.create<arith::AndIOp>(
                    b.create<arith::AndIOp>(
                        b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, k0,
                                                commonLo),
                        b.create<arith::CmpIOp>(arith::CmpIPredicate::sle, k1,
                                                commonHi)),
                    b.create<arith::CmpIOp>(
                        arith::CmpIPredicate::eq,
                        b.create<arith::RemUIOp>(count, indexConst(b, w)),
                        zero));
                BlockWeights args{adaptor.getBias(),
                                  batch,
                                  head,
                                  t0,
                                  rows,
                                  k0,
                                  k1,
                                  count,
                                  scores,
                                  ms,
                                  ls,
                                  cs,
                                  los,
                                  his,
                                  power ? std::optional<int64_t>(*op.getPower())
                                        : std::nullopt,
                                  baseTwoSoftCap(op.getSoftcap())};
                b.create<scf::IfOp>(
                    whole,
                    [&](OpBuilder &nested, Location loc) {
                      ImplicitLocOpBuilder b(loc, nested);
                      blockWeights(b, tile, args, /*masked=*/false);
                      b.create<scf::YieldOp>();
                    },
                    [&](OpBuilder &nested, Location loc) {
                      ImplicitLocOpBuilder b(loc, nested);
                      blockWeights(b, tile, args, /*masked=*/true);
                      b.create<scf::YieldOp>();
                    });
                accumulateValues(b, valueTile, scores, valueP, batch, kvHead,
                                 k0, count, valueGroups,
                                 RowIntervals{los, his, rows},
                                 power ? Value() : cs, os);
                b.create<scf::YieldOp>();
              });

          // out = acc / sum; rows that see no key (or only -inf scores) are
          // 0.
          sequentialLoops(
              b, {rows}, [&](ImplicitLocOpBuilder &b, ValueRange r) {
                Value lo = b.create<memref::LoadOp>(los, r);
                Value hi = b.create<memref::LoadOp>(his, r);
                Value empty =
                    b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, lo, hi);
                Value inverse = divideOrZero(b, f32Const(b, 1.0),
                                             b.create<memref::LoadOp>(ls, r));
                inverse = b.create<arith::SelectOp>(empty, zeroF, inverse);
                Value t = b.create<arith::AddIOp>(t0, r[0]);
                Value inverseV = splat(b, inverse, w);
                sequentialLoops(
                    b, {ceilDivConst(b, valueDim, w)},
                    [&](ImplicitLocOpBuilder &b, ValueRange v) {
                      Value d = columnOf(b, v[0]);
                      Value o = b.create<arith::MulFOp>(
                          loadVector(b, os, {r[0], d}, w), inverseV);
                      maskedStoreVector(
                          b, o, out, {batch, t, head, d},
                          laneMask(b, b.create<arith::SubIOp>(valueDim, d), w));
                    });
              });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateAttnToLoopsPatterns(const KernelOptions &options,
                                       TypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<AttentionToLoops>(converter, patterns.getContext(), options);
}
