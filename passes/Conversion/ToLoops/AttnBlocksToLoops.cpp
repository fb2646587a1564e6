//===- AttnBlocksToLoops.cpp - Attention as flash thread blocks -----------===//
//
// The GPU's flash-attention form of attn.attention (kiln-convert-to-loops
// flash-attention=true, set by the NVPTX pipeline), in the thread-block
// form of ThreadBlock.h: an scf.parallel over (batch, head, query tile)
// whose iteration is one thread block of 128 threads.
// f16 and bf16 attention with head dims up to 128 takes the tensor-core
// form of AttnFlashMMA.cpp first (with gpu-mma=true); this SIMT form takes
// the rest.
//
// A block owns a tile of `rows` query rows of one (batch, head). Each row
// has `parts` threads (1, 2, 4 or 8: at most 32 columns of the head dims
// each), thread `part · rows + r` holding slice `part` of row r's scaled
// query and of its output accumulator in private memory (registers: read at
// constant offsets only), so that a warp is 32 rows of one part (16 rows of
// two at 8 parts). Tiles are taken last first. The key loop walks
// the tile's visible keys (the union of its rows' intervals, AttnMask.h) in
// tiles of `keys` keys, each in phases separated by barriers:
//   1. load: the key and value tiles into workgroup memory, element
//      `i · 128 + thread`, so that a warp reads consecutive head dims (f16
//      and bf16 widened; zero past the visible keys and the head dims);
//   2. scores (parts > 1): each thread's partial dot products of its query
//      slice with the tile's keys, into workgroup memory;
//   3. weights: each thread adds its row's partial scores (every part of a
//      row adds them in the same order, so all get the same bits), adds the
//      bias, masks to the row's interval, runs the online softmax step (or
//      x^p) in registers and accumulates its slice of the values.
// With one part, a thread computes its scores itself in phase 3. The
// output is written once, after the key loop: acc / sum, 0 for a row that
// sees no key. With packed sequences the loop bounds can only be a superset
// (block code may not read the offsets): a phase stores the exact union of
// the rows' intervals and the phases of a tile outside it do nothing.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnFlash.h"
#include "passes/Conversion/ToLoops/AttnKernel.h"
#include "passes/Conversion/ToLoops/AttnMask.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/ThreadBlock.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>
#include <limits>
#include <optional>

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;
using namespace kiln::flash;

namespace {

/// The largest head dims of the form: 8 parts of 32 columns each (and the
/// tiles of 16 keys, 45 KiB of workgroup memory at D = Dv = 256).
constexpr int64_t kMaxFlashHeadDim = 256;
/// Lanes of the score vectors (the softmax's exp2 is a vector polynomial).
constexpr int64_t kScoreLanes = 4;

/// The tiling of a block, from the static head dims.
struct FlashShape {
  int64_t headDim, valueDim;
  /// Threads per query row, each holding a slice of at most 32 columns of
  /// its query and of its output (64 registers of state that live across
  /// the key loop): 1 up to D, Dv = 32, 2 to 64, 4 to 128, 8 to 256.
  /// Slices of 64 columns took 250-255 registers at D = 128 (2 blocks of
  /// 128 threads per multiprocessor); slices of 32, 128-168.
  int64_t parts;
  /// Query rows per block: 128 / parts.
  int64_t rows;
  /// Keys per tile: 32 up to D + Dv = 128, else 16, so that the tiles and
  /// the partial scores stay under 48 KiB of static workgroup memory.
  int64_t keys;
  /// Columns of a thread's query and output slices.
  int64_t querySlice, valueSlice;

