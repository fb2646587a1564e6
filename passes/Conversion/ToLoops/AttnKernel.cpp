//===- AttnKernel.cpp - Register-tiled attention micro-kernels ------------===//
//
// Implements the micro-GEMMs of AttnKernel.h. Register tiles are vector
// iter_args of scf.for, so they stay in registers through LLVM.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln {

AttnTile attnTileFor(int64_t vectorWidth) {
  if (vectorWidth >= 16)
    return {vectorWidth, /*rows=*/4, /*vectors=*/4};
  return {vectorWidth, /*rows=*/6, /*vectors=*/2};
}

AttnTile valueTileFor(const AttnTile &tile, int64_t valueDim) {
  if (ShapedType::isDynamic(valueDim))
    return tile;
  int64_t vectors = tile.vectors;
  while (vectors % 2 == 0 && (vectors / 2) * tile.width >= valueDim)
    vectors /= 2;
  return {tile.width, tile.rows * tile.vectors / vectors, vectors};
}

Value queryHeadsPerKeyHead(ImplicitLocOpBuilder &b, Value query, Value key) {
  return b.create<arith::DivUIOp>(b.create<memref::DimOp>(query, 2),
                                  b.create<memref::DimOp>(key, 2));
}

Value ceilDivConst(ImplicitLocOpBuilder &b, Value a, int64_t c) {
  return b.create<arith::DivUIOp>(
      b.create<arith::AddIOp>(a, indexConst(b, c - 1)), indexConst(b, c));
}

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

Value softCapScore(ImplicitLocOpBuilder &b, Value score, double cap) {
  Type type = score.getType();
  Value scaled = b.create<arith::MulFOp>(score, floatConst(b, type, 1.0 / cap));
  return b.create<arith::MulFOp>(b.create<math::TanhOp>(scaled),
                                 floatConst(b, type, cap));
}

Value addScoreBias(ImplicitLocOpBuilder &b, Value score, Value bias,
                   bool power) {
  if (power)
    return b.create<arith::AddFOp>(score, bias);
  // 2e38 · log2 e = 2.9e38 < FLT_MAX; beyond it every score is absorbed.
  Type type = bias.getType();
  Value clamped = b.create<arith::MinimumFOp>(
      b.create<arith::MaximumFOp>(bias, floatConst(b, type, -2e38)),
      floatConst(b, type, 2e38));
  Value infinite = b.create<arith::CmpFOp>(
      arith::CmpFPredicate::OEQ, b.create<math::AbsFOp>(bias),
      floatConst(b, type, std::numeric_limits<double>::infinity()));
  return fma(b, b.create<arith::SelectOp>(infinite, bias, clamped),
             floatConst(b, type, M_LOG2E), score);
}

static Value addConst(ImplicitLocOpBuilder &b, Value a, int64_t c) {
  return c == 0 ? a : b.create<arith::AddIOp>(a, indexConst(b, c)).getResult();
}

/// Packs `key` [B, S, Hkv, D] into f32 panels [B, Hkv, S'/c, D, c] of c =
/// tile columns keys (S' = S rounded up, the padding zero): the score
/// tile of keys [p·c, p·c + c) reads panel p, D·c contiguous floats
/// (rows of a [D, S] transpose would be S apart, one cache set).
Value packKeys(ImplicitLocOpBuilder &b, const AttnTile &tile, Value key,
               ArrayRef<Value> sizes) {
  auto keyType = cast<MemRefType>(key.getType());
  int64_t c = tile.columns();
  auto type = MemRefType::get({keyType.getDimSize(0), keyType.getDimSize(2),
                               ShapedType::kDynamic, keyType.getDimSize(3), c},
                              b.getF32Type());
  Value panels = ceilDivConst(b, sizes[1], c);
  Value keyT = allocBuffer(
      b, type, {sizes[0], sizes[2], panels, sizes[3], indexConst(b, c)});
  Value last = b.create<arith::SubIOp>(sizes[1], indexConst(b, 1));
  // Per panel, key by key: each key row is read contiguously.
  parallelLoops(
      b, {sizes[0], sizes[2], panels},
      [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        sequentialLoops(
            b, {indexConst(b, c)}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
              Value s = b.create<arith::AddIOp>(
                  b.create<arith::MulIOp>(ivs[2], indexConst(b, c)), i[0]);
              Value inside = b.create<arith::CmpIOp>(arith::CmpIPredicate::slt,
                                                     s, sizes[1]);
              Value row = indexMin(b, s, last);
              sequentialLoops(
                  b, {sizes[3]}, [&](ImplicitLocOpBuilder &b, ValueRange d) {
                    Value k = loadF32(b, key, {ivs[0], row, ivs[1], d[0]});
                    b.create<memref::StoreOp>(
                        b.create<arith::SelectOp>(inside, k, f32Const(b, 0.0)),
                        keyT, ValueRange{ivs[0], ivs[1], ivs[2], d[0], i[0]});
                  });
            });
      });
  return keyT;
}

