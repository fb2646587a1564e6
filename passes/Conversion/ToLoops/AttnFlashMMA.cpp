//===- AttnFlashMMA.cpp - Flash attention on tensor cores -----------------===//
//
// The GPU's flash-attention form of attn.attention on tensor cores
// (kiln-convert-to-loops flash-attention=true gpu-mma=true), for f16 and
// bf16 query, key and value with padded head dims up to 128, and with
// gpu-tf32=true for f32 ones whose f32 tiles fit in 48 KiB (TF32 MMAs; up
// to D = 88); with the power normalizer for bf16 only. Like the SIMT
// form (AttnBlocksToLoops.cpp) it is an scf.parallel over (batch, head,
// query tile), tiles last first, whose iteration is a thread block of 128
// threads, written as phases separated by barriers (ThreadBlock.h).
//
// A block owns kQueryRows = 64 query rows of one (batch, head), 16 per
// warp. Its query tile is staged once in workgroup memory in the input
// type, unscaled (exact: the scale is applied to the f32 scores instead),
// zero past the queries and the head dims. The key loop walks the tile's
// visible keys (FlashTileKeys) `keys` (32, or 16 at larger head dims) at a
// time, each key tile in four phases:
//   1. load: the key tile [keys, D] and the value tile TRANSPOSED [Dv, keys]
//      into workgroup memory in the input type (the B operands of
//      warp.mma, k contiguous), zero past the tile's keys and the head dims;
//   2. scores: each warp S[16 rows, keys] = Q·K^T as keys / 8 warp.mma
//      tiles, stored in f32 to the score tile;
//   3. weights: thread r < 64 takes row r's scores, scales them (base 2),
//      adds the bias, masks them to the row's interval, and runs the online
//      softmax step (or x^p): the weights go to two weight tiles [64, keys]
//      in the input type, high = round(P) and low = round(P - high) (P
//      rounded once would cost the outputs up to 2^-11 (f16) or 2^-8
//      (bf16) of |V|, which the f16 and bf16 tolerances do not allow near
//      zero; TF32 keeps one f32 tile, V's own rounding being as coarse),
//      and the row's running max, sum and the factor that rescales the
//      earlier keys' output to workgroup memory;
//   4. values: each warp's lanes hold the output of its 16 rows as Dv / 8
//      m16n8 accumulator fragments in private memory (read at constant
//      offsets: registers), rescaled by their rows' factors, then
//      += low·V + high·V (TF32: P·V) as warp.mma tiles.
// After the key loop each lane writes its fragments' elements, acc / sum
// (0 for a row that sees no key). Rows past the queries see no key (their
// interval is empty), so their weights are 0 and nothing is written.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnFlash.h"
#include "passes/Conversion/ToLoops/AttnKernel.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/ThreadBlock.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "dialects/Warp/IR/WarpOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>
#include <optional>

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;
using namespace kiln::flash;

