//===- ScanChunksToLoops.cpp - Scans in chunks of time, for the GPU -------===//
//
// The GPU's form of scan.selective_scan and scan.linear_recurrence
// (`chunked-scans`). The CPU form gives a parallel iteration a block of
// channels and walks all of time: B·D/W iterations, far too few threads to
// fill a GPU at small batch (Mamba-130m at batch 1: 384). Here time is cut
// into chunks of kChunk steps as well, and the recurrence h_t = a_t·h_{t-1} +
// b_t is solved in three parallel loops whose iterations are one channel (a
// thread; neighbouring threads read neighbouring channels, so loads
// coalesce):
//   1. per (batch, chunk, channel): the chunk's scan from a zero state; its
//      last state E_c and its total decay P_c = Π a_t are written out (the
//      selective scan's decays are 2^(Δ·A'), so it keeps Σ Δ instead);
//   2. per (batch, [state,] channel): the state entering each chunk, H_0 =
//      h0 or 0, H_{c+1} = P_c·H_c + E_c, sequentially over the chunks;
//   3. per (batch, chunk, channel): the chunk's scan again, from H_c, now
//      writing the outputs.
// H_c is the sequential scan's state with its products of decays grouped
// per chunk, so the results agree with the per-block form to rounding.
// Passes 1 and 3 both do the per-step work; in exchange B·⌈T/kChunk⌉·D
// threads run. Packed sequences (seq_offsets), whose states restart inside
// a chunk, and a dynamic or large N keep the per-block form.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/ScanKernels.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "dialects/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::scan;

namespace {

/// Steps per chunk: T = 1024 gives 16 chunks, 16 threads per channel.
constexpr int64_t kChunk = 64;

/// Static N up to this many states: a thread keeps them in registers.
constexpr int64_t kMaxStates = 16;

/// One lane: the scan kernels' vector functions (2^x, softplus, silu) work on
/// vectors, and a thread handles one channel.
constexpr int64_t kLane = 1;

/// Folds `step` over the steps [begin, end), backwards when `reverse`.
SmallVector<Value> overSteps(ImplicitLocOpBuilder &b, Value begin, Value end,
                             bool reverse, ValueRange init, ReduceStep step) {
  return forReduce(b, begin, end, init,
                   [&](ImplicitLocOpBuilder &b, Value i, ValueRange acc) {
                     Value t = i;
                     if (reverse) // end - 1 - (i - begin)
                       t = b.create<arith::SubIOp>(
                           b.create<arith::AddIOp>(begin, end),
                           b.create<arith::AddIOp>(i, indexConst(b, 1)));
                     return step(b, t, acc);
                   });
}

struct SelectiveScanChunksToLoops : OpConversionPattern<SelectiveScanOp> {
  SelectiveScanChunksToLoops(TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(SelectiveScanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t stateCount = cast<ShapedType>(op.getA().getType()).getDimSize(1);
    std::optional<int64_t> states;
    if (!ShapedType::isDynamic(stateCount))
      states = stateCount;
    if (adaptor.getSeqOffsets() || !states || *states > kMaxStates)
      return rewriter.notifyMatchFailure(
          op, "packed sequences or a dynamic or large N");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Step step{adaptor.getU(),     adaptor.getDelta(), adaptor.getA(),
              adaptor.getB(),     adaptor.getC(),     adaptor.getD(),
              adaptor.getZ(),     adaptor.getDeltaBias(),
              *states,            op.getDeltaSoftplus()};
    SmallVector<Value> sizes = memrefSizes(b, adaptor.getU());
    Value batches = sizes[0], steps = sizes[1], channels = sizes[2];
    Value chunks = ceilDiv(b, steps, kChunk);
    Value y = resultBuffer(op, 0);
    // Σ Δ of each chunk, and each chunk's last state from zero, which pass 2
    // overwrites with the state entering the chunk.
    Value sums = allocF32Buffer(b, {batches, chunks, channels});
    Value carries =
        allocF32Buffer(b, {batches, chunks, indexConst(b, *states), channels});

    parallelLoops(b, {batches, chunks, channels},
                  [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                    auto [begin, end] = chunkBounds(b, ivs[1], kChunk, steps);
                    SmallVector<Value> rates = step.decayRates(b, ivs[2]);
                    SmallVector<Value> init(*states + 1, zero(b));
                    SmallVector<Value> last = overSteps(
                        b, begin, end, /*reverse=*/false, init,
                        [&](ImplicitLocOpBuilder &b, Value t, ValueRange acc) {
                          Value dt = step.delta(b, ivs[0], t, ivs[2]);
                          SmallVector<Value> next =
                              step.advance(b, ivs[0], t, ivs[2], dt, rates,
                                           acc.drop_back(), /*readout=*/false)
                                  .states;
                          next.push_back(
                              b.create<arith::AddFOp>(acc.back(), dt));
                          return next;
                        });
                    storeVector(b, last.back(), sums, ivs);
                    for (int64_t n = 0; n < *states; ++n)
                      storeVector(b, last[n], carries,
                                  {ivs[0], ivs[1], indexConst(b, n), ivs[2]});
                  });

    Value finalState;
    if (op.getFinalState())
      finalState = resultBuffer(op, 1);
    parallelLoops(
        b, {batches, indexConst(b, *states), channels},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0], n = ivs[1], d = ivs[2];
          Value decayRate = step.decayRate(b, d, n);
          Value last = forReduce(
              b, indexConst(b, 0), chunks, {zero(b)},
              [&](ImplicitLocOpBuilder &b, Value chunk, ValueRange h) {
                SmallVector<Value> at = {batch, chunk, n, d};
                Value chunkEnd = loadVector(b, carries, at, kLane);
                storeVector(b, h[0], carries, at);
                Value decay = vectorExp2(
                    b, b.create<arith::MulFOp>(
                           decayRate,
                           loadVector(b, sums, {batch, chunk, d}, kLane)));
                return SmallVector<Value>{fma(b, decay, h[0], chunkEnd)};
              })[0];
          if (finalState)
            storeVector(b, last, finalState, {batch, d, n});
        });