/// Packs `value` [B, S, Hkv, Dv] into f32 chunks [B, Hkv, Dv'/c, S, c]
/// (Dv' = Dv rounded up to c = tile columns, the padding zero): the value
/// tile of one chunk reads c contiguous floats per key.
Value packValues(ImplicitLocOpBuilder &b, const AttnTile &tile, Value value,
                 ArrayRef<Value> sizes) {
  auto valueType = cast<MemRefType>(value.getType());
  int64_t c = tile.columns();
  int64_t dv = valueType.getDimSize(3);
  auto type = MemRefType::get(
      {valueType.getDimSize(0), valueType.getDimSize(2),
       ShapedType::isDynamic(dv) ? ShapedType::kDynamic : (dv + c - 1) / c,
       valueType.getDimSize(1), c},
      b.getF32Type());
  Value chunks = ceilDivConst(b, sizes[3], c);
  Value valueP = allocBuffer(
      b, type, {sizes[0], sizes[2], chunks, sizes[1], indexConst(b, c)});
  // Vector copies; masked only where Dv leaves a partial chunk.
  int64_t w = tile.width;
  bool partial = ShapedType::isDynamic(dv) || dv % c != 0;
  parallelLoops(
      b, {sizes[0], sizes[2], chunks},
      [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        Value c0 = b.create<arith::MulIOp>(ivs[2], indexConst(b, c));
        SmallVector<Value> columns, masks;
        for (int64_t j = 0; j < tile.vectors; ++j) {
          columns.push_back(b.create<arith::AddIOp>(c0, indexConst(b, j * w)));
          if (partial)
            masks.push_back(laneMask(
                b, b.create<arith::SubIOp>(sizes[3], columns.back()), w));
        }
        sequentialLoops(
            b, {sizes[1]}, [&](ImplicitLocOpBuilder &b, ValueRange s) {
              for (int64_t j = 0; j < tile.vectors; ++j) {
                SmallVector<Value> at{ivs[0], s[0], ivs[1], columns[j]};
                Value v = partial ? maskedLoadVector(b, value, at, masks[j], w)
                                  : loadVector(b, value, at, w);
                storeVector(
                    b, v, valueP,
                    {ivs[0], ivs[1], ivs[2], s[0], indexConst(b, j * w)});
              }
            });
      });
  return valueP;
}

Value tileKeyCount(ImplicitLocOpBuilder &b, const AttnTile &tile,
                   const RowIntervals &intervals, Value row0, Value k0,
                   Value count) {
  Value lastRow = b.create<arith::SubIOp>(intervals.rows, indexConst(b, 1));
  Value blockEnd = b.create<arith::AddIOp>(k0, count);
  Value end;
  for (int64_t r = 0; r < tile.rows; ++r) {
    Value row = indexMin(b, addConst(b, row0, r), lastRow);
    Value lo = b.create<memref::LoadOp>(intervals.los, row);
    Value hi = b.create<memref::LoadOp>(intervals.his, row);
    Value rowEnd = b.create<arith::SelectOp>(
        b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, lo, hi), hi,
        blockEnd);
    end = r ? indexMax(b, end, rowEnd) : rowEnd;
  }
  Value seen = b.create<arith::SubIOp>(indexMax(b, end, k0), k0);
  return indexMin(b, seen, count);
}

/// One step of a register tile's outer product: acc[r·V + j] +=
/// broadcast(a[rows[r], k]) · vectors[j], for the V = vectors.size().
static SmallVector<Value> outerProductStep(ImplicitLocOpBuilder &b,
                                           int64_t width, Value a,
                                           ArrayRef<Value> rows, Value k,
                                           ArrayRef<Value> vectors,
                                           ValueRange acc) {
  SmallVector<Value> next;
  for (auto [r, row] : llvm::enumerate(rows)) {
    Value x = splat(b, b.create<memref::LoadOp>(a, ValueRange{row, k}), width);
    for (auto [j, vector] : llvm::enumerate(vectors))
      next.push_back(fma(b, x, vector, acc[r * vectors.size() + j]));
  }
  return next;
}