  static FlashShape of(int64_t headDim, int64_t valueDim) {
    FlashShape s;
    s.headDim = headDim;
    s.valueDim = valueDim;
    int64_t widest = std::max(headDim, valueDim);
    s.parts = 1;
    while (s.parts * 32 < widest)
      s.parts *= 2;
    s.rows = kThreadBlockSize / s.parts;
    s.keys = headDim + valueDim <= 128 ? 32 : 16;
    s.querySlice = (headDim + s.parts - 1) / s.parts;
    s.valueSlice = (valueDim + s.parts - 1) / s.parts;
    return s;
  }
  /// Where each part's slice starts in a row of the key or value tile: a
  /// multiple of 4 columns (so the back end can read 4 at once from an
  /// aligned address), plus 4 where a warp holds two parts (16 rows a
  /// part) so that their broadcast reads fall on different banks.
  int64_t stride(int64_t slice) const {
    return (slice + 3) / 4 * 4 + (rows < 32 ? 4 : 0);
  }
  int64_t queryStride() const { return stride(querySlice); }
  int64_t valueStride() const { return stride(valueSlice); }
  /// Columns of the key and value tiles: the slices of all parts.
  int64_t keyPitch() const { return parts * queryStride(); }
  int64_t valuePitch() const { return parts * valueStride(); }
  /// Partial scores are [128 threads][keys + 1]: the pad puts the 32 rows
  /// of a warp on 32 banks.
  int64_t scorePitch() const { return keys + 1; }
};

/// One thread block: a query tile of one (batch, head).
class FlashBlock {
public:
  FlashBlock(ImplicitLocOpBuilder &b, AttentionOp op,
             AttentionOp::Adaptor adaptor, const FlashShape &shape,
             Value out, Value queries, Value batch, Value head, Value kvHead,
             Value t0)
      : op(op), adaptor(adaptor), shape(shape), out(out), queries(queries),
        batch(batch), head(head), kvHead(kvHead), t0(t0) {
    power = op.getNormalizer() == Normalizer::power;
    offsets = adaptor.getSeqOffsets();
    keyCount = b.create<memref::DimOp>(adaptor.getKey(), 1);
    MLIRContext *context = b.getContext();
    auto workgroup = gpu::AddressSpace::Workgroup;
    auto privateSpace = gpu::AddressSpace::Private;
    // Workgroup and private buffers first: the block loop's body must
    // allocate them at its top.
    keyTile = b.create<memref::AllocaOp>(
        f32MemoryType({shape.keys, shape.keyPitch()}, context, workgroup));
    valueTile = b.create<memref::AllocaOp>(
        f32MemoryType({shape.keys, shape.valuePitch()}, context, workgroup));
    partialScores = b.create<memref::AllocaOp>(f32MemoryType(
        {kThreadBlockSize, shape.scorePitch()}, context, workgroup));
    keys.emplace(b, op, offsets, keyCount, queries, t0, shape.rows, shape.keys);
    query = b.create<memref::AllocaOp>(f32MemoryType(
        {kThreadBlockSize, shape.querySlice}, context, privateSpace));
    accumulators = b.create<memref::AllocaOp>(f32MemoryType(
        {kThreadBlockSize, shape.valueSlice}, context, privateSpace));
    statistics = b.create<memref::AllocaOp>(
        f32MemoryType({kThreadBlockSize, 2}, context, privateSpace));
  }

  void emit(ImplicitLocOpBuilder &b) {
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      prologue(b, thread);
    });
    if (offsets)
      threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
        keys->exactRange(b, thread);
      });
    auto load = [&](ImplicitLocOpBuilder &b, Value thread, Value k0, Value k1) {
      loadTiles(b, thread, k0, k1);
    };
    auto partials = [&](ImplicitLocOpBuilder &b, Value thread, Value k0,
                        Value k1) { scorePartials(b, thread, k0, k1); };
    auto weigh = [&](ImplicitLocOpBuilder &b, Value thread, Value k0,
                     Value k1) { weighValues(b, thread, k0, k1); };
    SmallVector<FlashTileKeys::KeyTilePhase> phases = {load};
    if (shape.parts > 1)
      phases.push_back(partials);
    phases.push_back(weigh);
    keys->emitKeyLoop(b, phases);
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      epilogue(b, thread);
    });
  }