    parallelLoops(
        b, {batches, chunks, channels},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          auto [begin, end] = chunkBounds(b, ivs[1], kChunk, steps);
          SmallVector<Value> rates = step.decayRates(b, ivs[2]);
          SmallVector<Value> init;
          for (int64_t n = 0; n < *states; ++n)
            init.push_back(loadVector(
                b, carries, {ivs[0], ivs[1], indexConst(b, n), ivs[2]},
                kLane));
          overSteps(b, begin, end, /*reverse=*/false, init,
                    [&](ImplicitLocOpBuilder &b, Value t, ValueRange h) {
                      Advanced next = step.advance(
                          b, ivs[0], t, ivs[2], step.delta(b, ivs[0], t, ivs[2]),
                          rates, h, /*readout=*/true);
                      storeVector(b, step.output(b, ivs[0], t, ivs[2], next),
                                  y, {ivs[0], t, ivs[2]});
                      return next.states;
                    });
        });

    SmallVector<Value> results = {y};
    if (finalState)
      results.push_back(finalState);
    rewriter.replaceOp(op, results);
    return success();
  }

  static Value zero(ImplicitLocOpBuilder &b) {
    return floatConst(b, f32Vector(b, kLane), 0.0);
  }

  /// A step's states and what its output needs.
  struct Advanced {
    SmallVector<Value> states;
    Value readout, input;
  };

  /// One channel's step of the selective scan (docs/compiler.md, "Scans"),
  /// on one-lane vectors.
  struct Step {
    Value u, deltaIn, a, bm, cm, skip, gate, deltaBias;
    int64_t states;
    bool softplus;

    /// Δ[b, t, d] after the bias and softplus.
    Value delta(ImplicitLocOpBuilder &b, Value batch, Value t,
                Value d) const {
      Value dt = loadVector(b, deltaIn, {batch, t, d}, kLane);
      if (deltaBias)
        dt = b.create<arith::AddFOp>(dt, loadVector(b, deltaBias, {d}, kLane));
      return softplus ? vectorSoftplus(b, dt) : dt;
    }

    /// A[d, n]·log2(e): a state's decay over a step is 2^(Δ·that).
    Value decayRate(ImplicitLocOpBuilder &b, Value d, Value n) const {
      return b.create<arith::MulFOp>(
          loadVector(b, a, {d, n}, kLane),
          floatConst(b, f32Vector(b, kLane), M_LOG2E));
    }
    /// Every state's decay rate of channel `d`, loaded once per thread.
    SmallVector<Value> decayRates(ImplicitLocOpBuilder &b, Value d) const {
      SmallVector<Value> rates;
      for (int64_t n = 0; n < states; ++n)
        rates.push_back(decayRate(b, d, indexConst(b, n)));
      return rates;
    }

    /// h[n] = 2^(Δ·A'[n])·h[n] + Δ·u·B[t, n] for every state, and with
    /// `readout` Σ h[n]·C[t, n].
    Advanced advance(ImplicitLocOpBuilder &b, Value batch, Value t, Value d,
                     Value dt, ArrayRef<Value> rates, ValueRange h,
                     bool readout) const {
      Value ut = loadVector(b, u, {batch, t, d}, kLane);
      Value dtu = b.create<arith::MulFOp>(dt, ut);
      Advanced next{{}, zero(b), ut};
      for (int64_t n = 0; n < states; ++n) {
        Value state = indexConst(b, n);
        Value decay =
            vectorExp2(b, b.create<arith::MulFOp>(dt, rates[n]));
        Value bn = loadVector(b, bm, {batch, t, state}, kLane);
        next.states.push_back(
            fma(b, decay, h[n], b.create<arith::MulFOp>(dtu, bn)));
        if (!readout)
          continue;
        Value cn = loadVector(b, cm, {batch, t, state}, kLane);
        next.readout = fma(b, next.states.back(), cn, next.readout);
      }
      return next;
    }

    /// y[b, t, d]: the readout, + D·u, · silu(z).
    Value output(ImplicitLocOpBuilder &b, Value batch, Value t, Value d,
                 const Advanced &step) const {
      Value out = step.readout;
      if (skip)
        out = fma(b, loadVector(b, skip, {d}, kLane), step.input, out);
      if (gate)
        out = b.create<arith::MulFOp>(
            out, vectorSilu(b, loadVector(b, gate, {batch, t, d}, kLane)));
      return out;
    }
  };
};