void scoreTiles(ImplicitLocOpBuilder &b, const AttnTile &tile, Value qs,
                Value keyT, Value batch, Value kvHead, Value headDim, Value k0,
                Value count, Value groups, const RowIntervals &intervals,
                Value scores) {
  int64_t w = tile.width, nv = tile.vectors;
  Value columnTiles = ceilDivConst(b, count, tile.columns());
  // Column tiles outside: a tile's keys (D × 64 floats) stay in L1 while
  // the row tiles sweep past them.
  sequentialLoops(
      b, {columnTiles, groups}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        Value column =
            b.create<arith::MulIOp>(ivs[0], indexConst(b, tile.columns()));
        Value row0 = b.create<arith::MulIOp>(ivs[1], indexConst(b, tile.rows));
        Value seen = b.create<arith::CmpIOp>(
            arith::CmpIPredicate::ult, column,
            tileKeyCount(b, tile, intervals, row0, k0, count));
        b.create<scf::IfOp>(seen, [&](OpBuilder &nested, Location loc) {
          ImplicitLocOpBuilder b(loc, nested);
          // k0 is a whole number of tiles: the tile is one keyT panel.
          Value panel =
              b.create<arith::DivUIOp>(b.create<arith::AddIOp>(k0, column),
                                       indexConst(b, tile.columns()));
          SmallVector<Value> rows;
          for (int64_t r = 0; r < tile.rows; ++r)
            rows.push_back(addConst(b, row0, r));
          SmallVector<Value> init(tile.rows * nv,
                                  floatConst(b, f32Vector(b, w), 0.0));
          SmallVector<Value> acc = forReduce(
              b, indexConst(b, 0), headDim, init,
              [&](ImplicitLocOpBuilder &b, Value d,
                  ValueRange acc) -> SmallVector<Value> {
                SmallVector<Value> keys;
                for (int64_t j = 0; j < nv; ++j)
                  keys.push_back(loadVector(
                      b, keyT, {batch, kvHead, panel, d, indexConst(b, j * w)},
                      w));
                return outerProductStep(b, w, qs, rows, d, keys, acc);
              });
          for (int64_t r = 0; r < tile.rows; ++r)
            for (int64_t j = 0; j < nv; ++j)
              storeVector(b, acc[r * nv + j], scores,
                          {rows[r], addConst(b, column, j * w)});
          b.create<scf::YieldOp>();
        });
      });
}

void accumulateValues(ImplicitLocOpBuilder &b, const AttnTile &tile,
                      Value weights, Value valueP, Value batch, Value kvHead,
                      Value k0, Value count, Value groups,
                      const RowIntervals &intervals, Value corr, Value os) {
  int64_t w = tile.width, nv = tile.vectors;
  Value chunks = b.create<memref::DimOp>(valueP, 2);
  sequentialLoops(
      b, {chunks, groups}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        Value chunk = ivs[0];
        Value c0 =
            b.create<arith::MulIOp>(chunk, indexConst(b, tile.columns()));
        Value row0 = b.create<arith::MulIOp>(ivs[1], indexConst(b, tile.rows));
        SmallVector<Value> rows, columns, init;
        for (int64_t r = 0; r < tile.rows; ++r)
          rows.push_back(addConst(b, row0, r));
        for (int64_t j = 0; j < nv; ++j)
          columns.push_back(addConst(b, c0, j * w));
        for (int64_t r = 0; r < tile.rows; ++r) {
          Value scale;
          if (corr)
            scale = splat(b, b.create<memref::LoadOp>(corr, rows[r]), w);
          for (int64_t j = 0; j < nv; ++j) {
            Value o = loadVector(b, os, {rows[r], columns[j]}, w);
            init.push_back(scale ? b.create<arith::MulFOp>(o, scale).getResult()
                                 : o);
          }
        }
        SmallVector<Value> acc = forReduce(
            b, indexConst(b, 0),
            tileKeyCount(b, tile, intervals, row0, k0, count), init,
            [&](ImplicitLocOpBuilder &b, Value s,
                ValueRange acc) -> SmallVector<Value> {
              Value key = b.create<arith::AddIOp>(k0, s);
              SmallVector<Value> values;
              for (int64_t j = 0; j < nv; ++j)
                values.push_back(loadVector(
                    b, valueP,
                    {batch, kvHead, chunk, key, indexConst(b, j * w)}, w));
              return outerProductStep(b, w, weights, rows, s, values, acc);
            });
        for (int64_t r = 0; r < tile.rows; ++r)
          for (int64_t j = 0; j < nv; ++j)
            storeVector(b, acc[r * nv + j], os, {rows[r], columns[j]});
      });
}