namespace {

constexpr int64_t kWarpSize = 32;
/// Query rows per warp: the M of the m16n8 MMA tiles.
constexpr int64_t kWarpRows = 16;
constexpr int64_t kQueryRows = kThreadBlockSize / kWarpSize * kWarpRows;
/// The N of an MMA tile; Dv is padded to it (the value tile's rows).
constexpr int64_t kMMAColumns = 8;
/// The largest padded head dims: 16 output fragments (64 registers) per
/// lane at Dv = 128.
constexpr int64_t kMaxHeadDim = 128;
/// Static workgroup memory a block may use.
constexpr int64_t kMaxSharedBytes = 48 * 1024;
/// Tile rows in the MMA's type are padded by 16 bytes: ldmatrix's 8 row
/// addresses (and TF32's element loads) then fall on different banks, and
/// rows stay 16-byte aligned.
constexpr int64_t kPadBytes = 16;
/// The f32 score tile's rows are padded by 4 floats.
constexpr int64_t kScorePad = 4;
/// Lanes of the score vectors (the softmax's exp2 is a vector polynomial).
constexpr int64_t kScoreLanes = 4;

int64_t roundUp(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

/// The tiling of a block, from the static head dims and the tiles' type.
struct MMAFlashShape {
  int64_t headDim, valueDim;
  /// Bytes of an element of the tiles: 2 (f16, bf16) or 4 (f32, TF32).
  int64_t elementBytes;
  /// The MMA's K: 16 for 16-bit tiles, 8 for TF32. D is padded to it.
  int64_t depth;
  /// Head dims padded to the MMA's K (query, key) and N (value).
  int64_t paddedHeadDim, paddedValueDim;
  /// Keys per tile: 32 where the tiles fit in 48 KiB, else 16.
  int64_t keys;
  /// Whether the weights are staged as high and low parts (16-bit tiles;
  /// with TF32 the values' own rounding is as coarse as the weights').
  bool splitWeights;

  static MMAFlashShape of(int64_t headDim, int64_t valueDim, Type element) {
    MMAFlashShape s;
    s.headDim = headDim;
    s.valueDim = valueDim;
    s.elementBytes = element.getIntOrFloatBitWidth() / 8;
    s.depth = element.isF32() ? 8 : 16;
    s.splitWeights = !element.isF32();
    s.paddedHeadDim = roundUp(headDim, s.depth);
    s.paddedValueDim = roundUp(valueDim, kMMAColumns);
    s.keys = 32;
    if (s.sharedBytes() > kMaxSharedBytes)
      s.keys = 16;
    return s;
  }
  /// Whether the block fits: head dims up to 128 and 48 KiB of tiles.
  bool fits() const {
    return paddedHeadDim <= kMaxHeadDim && paddedValueDim <= kMaxHeadDim &&
           sharedBytes() <= kMaxSharedBytes;
  }
  int64_t padElements() const { return kPadBytes / elementBytes; }
  int64_t queryPitch() const { return paddedHeadDim + padElements(); }
  int64_t valuePitch() const { return keys + padElements(); }
  int64_t weightPitch() const { return keys + padElements(); }
  int64_t scorePitch() const { return keys + kScorePad; }
  /// The block's workgroup memory: the query, key, transposed value and
  /// weight tiles (the MMA's type), the score tile and the rows' (max,
  /// sum, factor) (f32), the rows' intervals and the exact key range of
  /// packed sequences (i32).
  int64_t sharedBytes() const {
    int64_t weightTiles = splitWeights ? 2 : 1;
    return elementBytes * (kQueryRows * queryPitch() + keys * queryPitch() +
                           paddedValueDim * valuePitch() +
                           weightTiles * kQueryRows * weightPitch()) +
           4 * (kQueryRows * scorePitch() + 3 * kQueryRows) +
           4 * (2 * kQueryRows + 2);
  }
  int64_t fragments() const { return paddedValueDim / kMMAColumns; }
};

/// The thread's warp, its lane, and the lane's row group g = lane / 4 and
/// column pair t = lane % 4 of the m16n8 fragments.
struct Lane {
  Value warpRow, lane, g, t;

  static Lane of(ImplicitLocOpBuilder &b, Value thread) {
    Lane l;
    Value warp = b.create<arith::DivUIOp>(thread, indexConst(b, kWarpSize));
    l.warpRow = b.create<arith::MulIOp>(warp, indexConst(b, kWarpRows));
    l.lane = b.create<arith::RemUIOp>(thread, indexConst(b, kWarpSize));
    l.g = b.create<arith::DivUIOp>(l.lane, indexConst(b, 4));
    l.t = b.create<arith::RemUIOp>(l.lane, indexConst(b, 4));
    return l;
  }
  /// The block row and the column of element i of fragment column tile n.
  Value row(ImplicitLocOpBuilder &b, int64_t i) const {
    return b.create<arith::AddIOp>(b.create<arith::AddIOp>(warpRow, g),
                                   indexConst(b, 8 * (i / 2)));
  }
  Value column(ImplicitLocOpBuilder &b, int64_t n, int64_t i) const {
    return b.create<arith::AddIOp>(b.create<arith::MulIOp>(t, indexConst(b, 2)),
                                   indexConst(b, n * kMMAColumns + i % 2));
  }
};

/// The rows' running statistics in workgroup memory.
enum RowStatistic : int64_t { kMax = 0, kSum = 1, kFactor = 2 };

/// One thread block: a query tile of one (batch, head).
class MMAFlashBlock {
public:
  MMAFlashBlock(ImplicitLocOpBuilder &b, AttentionOp op,
                AttentionOp::Adaptor adaptor, const MMAFlashShape &shape,
                Value out, Value queries, Value batch, Value head, Value kvHead,
                Value t0)
      : op(op), adaptor(adaptor), shape(shape), out(out), queries(queries),
        batch(batch), head(head), kvHead(kvHead), t0(t0) {
    power = op.getNormalizer() == Normalizer::power;
    element = cast<MemRefType>(adaptor.getQuery().getType()).getElementType();
    keyCount = b.create<memref::DimOp>(adaptor.getKey(), 1);
    MLIRContext *context = b.getContext();
    auto workgroup = gpu::AddressSpace::Workgroup;
    auto tile = [&](int64_t rows, int64_t pitch) -> Value {
      return b.create<memref::AllocaOp>(
          MemRefType::get({rows, pitch}, element, MemRefLayoutAttrInterface(),
                          gpu::AddressSpaceAttr::get(context, workgroup)));
    };
    // Workgroup and private buffers first: the block loop's body must
    // allocate them at its top.
    queryTile = tile(kQueryRows, shape.queryPitch());
    keyTile = tile(shape.keys, shape.queryPitch());
    valueTile = tile(shape.paddedValueDim, shape.valuePitch());
    weightTile = tile(kQueryRows, shape.weightPitch());
    if (shape.splitWeights)
      lowWeightTile = tile(kQueryRows, shape.weightPitch());
    scoreTile = b.create<memref::AllocaOp>(
        f32MemoryType({kQueryRows, shape.scorePitch()}, context, workgroup));
    rowStatistics = b.create<memref::AllocaOp>(
        f32MemoryType({3, kQueryRows}, context, workgroup));
    keys.emplace(b, op, adaptor.getSeqOffsets(), keyCount, queries, t0,
                 kQueryRows, shape.keys);
    accumulators = b.create<memref::AllocaOp>(
        f32MemoryType({kThreadBlockSize, shape.fragments(), 4}, context,
                      gpu::AddressSpace::Private));
  }

  void emit(ImplicitLocOpBuilder &b) {
    threadPhase(
        b, [&](ImplicitLocOpBuilder &b, Value thread) { prologue(b, thread); });
    if (keys->packed())
      threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
        keys->exactRange(b, thread);
      });
    keys->emitKeyLoop(b, {[&](ImplicitLocOpBuilder &b, Value thread, Value k0,
                              Value k1) { loadTiles(b, thread, k0, k1); },
                          [&](ImplicitLocOpBuilder &b, Value thread, Value,
                              Value) { multiplyKeys(b, thread); },
                          [&](ImplicitLocOpBuilder &b, Value thread, Value k0,
                              Value) { weighRow(b, thread, k0); },
                          [&](ImplicitLocOpBuilder &b, Value thread, Value,
                              Value) { multiplyValues(b, thread); }});
    threadPhase(
        b, [&](ImplicitLocOpBuilder &b, Value thread) { epilogue(b, thread); });
  }

private:
  /// Runs `body(element)` for the elements `i · 128 + thread` < `count`.
  static void
  forEachElement(ImplicitLocOpBuilder &b, Value thread, int64_t count,
                 llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
    int64_t steps = (count + kThreadBlockSize - 1) / kThreadBlockSize;
    sequentialLoops(
        b, {indexConst(b, steps)}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
          Value e = b.create<arith::AddIOp>(
              b.create<arith::MulIOp>(i[0], indexConst(b, kThreadBlockSize)),
              thread);
          if (count % kThreadBlockSize == 0)
            return body(b, e);
          ifThen(b, lessThan(b, e, indexConst(b, count)),
                 [&](ImplicitLocOpBuilder &b) { body(b, e); });
        });
  }

  /// source[batch, row, h, d] where `inside`, else 0, in the tiles' type;
  /// the load reads clamped indices, so no thread branches around it.
  Value loadOrZero(ImplicitLocOpBuilder &b, Value source, Value row,
                   Value rowCount, Value h, Value d, int64_t dims,
                   Value inside) const {
    Value clampedRow = indexMax(
        b,
        indexMin(b, row, b.create<arith::SubIOp>(rowCount, indexConst(b, 1))),
        indexConst(b, 0));
    Value clampedD = indexMin(b, d, indexConst(b, dims - 1));
    inside = b.create<arith::AndIOp>(
        inside, b.create<arith::AndIOp>(lessThan(b, row, rowCount),
                                        lessThan(b, d, indexConst(b, dims))));
    Value value = b.create<memref::LoadOp>(
        source, ValueRange{batch, clampedRow, h, clampedD});
    return b.create<arith::SelectOp>(inside, value,
                                     floatConst(b, element, 0.0));
  }

  static Value loadFragment(ImplicitLocOpBuilder &b, Value fragments,
                            int64_t n) {
    Value vector = floatConst(b, f32Vector(b, 4), 0.0);
    for (int64_t i = 0; i < 4; ++i)
      vector = b.create<vector::InsertOp>(
          b.create<memref::LoadOp>(
              fragments, ValueRange{indexConst(b, n), indexConst(b, i)}),
          vector, i);
    return vector;
  }

  static void storeFragment(ImplicitLocOpBuilder &b, Value vector,
                            Value fragments, int64_t n) {
    for (int64_t i = 0; i < 4; ++i)
      b.create<memref::StoreOp>(b.create<vector::ExtractOp>(vector, i),
                                fragments,
                                ValueRange{indexConst(b, n), indexConst(b, i)});
  }

  Value statistic(ImplicitLocOpBuilder &b, RowStatistic which, Value r) const {
    return b.create<memref::LoadOp>(rowStatistics,
                                    ValueRange{indexConst(b, which), r});
  }
  void setStatistic(ImplicitLocOpBuilder &b, RowStatistic which, Value r,
                    Value value) const {
    b.create<memref::StoreOp>(value, rowStatistics,
                              ValueRange{indexConst(b, which), r});
  }

  /// Phase: the query tile, zero fragments; threads r < 64 store row r's
  /// visible keys ([0, 0) past the queries) and zero statistics.
  void prologue(ImplicitLocOpBuilder &b, Value thread) {
    int64_t pitch = shape.paddedHeadDim;
    forEachElement(
        b, thread, kQueryRows * pitch, [&](ImplicitLocOpBuilder &b, Value e) {
          Value r = b.create<arith::DivUIOp>(e, indexConst(b, pitch));
          Value d = b.create<arith::RemUIOp>(e, indexConst(b, pitch));
          Value value =
              loadOrZero(b, adaptor.getQuery(), b.create<arith::AddIOp>(t0, r),
                         queries, head, d, shape.headDim, trueValue(b));
          b.create<memref::StoreOp>(value, queryTile, ValueRange{r, d});
        });
    Value fragments = threadSlice(b, accumulators, thread);
    Value zero4 = floatConst(b, f32Vector(b, 4), 0.0);
    for (int64_t n = 0; n < shape.fragments(); ++n)
      storeFragment(b, zero4, fragments, n);
    ifThen(b, lessThan(b, thread, indexConst(b, kQueryRows)),
           [&](ImplicitLocOpBuilder &b) {
             Value t = b.create<arith::AddIOp>(t0, thread);
             Value clamped = indexMax(
                 b,
                 indexMin(b, t,
                          b.create<arith::SubIOp>(queries, indexConst(b, 1))),
                 indexConst(b, 0));
             keys->storeRowKeys(b, thread, lessThan(b, t, queries), clamped);
             Value zero = f32Const(b, 0.0);
             Value lowest =
                 f32Const(b, -std::numeric_limits<float>::infinity());
             setStatistic(b, kMax, thread, power ? zero : lowest);
             setStatistic(b, kSum, thread, zero);
           });
  }

  static Value trueValue(ImplicitLocOpBuilder &b) {
    return b.create<arith::ConstantIntOp>(1, 1);
  }

  /// Phase: keys [k0, k1) into the key tile [j][d], their values into the
  /// value tile transposed [c][j], zero past k1 and the head dims. A warp
  /// reads consecutive head dims of a key.
  void loadTiles(ImplicitLocOpBuilder &b, Value thread, Value k0,
                 Value k1) const {
    stageKeyTile(b, thread, k0, k1, adaptor.getKey(), shape.headDim,
                 shape.paddedHeadDim, keyTile, /*transposed=*/false);
    stageKeyTile(b, thread, k0, k1, adaptor.getValue(), shape.valueDim,
                 shape.paddedValueDim, valueTile, /*transposed=*/true);
  }

  /// Keys [k0, k1) of `source` (head dims `dims`) into `tile` as [j][d], or
  /// [d][j] when `transposed`, for `pitch` head dims, zero past k1 and
  /// `dims`.
  void stageKeyTile(ImplicitLocOpBuilder &b, Value thread, Value k0, Value k1,
                    Value source, int64_t dims, int64_t pitch, Value tile,
                    bool transposed) const {
    forEachElement(
        b, thread, shape.keys * pitch, [&](ImplicitLocOpBuilder &b, Value e) {
          Value j = b.create<arith::DivUIOp>(e, indexConst(b, pitch));
          Value d = b.create<arith::RemUIOp>(e, indexConst(b, pitch));
          Value key = b.create<arith::AddIOp>(k0, j);
          Value value = loadOrZero(b, source, key, keyCount, kvHead, d, dims,
                                   lessThan(b, key, k1));
          SmallVector<Value> indices = {j, d};
          if (transposed)
            std::swap(indices[0], indices[1]);
          b.create<memref::StoreOp>(value, tile, indices);
        });
  }

  /// Phase: the warp's scores S[16 rows][keys] = Q·K^T into the score
  /// tile, one warp.mma per 16 × 8 tile and step of the MMA's K.
  void multiplyKeys(ImplicitLocOpBuilder &b, Value thread) const {
    Lane lane = Lane::of(b, thread);
    for (int64_t n = 0; n < shape.keys / kMMAColumns; ++n) {
      Value acc = floatConst(b, f32Vector(b, 4), 0.0);
      Value column = indexConst(b, n * kMMAColumns);
      for (int64_t k = 0; k < shape.paddedHeadDim; k += shape.depth) {
        Value kk = indexConst(b, k);
        acc = b.create<warp::MMAOp>(acc.getType(), queryTile, lane.warpRow, kk,
                                    keyTile, column, kk, acc, lane.lane);
      }
      for (int64_t i = 0; i < 4; ++i)
        b.create<memref::StoreOp>(
            b.create<vector::ExtractOp>(acc, i), scoreTile,
            ValueRange{lane.row(b, i), lane.column(b, n, i)});
    }
  }

  /// Row r's scores of tile keys [c, c + 4), in base 2, soft-capped, with
  /// the bias, and
  /// whether the row sees each key.
  std::pair<Value, Value> scoreChunk(ImplicitLocOpBuilder &b, Value r,
                                     Value clampedT, Value k0, Value c,
                                     Value lo, Value hi) const {
    double scale = scoreScale(op.getScale(), power);
    std::optional<double> softcap = baseTwoSoftCap(op.getSoftcap());
    SmallVector<Value> lanes, sees;
    for (int64_t l = 0; l < kScoreLanes; ++l) {
      Value j = b.create<arith::AddIOp>(c, indexConst(b, l));
      Value score = b.create<arith::MulFOp>(
          b.create<memref::LoadOp>(scoreTile, ValueRange{r, j}),
          f32Const(b, scale));
      if (softcap)
        score = softCapScore(b, score, *softcap);
      Value key = b.create<arith::AddIOp>(k0, j);
      if (Value bias = adaptor.getBias()) {
        auto biasShape = cast<MemRefType>(bias.getType()).getShape();
        Value clampedKey = indexMin(
            b, key, b.create<arith::SubIOp>(keyCount, indexConst(b, 1)));
        Value value =
            loadF32(b, bias,
                    broadcastIndices(b, biasShape,
                                     {batch, head, clampedT, clampedKey}));
        score = addScoreBias(b, score, value, power);
      }
      lanes.push_back(score);
      sees.push_back(b.create<arith::AndIOp>(
          b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, key, lo),
          lessThan(b, key, hi)));
    }
    return {b.create<vector::FromElementsOp>(f32Vector(b, kScoreLanes), lanes),
            b.create<vector::FromElementsOp>(
                VectorType::get({kScoreLanes}, b.getI1Type()), sees)};
  }

  /// Phase: thread r < 64 turns row r's scores into weights (the online
  /// softmax step, or x^p), rounded into the weight tile, and updates the
  /// row's max, sum and factor. Every column of the tile is written (0 for
  /// keys the row does not see, past k1 included), since the MMA reads all.
  void weighRow(ImplicitLocOpBuilder &b, Value thread, Value k0) const {
    ifThen(
        b, lessThan(b, thread, indexConst(b, kQueryRows)),
        [&](ImplicitLocOpBuilder &b) {
          Value r = thread;
          Value clampedT = indexMax(
              b,
              indexMin(b, b.create<arith::AddIOp>(t0, r),
                       b.create<arith::SubIOp>(queries, indexConst(b, 1))),
              indexConst(b, 0));
          Value lo, hi;
          std::tie(lo, hi) = keys->rowInterval(b, r);
          Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
          Value zero = f32Const(b, 0.0);
          Value zero4 = floatConst(b, f32Vector(b, kScoreLanes), 0.0);
          Value lowest4 = splat(b, lowest, kScoreLanes);
          auto chunkLoop = [&](ValueRange init, ReduceStep body) {
            return forReduce(b, indexConst(b, 0),
                             indexConst(b, shape.keys / kScoreLanes), init,
                             [&](ImplicitLocOpBuilder &b, Value i,
                                 ValueRange carried) -> SmallVector<Value> {
                               return body(b,
                                           b.create<arith::MulIOp>(
                                               i, indexConst(b, kScoreLanes)),
                                           carried);
                             });
          };

          Value shift, factor = f32Const(b, 1.0);
          if (!power) {
            Value max = statistic(b, kMax, r);
            Value newMax = chunkLoop(
                {max},
                [&](ImplicitLocOpBuilder &b, Value c,
                    ValueRange carried) -> SmallVector<Value> {
                  auto [scores, sees] =
                      scoreChunk(b, r, clampedT, k0, c, lo, hi);
                  scores = b.create<arith::SelectOp>(sees, scores, lowest4);
                  return {fastMax(b, carried[0], reduceMax(b, scores))};
                })[0];
            // While every score so far is -inf (masked, or a -inf
            // bias), shift by 0, so that the weights are exp2(-inf) =
            // 0, not exp2(NaN).
            Value allMasked = b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ,
                                                      newMax, lowest);
            shift = b.create<arith::SelectOp>(allMasked, zero, newMax);
            factor = b.create<vector::ExtractOp>(
                exp2NonPositive(
                    b, splat(b, b.create<arith::SubFOp>(max, shift), 1)),
                0);
            setStatistic(b, kMax, r, newMax);
          }

          Value sum = chunkLoop(
              {zero},
              [&](ImplicitLocOpBuilder &b, Value c,
                  ValueRange carried) -> SmallVector<Value> {
                auto [scores, sees] = scoreChunk(b, r, clampedT, k0, c, lo, hi);
                Value weights;
                if (power) {
                  weights = b.create<arith::SelectOp>(
                      sees,
                      integerPower(b, scores,
                                   static_cast<int64_t>(*op.getPower())),
                      zero4);
                } else {
                  scores = b.create<arith::SelectOp>(sees, scores, lowest4);
                  weights = exp2NonPositive(
                      b, b.create<arith::SubFOp>(scores,
                                                 splat(b, shift, kScoreLanes)));
                }
                storeWeights(b, weights, r, c);
                return {
                    b.create<arith::AddFOp>(carried[0], reduceAdd(b, weights))};
              })[0];
          setStatistic(b, kSum, r, fma(b, statistic(b, kSum, r), factor, sum));
          setStatistic(b, kFactor, r, factor);
        });
  }

  /// Row r's weights of tile keys [c, c + 4) into the weight tiles: as
  /// they are (f32, which the TF32 MMA rounds), or as high + low parts in
  /// the 16-bit type, 22 (f16) or 16 (bf16) significant bits, not 11 or 8.
  void storeWeights(ImplicitLocOpBuilder &b, Value weights, Value r,
                    Value c) const {
    Value high = weights, low;
    if (shape.splitWeights) {
      auto type = VectorType::get({kScoreLanes}, element);
      high = b.create<arith::TruncFOp>(type, weights);
      low = b.create<arith::TruncFOp>(
          type, b.create<arith::SubFOp>(
                    weights, b.create<arith::ExtFOp>(weights.getType(), high)));
    }
    for (int64_t l = 0; l < kScoreLanes; ++l) {
      Value j = b.create<arith::AddIOp>(c, indexConst(b, l));
      b.create<memref::StoreOp>(b.create<vector::ExtractOp>(high, l),
                                weightTile, ValueRange{r, j});
      if (low)
        b.create<memref::StoreOp>(b.create<vector::ExtractOp>(low, l),
                                  lowWeightTile, ValueRange{r, j});
    }
  }

  /// Phase: the warp's output fragments, rescaled by their rows' factors,
  /// += P·V, one warp.mma per 16 × 8 tile, step of the MMA's K and weight
  /// tile.
  void multiplyValues(ImplicitLocOpBuilder &b, Value thread) const {
    Lane lane = Lane::of(b, thread);
    Value fragments = threadSlice(b, accumulators, thread);
    // Elements 0, 1 of a fragment are row g's, 2, 3 row g + 8's.
    Value upper = statistic(b, kFactor, lane.row(b, 0));
    Value lower = statistic(b, kFactor, lane.row(b, 2));
    Value factors = b.create<vector::FromElementsOp>(
        f32Vector(b, 4), ValueRange{upper, upper, lower, lower});
    for (int64_t n = 0; n < shape.fragments(); ++n) {
      Value acc =
          b.create<arith::MulFOp>(loadFragment(b, fragments, n), factors);
      Value column = indexConst(b, n * kMMAColumns);
      for (int64_t k = 0; k < shape.keys; k += shape.depth) {
        Value kk = indexConst(b, k);
        for (Value weights : {lowWeightTile, weightTile})
          if (weights)
            acc =
                b.create<warp::MMAOp>(acc.getType(), weights, lane.warpRow, kk,
                                      valueTile, column, kk, acc, lane.lane);
      }
      storeFragment(b, acc, fragments, n);
    }
  }

  /// Phase: out = acc / sum for each element of the lane's fragments
  /// inside the queries and Dv (0 for a row that saw no key, or only -inf
  /// scores).
  void epilogue(ImplicitLocOpBuilder &b, Value thread) const {
    Lane lane = Lane::of(b, thread);
    Value fragments = threadSlice(b, accumulators, thread);
    Value rows[2] = {lane.row(b, 0), lane.row(b, 2)};
    Value sums[2] = {statistic(b, kSum, rows[0]), statistic(b, kSum, rows[1])};
    for (int64_t half = 0; half < 2; ++half) {
      Value t = b.create<arith::AddIOp>(t0, rows[half]);
      ifThen(b, lessThan(b, t, queries), [&](ImplicitLocOpBuilder &b) {
        for (int64_t n = 0; n < shape.fragments(); ++n)
          for (int64_t i = 2 * half; i < 2 * half + 2; ++i) {
            Value column = lane.column(b, n, i);
            Value a = b.create<memref::LoadOp>(
                fragments, ValueRange{indexConst(b, n), indexConst(b, i)});
            auto store = [&](ImplicitLocOpBuilder &b) {
              storeF32(b, divideOrZero(b, a, sums[half]), out,
                       {batch, t, head, column});
            };
            // Only the last fragment can have columns past Dv.
            if ((n + 1) * kMMAColumns <= shape.valueDim)
              store(b);
            else
              ifThen(b, lessThan(b, column, indexConst(b, shape.valueDim)),
                     store);
          }
      });
    }
  }

  // Mutable: their generated accessors are not const.
  mutable AttentionOp op;
  mutable AttentionOp::Adaptor adaptor;
  const MMAFlashShape &shape;
  Value out, queries, batch, head, kvHead, t0;
  Value keyCount;
  Type element;
  bool power;
  /// Workgroup, in the input type: the query tile [64, D' + 8], the key
  /// tile [keys, D' + 8], the value tile transposed [Dv', keys + 8], the
  /// weights [64, keys + 8] (D' = D padded to 16, Dv' = Dv padded to 8).
  /// The weights are split in two tiles, weightTile + lowWeightTile.
  Value queryTile, keyTile, valueTile, weightTile, lowWeightTile;
  /// Workgroup, f32: the scores [64, keys + 4]; the rows' running max,
  /// sum and rescale factor [3, 64].
  Value scoreTile, rowStatistics;
  std::optional<FlashTileKeys> keys;
  /// Private, a slice per thread: the lane's output fragments [Dv' / 8, 4].
  Value accumulators;
};