struct LinearRecurrenceChunksToLoops
    : OpConversionPattern<LinearRecurrenceOp> {
  LinearRecurrenceChunksToLoops(TypeConverter &converter,
                                MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(LinearRecurrenceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (adaptor.getSeqOffsets())
      return rewriter.notifyMatchFailure(op, "packed sequences");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value a = adaptor.getA(), bv = adaptor.getB(), h0 = adaptor.getH0();
    bool reverse = op.getReverse();
    SmallVector<Value> sizes = memrefSizes(b, a);
    Value batches = sizes[0], steps = sizes[1], channels = sizes[2];
    Value chunks = ceilDiv(b, steps, kChunk);
    Value out = resultBuffer(op);
    // Each chunk's Π a and its last state from zero, which pass 2 overwrites
    // with the state entering the chunk.
    Value products = allocF32Buffer(b, {batches, chunks, channels});
    Value carries = allocF32Buffer(b, {batches, chunks, channels});
    Value zero = floatConst(b, f32Vector(b, kLane), 0.0);
    Value one = floatConst(b, f32Vector(b, kLane), 1.0);
    auto stepAt = [&](ImplicitLocOpBuilder &b, Value batch, Value t, Value d,
                      Value h) {
      SmallVector<Value> at = {batch, t, d};
      return fma(b, loadVector(b, a, at, kLane), h,
                 loadVector(b, bv, at, kLane));
    };

    parallelLoops(
        b, {batches, chunks, channels},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          auto [begin, end] = chunkBounds(b, ivs[1], kChunk, steps);
          SmallVector<Value> last = overSteps(
              b, begin, end, reverse, {zero, one},
              [&](ImplicitLocOpBuilder &b, Value t, ValueRange acc) {
                Value at = loadVector(b, a, {ivs[0], t, ivs[2]}, kLane);
                return SmallVector<Value>{
                    stepAt(b, ivs[0], t, ivs[2], acc[0]),
                    b.create<arith::MulFOp>(acc[1], at)};
              });
          storeVector(b, last[0], carries, ivs);
          storeVector(b, last[1], products, ivs);
        });

    parallelLoops(
        b, {batches, channels}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0], d = ivs[1];
          Value init = h0 ? loadVector(b, h0, {batch, d}, kLane) : zero;
          // Backwards in time, the last chunk comes first.
          overSteps(b, indexConst(b, 0), chunks, reverse, {init},
                    [&](ImplicitLocOpBuilder &b, Value chunk, ValueRange h) {
                      SmallVector<Value> at = {batch, chunk, d};
                      Value chunkEnd = loadVector(b, carries, at, kLane);
                      storeVector(b, h[0], carries, at);
                      return SmallVector<Value>{
                          fma(b, loadVector(b, products, at, kLane), h[0],
                              chunkEnd)};
                    });
        });

    parallelLoops(
        b, {batches, chunks, channels},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          auto [begin, end] = chunkBounds(b, ivs[1], kChunk, steps);
          overSteps(b, begin, end, reverse,
                    {loadVector(b, carries, ivs, kLane)},
                    [&](ImplicitLocOpBuilder &b, Value t, ValueRange h) {
                      Value next = stepAt(b, ivs[0], t, ivs[2], h[0]);
                      storeVector(b, next, out, {ivs[0], t, ivs[2]});
                      return SmallVector<Value>{next};
                    });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateScanChunksToLoopsPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<SelectiveScanChunksToLoops, LinearRecurrenceChunksToLoops>(
      converter, patterns.getContext());
}