Value exp2NonPositive(ImplicitLocOpBuilder &b, Value x) {
  Type type = x.getType();
  auto c = [&](double value) { return floatConst(b, type, value); };
  // 2^x = 2^n · 2^f, n = round(x), f in [-1/2, 1/2]; below -127, 2^n is
  // the zero bit pattern, so -inf (and anything under 2^-127) gives 0.
  x = fastMax(b, x, c(-127.0));
  Value n = b.create<math::FloorOp>(b.create<arith::AddFOp>(x, c(0.5)));
  Value f = b.create<arith::SubFOp>(x, n);
  // Cephes exp2f: relative error below 2e-7 on [-1/2, 1/2].
  Value p = c(1.535336188319500e-4);
  for (double coefficient :
       {1.339887440266574e-3, 9.618437357674640e-3, 5.550332471162809e-2,
        2.402264791363012e-1, 6.931472028550421e-1, 1.0})
    p = fma(b, p, f, c(coefficient));
  auto intType =
      VectorType::get(cast<VectorType>(type).getShape(), b.getI32Type());
  Value bits = b.create<arith::ShLIOp>(
      b.create<arith::AddIOp>(
          b.create<arith::FPToSIOp>(intType, n),
          b.create<arith::ConstantOp>(
              DenseElementsAttr::get(intType, b.getI32IntegerAttr(127)))),
      b.create<arith::ConstantOp>(
          DenseElementsAttr::get(intType, b.getI32IntegerAttr(23))));
  return b.create<arith::MulFOp>(p, b.create<arith::BitcastOp>(type, bits));
}