struct AttentionMMABlocksToLoops : OpConversionPattern<AttentionOp> {
  /// Tried before the SIMT flash form (benefit 3).
  AttentionMMABlocksToLoops(TypeConverter &converter, MLIRContext *context,
                            bool tf32)
      : OpConversionPattern(converter, context, /*benefit=*/4), tf32(tf32) {}

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type element = op.getQuery().getType().getElementType();
    if (!element.isF16() && !element.isBF16() && !(tf32 && element.isF32()))
      return rewriter.notifyMatchFailure(
          op, "query must be f16 or bf16 (or f32 with TF32)");
    if (op.getKey().getType().getElementType() != element ||
        op.getValue().getType().getElementType() != element)
      return rewriter.notifyMatchFailure(
          op, "key and value must have the query's type");
    // x^p is not shifted by a maximum: its weights can pass f16's 65,504.
    // And it magnifies the scores' relative error where they nearly cancel,
    // which TF32's (2^-11 of the products' scale) makes larger than 1e-3.
    if ((element.isF16() || element.isF32()) &&
        op.getNormalizer() == Normalizer::power)
      return rewriter.notifyMatchFailure(
          op, "the power normalizer's weights can overflow f16 and magnify "
              "TF32's score errors");
    int64_t headDim = op.getQuery().getType().getDimSize(3);
    int64_t valueDim = op.getValue().getType().getDimSize(3);
    if (ShapedType::isDynamic(headDim) || ShapedType::isDynamic(valueDim))
      return rewriter.notifyMatchFailure(op, "head dims must be static");
    MMAFlashShape shape = MMAFlashShape::of(headDim, valueDim, element);
    if (!shape.fits())
      return rewriter.notifyMatchFailure(
          op, "head dims must be at most 128, the tiles at most 48 KiB");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value out = resultBuffer(op);
    emitFlashGrid(
        b, out, adaptor.getQuery(), adaptor.getKey(), kQueryRows,
        [&](ImplicitLocOpBuilder &b, Value out, Value queries, Value batch,
            Value head, Value kvHead, Value t0) {
          MMAFlashBlock(b, op, adaptor, shape, out, queries, batch, head,
                        kvHead, t0)
              .emit(b);
        });
    rewriter.replaceOp(op, out);
    return success();
  }

  /// Whether f32 attention takes TF32 MMAs.
  bool tf32;
};

} // namespace

void kiln::populateAttnFlashMMAToLoopsPatterns(const KernelOptions &options,
                                               TypeConverter &converter,
                                               RewritePatternSet &patterns) {
  patterns.add<AttentionMMABlocksToLoops>(converter, patterns.getContext(),
                                          options.gpuTF32);
}