private:
  /// A thread's row of the tile and its part.
  struct ThreadRow {
    Value part, r, t, valid, clamped;
  };

  ThreadRow rowOf(ImplicitLocOpBuilder &b, Value thread) const {
    ThreadRow row;
    if (shape.parts == 1) {
      row.part = indexConst(b, 0);
      row.r = thread;
    } else {
      row.part = b.create<arith::DivUIOp>(thread, indexConst(b, shape.rows));
      row.r = b.create<arith::RemUIOp>(thread, indexConst(b, shape.rows));
    }
    row.t = b.create<arith::AddIOp>(t0, row.r);
    row.valid = lessThan(b, row.t, queries);
    // Loads of a row past the queries read the last one (never used).
    row.clamped = indexMax(
        b, indexMin(b, row.t, b.create<arith::SubIOp>(queries, indexConst(b, 1))),
        indexConst(b, 0));
    return row;
  }

  static SmallVector<Value> loadAll(ImplicitLocOpBuilder &b, Value slice,
                                    int64_t count) {
    SmallVector<Value> values;
    for (int64_t i = 0; i < count; ++i)
      values.push_back(b.create<memref::LoadOp>(slice, indexConst(b, i)));
    return values;
  }

  static void storeAll(ImplicitLocOpBuilder &b, ArrayRef<Value> values,
                       Value slice) {
    for (auto [i, value] : llvm::enumerate(values))
      b.create<memref::StoreOp>(value, slice,
                                indexConst(b, static_cast<int64_t>(i)));
  }

  /// Phase: each thread's scaled query slice and zero state; part 0 of each
  /// row stores the row's visible keys [lo, hi) ([0, 0) past the queries).
  void prologue(ImplicitLocOpBuilder &b, Value thread) {
    ThreadRow row = rowOf(b, thread);
    double scale = scoreScale(op.getScale(), power);
    Value scaleV = f32Const(b, scale), zero = f32Const(b, 0.0);
    Value first = b.create<arith::MulIOp>(row.part,
                                          indexConst(b, shape.querySlice));
    SmallVector<Value> q;
    for (int64_t d = 0; d < shape.querySlice; ++d) {
      // Columns past D (the last part's padding) are 0.
      Value column = b.create<arith::AddIOp>(first, indexConst(b, d));
      if (shape.parts * shape.querySlice == shape.headDim) {
        Value value = loadF32(b, adaptor.getQuery(),
                              {batch, row.clamped, head, column});
        q.push_back(b.create<arith::MulFOp>(value, scaleV));
        continue;
      }
      Value inside = lessThan(b, column, indexConst(b, shape.headDim));
      Value clamped = indexMin(b, column, indexConst(b, shape.headDim - 1));
      Value value = loadF32(b, adaptor.getQuery(),
                            {batch, row.clamped, head, clamped});
      q.push_back(b.create<arith::SelectOp>(
          inside, b.create<arith::MulFOp>(value, scaleV), zero));
    }
    storeAll(b, q, threadSlice(b, query, thread));
    storeAll(b, SmallVector<Value>(shape.valueSlice, zero),
             threadSlice(b, accumulators, thread));
    Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
    storeAll(b, {power ? zero : lowest, zero},
             threadSlice(b, statistics, thread));
    Value firstPart = b.create<arith::CmpIOp>(arith::CmpIPredicate::eq,
                                              row.part, indexConst(b, 0));
    ifThen(b, firstPart, [&](ImplicitLocOpBuilder &b) {
      keys->storeRowKeys(b, row.r, row.valid, row.clamped);
    });
  }

  /// Phase: keys [k0, k1) and their values into the tiles, zero past them
  /// and past the head dims.
  void loadTiles(ImplicitLocOpBuilder &b, Value thread, Value k0,
                 Value k1) const {
    loadTile(b, thread, k0, k1, adaptor.getKey(), keyTile, shape.querySlice,
             shape.queryStride(), shape.headDim);
    loadTile(b, thread, k0, k1, adaptor.getValue(), valueTile,
             shape.valueSlice, shape.valueStride(), shape.valueDim);
  }

  /// tile[j][p · stride + c] = source[batch, k0 + j, kvHead, p · slice + c]
  /// for element `i · 128 + thread` = j · pitch + p · stride + c: a warp
  /// reads consecutive columns of a key. Loads read clamped indices and are
  /// selected away, so that no thread branches around them.
  void loadTile(ImplicitLocOpBuilder &b, Value thread, Value k0, Value k1,
                Value source, Value tile, int64_t slice, int64_t stride,
                int64_t dims) const {
    int64_t pitch = shape.parts * stride;
    int64_t elements = shape.keys * pitch;
    int64_t steps = (elements + kThreadBlockSize - 1) / kThreadBlockSize;
    sequentialLoops(
        b, {indexConst(b, steps)}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
          Value element = b.create<arith::AddIOp>(
              b.create<arith::MulIOp>(i[0], indexConst(b, kThreadBlockSize)),
              thread);
          auto store = [&](ImplicitLocOpBuilder &b) {
            Value j = b.create<arith::DivUIOp>(element, indexConst(b, pitch));
            Value column =
                b.create<arith::RemUIOp>(element, indexConst(b, pitch));
            Value part =
                b.create<arith::DivUIOp>(column, indexConst(b, stride));
            Value c = b.create<arith::RemUIOp>(column, indexConst(b, stride));
            Value d = b.create<arith::AddIOp>(
                b.create<arith::MulIOp>(part, indexConst(b, slice)), c);
            Value key = b.create<arith::AddIOp>(k0, j);
            Value inside = b.create<arith::AndIOp>(
                lessThan(b, key, k1), lessThan(b, d, indexConst(b, dims)));
            if (slice != stride)
              inside = b.create<arith::AndIOp>(
                  inside, lessThan(b, c, indexConst(b, slice)));
            Value clampedKey = indexMin(
                b, key, b.create<arith::SubIOp>(keyCount, indexConst(b, 1)));
            Value clampedD = indexMin(b, d, indexConst(b, dims - 1));
            Value value =
                loadF32(b, source, {batch, clampedKey, kvHead, clampedD});
            b.create<memref::StoreOp>(
                b.create<arith::SelectOp>(inside, value, f32Const(b, 0.0)),
                tile, ValueRange{j, column});
          };
          if (elements % kThreadBlockSize == 0)
            store(b);
          else
            ifThen(b, lessThan(b, element, indexConst(b, elements)), store);
        });
  }

  /// The dot product of a query slice with key row j of the tile, columns
  /// [first, first + querySlice).
  Value dot(ImplicitLocOpBuilder &b, ArrayRef<Value> q, Value j,
            Value first) const {
    Value sum;
    for (auto [d, qd] : llvm::enumerate(q)) {
      Value column = b.create<arith::AddIOp>(
          first, indexConst(b, static_cast<int64_t>(d)));
      Value k = b.create<memref::LoadOp>(keyTile, ValueRange{j, column});
      sum = sum ? fma(b, qd, k, sum) : b.create<arith::MulFOp>(qd, k);
    }
    return sum;
  }

  /// Phase (parts > 1): the thread's partial scores of the tile's keys.
  void scorePartials(ImplicitLocOpBuilder &b, Value thread, Value k0,
                     Value k1) const {
    ThreadRow row = rowOf(b, thread);
    ifThen(b, row.valid, [&](ImplicitLocOpBuilder &b) {
      SmallVector<Value> q =
          loadAll(b, threadSlice(b, query, thread), shape.querySlice);
      Value first = b.create<arith::MulIOp>(row.part,
                                            indexConst(b, shape.queryStride()));
      // Keys past k1 are masked in phase 3: their partials are not needed.
      Value count = b.create<arith::SubIOp>(k1, k0);
      sequentialLoops(b, {count}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
        b.create<memref::StoreOp>(dot(b, q, j[0], first), partialScores,
                                  ValueRange{thread, j[0]});
      });
    });
  }

  /// Row `row`'s score of tile key j (the sum of its parts' partial scores,
  /// in the same order for every part, soft-capped, plus the bias), and
  /// whether the row
  /// sees the key.
  std::pair<Value, Value> scoreOf(ImplicitLocOpBuilder &b, const ThreadRow &row,
                                  Value k0, Value j, Value lo, Value hi) const {
    Value score;
    for (int64_t p = 0; p < shape.parts; ++p) {
      Value partial = b.create<memref::LoadOp>(
          partialScores,
          ValueRange{b.create<arith::AddIOp>(row.r,
                                             indexConst(b, p * shape.rows)),
                     j});
      score = score ? b.create<arith::AddFOp>(score, partial) : partial;
    }
    Value key = b.create<arith::AddIOp>(k0, j);
    if (std::optional<double> cap = baseTwoSoftCap(op.getSoftcap()))
      score = softCapScore(b, score, *cap);
    if (Value bias = adaptor.getBias()) {
      auto biasShape = cast<MemRefType>(bias.getType()).getShape();
      Value clampedKey = indexMin(
          b, key, b.create<arith::SubIOp>(keyCount, indexConst(b, 1)));
      Value value = loadF32(
          b, bias,
          broadcastIndices(b, biasShape, {batch, head, row.clamped, clampedKey}));
      score = addScoreBias(b, score, value, power);
    }
    Value sees = b.create<arith::AndIOp>(
        b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, key, lo),
        lessThan(b, key, hi));
    return {score, sees};
  }

  /// The scores of the keys [c, c + kScoreLanes) of the tile as a vector,
  /// masked lanes `masked`, and their visibility.
  std::pair<Value, Value> scoreChunk(ImplicitLocOpBuilder &b,
                                     const ThreadRow &row, Value k0, Value c,
                                     Value lo, Value hi, Value masked) const {
    SmallVector<Value> lanes, sees;
    for (int64_t lane = 0; lane < kScoreLanes; ++lane) {
      auto [score, visible] = scoreOf(
          b, row, k0, b.create<arith::AddIOp>(c, indexConst(b, lane)), lo, hi);
      lanes.push_back(b.create<arith::SelectOp>(visible, score, masked));
      sees.push_back(visible);
    }
    return {b.create<vector::FromElementsOp>(f32Vector(b, kScoreLanes), lanes),
            b.create<vector::FromElementsOp>(
                VectorType::get({kScoreLanes}, b.getI1Type()), sees)};
  }

  /// Phase: the row's scores of the tile (+ bias, masked), the online
  /// softmax step or x^p, and the thread's slice of the values weighed. A
  /// thread reads the scores twice from workgroup memory, for the tile's
  /// maximum and then for the weights, in loops over chunks of 4 keys: a
  /// loop unrolled over the whole tile kept every score, weight and value
  /// live at once (254 registers at D = 64).
  void weighValues(ImplicitLocOpBuilder &b, Value thread, Value k0,
                   Value k1) const {
    ThreadRow row = rowOf(b, thread);
    ifThen(b, row.valid, [&](ImplicitLocOpBuilder &b) {
      Value count = b.create<arith::SubIOp>(k1, k0);
      if (shape.parts == 1) {
        // The thread's own scores: only it reads its row of partialScores.
        SmallVector<Value> q =
            loadAll(b, threadSlice(b, query, thread), shape.querySlice);
        sequentialLoops(b, {count}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
          b.create<memref::StoreOp>(dot(b, q, j[0], indexConst(b, 0)),
                                    partialScores, ValueRange{thread, j[0]});
        });
      }
      Value lo, hi;
      std::tie(lo, hi) = keys->rowInterval(b, row.r);
      Value stats = threadSlice(b, statistics, thread);
      Value accSlice = threadSlice(b, accumulators, thread);
      Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
      Value zero = f32Const(b, 0.0);
      Value zero4 = floatConst(b, f32Vector(b, kScoreLanes), 0.0);
      Value chunks = ceilDivConst(b, count, kScoreLanes);
      Value step = indexConst(b, kScoreLanes);
      auto chunkLoop = [&](ValueRange init, ReduceStep body) {
        return forReduce(b, indexConst(b, 0), chunks, init,
                         [&](ImplicitLocOpBuilder &b, Value i,
                             ValueRange carried) -> SmallVector<Value> {
                           return body(b, b.create<arith::MulIOp>(i, step),
                                       carried);
                         });
      };

      Value sum = b.create<memref::LoadOp>(stats, indexConst(b, 1));
      SmallVector<Value> acc = loadAll(b, accSlice, shape.valueSlice);
      Value shift;
      if (!power) {
        Value max = b.create<memref::LoadOp>(stats, indexConst(b, 0));
        Value newMax = chunkLoop(
            {max},
            [&](ImplicitLocOpBuilder &b, Value c,
                ValueRange carried) -> SmallVector<Value> {
              Value scores = scoreChunk(b, row, k0, c, lo, hi, lowest).first;
              return {fastMax(b, carried[0], reduceMax(b, scores))};
            })[0];
        // While every score so far is -inf (masked, or a -inf bias), shift
        // by 0, so that the weights are exp2(-inf) = 0, not exp2(NaN).
        Value allMasked = b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ,
                                                  newMax, lowest);
        shift = b.create<arith::SelectOp>(allMasked, zero, newMax);
        Value rescale = b.create<vector::ExtractOp>(
            exp2NonPositive(
                b, splat(b, b.create<arith::SubFOp>(max, shift), 1)),
            0);
        sum = b.create<arith::MulFOp>(sum, rescale);
        for (Value &a : acc)
          a = b.create<arith::MulFOp>(a, rescale);
        b.create<memref::StoreOp>(newMax, stats, indexConst(b, 0));
      }

      Value first = b.create<arith::MulIOp>(row.part,
                                            indexConst(b, shape.valueStride()));
      SmallVector<Value> init(acc);
      init.push_back(sum);
      SmallVector<Value> results = chunkLoop(
          init,
          [&](ImplicitLocOpBuilder &b, Value c,
              ValueRange carried) -> SmallVector<Value> {
            Value weights;
            if (power) {
              auto [scores, sees] = scoreChunk(b, row, k0, c, lo, hi, zero);
              weights = b.create<arith::SelectOp>(
                  sees,
                  integerPower(b, scores,
                               static_cast<int64_t>(*op.getPower())),
                  zero4);
            } else {
              Value scores = scoreChunk(b, row, k0, c, lo, hi, lowest).first;
              weights = exp2NonPositive(
                  b, b.create<arith::SubFOp>(scores,
                                             splat(b, shift, kScoreLanes)));
            }
            SmallVector<Value> next(carried.drop_back());
            for (int64_t lane = 0; lane < kScoreLanes; ++lane) {
              Value weight = b.create<vector::ExtractOp>(weights, lane);
              Value j = b.create<arith::AddIOp>(c, indexConst(b, lane));
              for (auto [column, a] : llvm::enumerate(next)) {
                Value v = b.create<memref::LoadOp>(
                    valueTile,
                    ValueRange{j, b.create<arith::AddIOp>(
                                      first, indexConst(b, static_cast<int64_t>(
                                                               column)))});
                a = fma(b, weight, v, a);
              }
            }
            next.push_back(
                b.create<arith::AddFOp>(carried.back(), reduceAdd(b, weights)));
            return next;
          });
      b.create<memref::StoreOp>(results.back(), stats, indexConst(b, 1));
      results.pop_back();
      storeAll(b, results, accSlice);
    });
  }

  /// Phase: out = acc / sum for the thread's columns (0 for a row that saw
  /// no key, or only -inf scores).
  void epilogue(ImplicitLocOpBuilder &b, Value thread) const {
    ThreadRow row = rowOf(b, thread);
    ifThen(b, row.valid, [&](ImplicitLocOpBuilder &b) {
      Value sum = b.create<memref::LoadOp>(threadSlice(b, statistics, thread),
                                           indexConst(b, 1));
      SmallVector<Value> acc = loadAll(b, threadSlice(b, accumulators, thread),
                                       shape.valueSlice);
      Value first = b.create<arith::MulIOp>(row.part,
                                            indexConst(b, shape.valueSlice));
      for (auto [c, a] : llvm::enumerate(acc)) {
        Value column = b.create<arith::AddIOp>(
            first, indexConst(b, static_cast<int64_t>(c)));
        auto store = [&, a = a](ImplicitLocOpBuilder &b) {
          storeF32(b, divideOrZero(b, a, sum), out,
                   {batch, row.t, head, column});
        };
        // Only the last part can have columns past Dv.
        if (static_cast<int64_t>(c) + (shape.parts - 1) * shape.valueSlice <
            shape.valueDim)
          store(b);
        else
          ifThen(b, lessThan(b, column, indexConst(b, shape.valueDim)), store);
      }
    });
  }

  // Mutable: their generated accessors are not const.
  mutable AttentionOp op;
  mutable AttentionOp::Adaptor adaptor;
  const FlashShape &shape;
  Value out, queries, batch, head, kvHead, t0;
  Value offsets, keyCount;
  bool power;
  /// Workgroup: the key and value tiles [keys, pitch] f32, the partial
  /// scores [128, keys + 1] f32 (parts > 1).
  Value keyTile, valueTile, partialScores;
  /// The rows' visible keys (allocated after the tiles).
  std::optional<FlashTileKeys> keys;
  /// Private, a slice per thread: the scaled query slice, the output
  /// accumulators, and (running max, sum).
  Value query, accumulators, statistics;
};

struct AttentionBlocksToLoops : OpConversionPattern<AttentionOp> {
  /// Tried before the row form (benefit 2) and the CPU's block form.
  AttentionBlocksToLoops(TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/3) {}

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t headDim = op.getQuery().getType().getDimSize(3);
    int64_t valueDim = op.getValue().getType().getDimSize(3);
    if (ShapedType::isDynamic(headDim) || ShapedType::isDynamic(valueDim) ||
        headDim > kMaxFlashHeadDim || valueDim > kMaxFlashHeadDim)
      return rewriter.notifyMatchFailure(
          op, "head dims must be static and at most 256");
    FlashShape shape = FlashShape::of(headDim, valueDim);
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value out = resultBuffer(op);
    emitFlashGrid(
        b, out, adaptor.getQuery(), adaptor.getKey(), shape.rows,
        [&](ImplicitLocOpBuilder &b, Value out, Value queries, Value batch,
            Value head, Value kvHead, Value t0) {
          FlashBlock(b, op, adaptor, shape, out, queries, batch, head, kvHead,
                     t0)
              .emit(b);
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateAttnBlocksToLoopsPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<AttentionBlocksToLoops>(converter, patterns.getContext());
}