/// Turns row r's scores of the block into weights in place: soft-capped,
/// plus the bias, masked (when `masked`), then exp(x - running max) with the
/// running sum and the correction of the earlier blocks, or x^p (power).
void blockWeights(ImplicitLocOpBuilder &b, const AttnTile &tile,
                  const BlockWeights &a, bool masked) {
  int64_t w = tile.width;
  bool power = a.power.has_value();
  Value zero = indexConst(b, 0);
  Value vectors = ceilDivConst(b, a.count, w);
  auto vecType = f32Vector(b, w);
  Value lowestV =
      floatConst(b, vecType, -std::numeric_limits<float>::infinity());
  Value zeroV = floatConst(b, vecType, 0.0);
  auto i32 = b.getI32Type();
  auto i32Vec = VectorType::get({w}, i32);
  Value iota;
  if (masked) {
    SmallVector<int32_t> lanes;
    for (int64_t i = 0; i < w; ++i)
      lanes.push_back(static_cast<int32_t>(i));
    iota = b.create<arith::ConstantOp>(
        DenseElementsAttr::get(i32Vec, ArrayRef<int32_t>(lanes)));
  }
  sequentialLoops(b, {a.rows}, [&](ImplicitLocOpBuilder &b, ValueRange rr) {
    Value r = rr[0];
    Value t = b.create<arith::AddIOp>(a.t0, r);
    Value loV, hiV;
    if (masked) {
      auto toVec = [&](Value index) {
        return b.create<vector::BroadcastOp>(
            i32Vec, b.create<arith::IndexCastOp>(i32, index));
      };
      loV = toVec(b.create<memref::LoadOp>(a.los, r));
      hiV = toVec(indexMin(b, b.create<memref::LoadOp>(a.his, r), a.k1));
    }
    // Lanes of vector v that the row sees.
    auto visible = [&](ImplicitLocOpBuilder &b, Value column) -> Value {
      Value key = b.create<arith::AddIOp>(a.k0, column);
      Value keysV = b.create<arith::AddIOp>(
          b.create<vector::BroadcastOp>(i32Vec,
                                        b.create<arith::IndexCastOp>(i32, key)),
          iota);
      return b.create<arith::AndIOp>(
          b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, keysV, loV),
          b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, keysV, hiV));
    };
    // The score vector at `column`, with bias and mask (masked lanes get
    // `fill`), written back when it changed.
    auto prepared = [&](ImplicitLocOpBuilder &b, Value column,
                        Value fill) -> Value {
      Value x = loadVector(b, a.scores, {r, column}, w);
      if (a.softcap)
        x = softCapScore(b, x, *a.softcap);
      if (a.bias) {
        Value key = b.create<arith::AddIOp>(a.k0, column);
        auto shape = cast<MemRefType>(a.bias.getType()).getShape();
        SmallVector<Value> at =
            broadcastIndices(b, shape, {a.batch, a.head, t, key});
        Value bias;
        if (shape.back() == 1) {
          bias = splat(b, b.create<memref::LoadOp>(a.bias, at), w);
        } else {
          Value left = b.create<arith::SubIOp>(a.count, column);
          bias = maskedLoadVector(b, a.bias, at, laneMask(b, left, w), w);
        }
        x = addScoreBias(b, x, bias, power);
      }
      if (masked)
        x = b.create<arith::SelectOp>(visible(b, column), x, fill);
      return x;
    };
    auto columnOf = [&](ImplicitLocOpBuilder &b, Value v) -> Value {
      return b.create<arith::MulIOp>(v, indexConst(b, w));
    };

    if (power) {
      int64_t p = *a.power;
      Value sum =
          forReduce(b, zero, vectors, {zeroV},
                    [&](ImplicitLocOpBuilder &b, Value v,
                        ValueRange acc) -> SmallVector<Value> {
                      Value column = columnOf(b, v);
                      Value x = integerPower(b, prepared(b, column, zeroV), p);
                      storeVector(b, x, a.scores, {r, column});
                      return {b.create<arith::AddFOp>(acc[0], x)};
                    })[0];
      Value l = b.create<memref::LoadOp>(a.ls, r);
      b.create<memref::StoreOp>(b.create<arith::AddFOp>(l, reduceAdd(b, sum)),
                                a.ls, r);
      return;
    }

    bool rewrite = masked || a.bias || a.softcap;
    Value maxV = forReduce(b, zero, vectors, {lowestV},
                           [&](ImplicitLocOpBuilder &b, Value v,
                               ValueRange acc) -> SmallVector<Value> {
                             Value column = columnOf(b, v);
                             Value x = prepared(b, column, lowestV);
                             if (rewrite)
                               storeVector(b, x, a.scores, {r, column});
                             return {fastMax(b, acc[0], x)};
                           })[0];
    Value old = b.create<memref::LoadOp>(a.ms, r);
    Value max = fastMax(b, reduceMax(b, maxV), old);
    // While every score so far is -inf (an additive -inf bias, a masked
    // lane), shift by 0 so that exp gives 0 rather than exp(-inf + inf).
    Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
    Value allMasked =
        b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ, max, lowest);
    Value shift = b.create<arith::SelectOp>(allMasked, f32Const(b, 0.0), max);
    // The weights' own polynomial on one lane rather than math.exp2, which
    // becomes a call to libm's exp2f: in this per-row path the call costs
    // more than the polynomial, and the vector registers are spilled
    // around it.
    Value correction = b.create<vector::ExtractOp>(
        exp2NonPositive(b, splat(b, b.create<arith::SubFOp>(old, shift), 1)),
        0);
    Value shiftV = splat(b, shift, w);
    Value sum = forReduce(
        b, zero, vectors, {zeroV},
        [&](ImplicitLocOpBuilder &b, Value v,
            ValueRange acc) -> SmallVector<Value> {
          Value column = columnOf(b, v);
          Value x = loadVector(b, a.scores, {r, column}, w);
          Value e = exp2NonPositive(b, b.create<arith::SubFOp>(x, shiftV));
          if (masked)
            e = b.create<arith::SelectOp>(visible(b, column), e, zeroV);
          storeVector(b, e, a.scores, {r, column});
          return {b.create<arith::AddFOp>(acc[0], e)};
        })[0];
    Value l = b.create<memref::LoadOp>(a.ls, r);
    b.create<memref::StoreOp>(
        b.create<arith::AddFOp>(b.create<arith::MulFOp>(l, correction),
                                reduceAdd(b, sum)),
        a.ls, r);
    b.create<memref::StoreOp>(max, a.ms, r);
    b.create<memref::StoreOp>(correction, a.cs, r);
  });
}

} // namespace kiln
