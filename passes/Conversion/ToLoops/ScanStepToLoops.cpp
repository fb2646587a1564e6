//===- ScanStepToLoops.cpp - Step forms of the recurrences as vectors ----===//
//
// Lowers the per-sequence step ops of the `prefill` and `decode` entries
// whose state is per channel: scan.selective_scan_step,
// scan.linear_recurrence_step and graph.conv1d_step (docs/compiler.md,
// "Generation"), which run a prefill's prompt and every decode step. A
// decode step has one token per sequence, so there is no time loop to
// vectorize: the vectors run across channels (W consecutive channels, the
// last block masked), and for the selective scan also across the N states
// of one channel, which are contiguous in its state [D, N].
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/GenerationState.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/ScanKernels.h"

#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Scan/IR/ScanOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace kiln;

namespace {

/// A pattern that knows the target's vector width.
template <typename Op> struct VectorPattern : OpConversionPattern<Op> {
  VectorPattern(const KernelOptions &options, TypeConverter &converter,
                MLIRContext *context)
      : OpConversionPattern<Op>(converter, context),
        width(options.vectorWidth) {}
  int64_t width;
};

/// selective_scan_step: per (sequence, block of W channels) and step, Δ
/// (bias, softplus) and Δ·u for the block as vectors, then per channel its
/// N states as vectors: h = 2^(Δ·A·log2 e)·h + Δu·B, y = Σ h·C; then the
/// skip and the gate for the block as vectors. The same approximations as
/// the full scan (ScanKernels.h), so the generation entries agree with the
/// full-sequence one.
struct SelectiveScanStepToVectors : VectorPattern<scan::SelectiveScanStepOp> {
  using VectorPattern::VectorPattern;

  LogicalResult
  matchAndRewrite(scan::SelectiveScanStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t numStates = op.getA().getType().getDimSize(1);
    if (ShapedType::isDynamic(numStates))
      return rewriter.notifyMatchFailure(op, "the state size must be static");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    StaticChunks states(b, numStates, width);
    SmallVector<Value> sizes = memrefSizes(b, adaptor.getU());
    Value out = resultBuffer(op);
    Value channels = sizes[2];
    parallelLoops(
        b, {sizes[0], ceilDiv(b, channels, width)},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0];
          Value d0 = b.create<arith::MulIOp>(ivs[1], indexConst(b, width));
          // Per-channel scalars of the block between the passes.
          Value lanes = indexConst(b, width);
          Value perChannel = scratch(b, {indexConst(b, 3), lanes});
          forChannelBlock(b, d0, channels, width,
                          [&](ImplicitLocOpBuilder &b, const ChannelBlock &cb) {
                            sequentialLoops(
                                b, {sizes[1]},
                                [&](ImplicitLocOpBuilder &b, ValueRange t) {
                                  emitStep(b, adaptor, cb, states, batch, t[0],
                                           d0, perChannel, out);
                                });
                          });
        });
    rewriter.replaceOp(op, out);
    return success();
  }

  /// Step `t` of the channel block at `d0`; `perChannel` [3, W] holds Δ,
  /// Δ·u and y of each channel.
  void emitStep(ImplicitLocOpBuilder &b, OpAdaptor adaptor,
                const ChannelBlock &cb, const StaticChunks &states, Value batch,
                Value t, Value d0, Value perChannel, Value out) const {
    Value state = adaptor.getState(), a = adaptor.getA();
    Value bm = adaptor.getBm(), cm = adaptor.getCm();
    SmallVector<Value> at = {batch, t, d0};
    Value dt = cb.load(b, adaptor.getDelta(), at);
    if (Value bias = adaptor.getDeltaBias())
      dt = b.create<arith::AddFOp>(dt, cb.load(b, bias, {d0}));
    if (adaptor.getDeltaSoftplus())
      dt = vectorSoftplus(b, dt);
    Value x = cb.load(b, adaptor.getU(), at);
    Value c0 = indexConst(b, 0), c1 = indexConst(b, 1), c2 = indexConst(b, 2);
    storeVector(b, dt, perChannel, {c0, c0});
    storeVector(b, b.create<arith::MulFOp>(dt, x), perChannel, {c1, c0});

    Value row = stateRow(b, adaptor.getSlots(), batch, state);
    Value count = indexMin(
        b, b.create<arith::SubIOp>(b.create<memref::DimOp>(out, 2), d0),
        indexConst(b, width));
    Value log2e = floatConst(b, f32Vector(b, width), M_LOG2E);
    sequentialLoops(b, {count}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
      Value channel = b.create<arith::AddIOp>(d0, j[0]);
      Value dtV = splat(
          b, b.create<memref::LoadOp>(perChannel, ValueRange{c0, j[0]}), width);
      Value dtuV = splat(
          b, b.create<memref::LoadOp>(perChannel, ValueRange{c1, j[0]}), width);
      Value readout = floatConst(b, f32Vector(b, width), 0.0);
      for (size_t i = 0; i < states.size(); ++i) {
        SmallVector<Value> h = {row, channel};
        Value scaledA =
            b.create<arith::MulFOp>(states.load(b, a, {channel}, i), log2e);
        Value decay = vectorExp2(b, b.create<arith::MulFOp>(dtV, scaledA));
        Value input =
            b.create<arith::MulFOp>(dtuV, states.load(b, bm, {batch, t}, i));
        Value next = fma(b, decay, states.load(b, state, h, i), input);
        states.store(b, next, state, h, i);
        readout = fma(b, next, states.load(b, cm, {batch, t}, i), readout);
      }
      b.create<memref::StoreOp>(reduceAdd(b, readout), perChannel,
                                ValueRange{c2, j[0]});
    });

    Value y = loadVector(b, perChannel, {c2, c0}, width);
    if (Value skip = adaptor.getD())
      y = fma(b, cb.load(b, skip, {d0}), x, y);
    if (Value gate = adaptor.getZ())
      y = b.create<arith::MulFOp>(y, vectorSilu(b, cb.load(b, gate, at)));
    cb.store(b, y, out, at);
  }
};

/// linear_recurrence_step: h = a·h + b across a block of W channels, the
/// state loaded once and stored after the last step.
struct LinearRecurrenceStepToVectors
    : VectorPattern<scan::LinearRecurrenceStepOp> {
  using VectorPattern::VectorPattern;

  LogicalResult
  matchAndRewrite(scan::LinearRecurrenceStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value a = adaptor.getA(), bv = adaptor.getB(), state = adaptor.getState();
    SmallVector<Value> sizes = memrefSizes(b, a);
    Value out = resultBuffer(op);
    Value channels = sizes[2];
    parallelLoops(
        b, {sizes[0], ceilDiv(b, channels, width)},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0];
          Value d0 = b.create<arith::MulIOp>(ivs[1], indexConst(b, width));
          SmallVector<Value> h = {stateRow(b, adaptor.getSlots(), batch, state),
                                  d0};
          forChannelBlock(b, d0, channels, width,
                          [&](ImplicitLocOpBuilder &b, const ChannelBlock &cb) {
                            Value last = forReduce(
                                b, indexConst(b, 0), sizes[1],
                                {cb.load(b, state, h)},
                                [&](ImplicitLocOpBuilder &b, Value t,
                                    ValueRange prev) -> SmallVector<Value> {
                                  SmallVector<Value> at = {batch, t, d0};
                                  Value next = fma(b, cb.load(b, a, at),
                                                   prev[0], cb.load(b, bv, at));
                                  cb.store(b, next, out, at);
                                  return {next};
                                })[0];
                            cb.store(b, last, state, h);
                          });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// conv1d_step: per block of W channels (parallel), the K tap weights
/// gathered into vectors once (a longer kernel than kMaxUnrolledTaps:
/// gathered in a loop over the taps, every step), then for every sequence
/// and step Σ_k w[k]·x[t - (K-1-k)], each tap read from this call's input,
/// else from the ring of the last K-1 inputs, else zero (before the
/// sequence); the last K-1 inputs then replace their ring entries.
struct Conv1dStepToVectors : VectorPattern<graph::Conv1dStepOp> {
  using VectorPattern::VectorPattern;

  LogicalResult
  matchAndRewrite(graph::Conv1dStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    SmallVector<Value> sizes = memrefSizes(b, adaptor.getInput());
    Value out = resultBuffer(op);
    int64_t kernel = op.getWeight().getType().getDimSize(1);
    Value channels = sizes[2];
    parallelLoops(
        b, {ceilDiv(b, channels, width)},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value d0 = b.create<arith::MulIOp>(ivs[0], indexConst(b, width));
          forChannelBlock(
              b, d0, channels, width,
              [&](ImplicitLocOpBuilder &b, const ChannelBlock &cb) {
                SmallVector<Value> taps;
                if (kernel <= kMaxUnrolledTaps)
                  for (int64_t k = 0; k < kernel; ++k)
                    taps.push_back(gatherTap(b, adaptor.getWeight(), d0, cb,
                                             kernel, indexConst(b, k)));
                sequentialLoops(b, {sizes[0]},
                                [&](ImplicitLocOpBuilder &b, ValueRange batch) {
                                  emitSequence(b, adaptor, cb, taps, kernel,
                                               batch[0], d0, sizes[1], out);
                                });
              });
        });
    rewriter.replaceOp(op, out);
    return success();
  }

  /// weight[d0 + lane, k] for tap k, as an f32 vector: the weight is
  /// [C, K], so a block's taps are strided and gathered.
  Value gatherTap(ImplicitLocOpBuilder &b, Value weight, Value d0,
                  const ChannelBlock &cb, int64_t kernel, Value k) const {
    auto weightType = cast<MemRefType>(weight.getType());
    Value flat = b.create<memref::CollapseShapeOp>(
        weight, SmallVector<ReassociationIndices>{{0, 1}});
    SmallVector<int32_t> lanes;
    for (int64_t i = 0; i < width; ++i)
      lanes.push_back(static_cast<int32_t>(i * kernel));
    auto indexType = VectorType::get({width}, b.getI32Type());
    Value strides = b.create<arith::ConstantOp>(
        DenseElementsAttr::get(indexType, ArrayRef<int32_t>(lanes)));
    Value mask = cb.mask ? cb.mask : laneMask(b, indexConst(b, width), width);
    auto storage = VectorType::get({width}, weightType.getElementType());
    Value pass = floatConst(b, storage, 0.0);
    Value rowStart = b.create<arith::MulIOp>(d0, indexConst(b, kernel));
    Value base = b.create<arith::AddIOp>(rowStart, k);
    Value tap = b.create<vector::GatherOp>(storage, flat, ValueRange{base},
                                           strides, mask, pass);
    if (!weightType.getElementType().isF32())
      tap = b.create<arith::ExtFOp>(f32Vector(b, width), tap);
    return tap;
  }

  /// The input `lag` > 0 tokens before step `t` of row `batch`: in this
  /// call's input, else in the ring, else zero (before the sequence). Both
  /// candidates are loaded from clamped, valid places and one selected.
  Value earlierInput(ImplicitLocOpBuilder &b, OpAdaptor adaptor,
                     const ChannelBlock &cb, Value batch, Value row,
                     Value first, Value t, Value d0, Value lag) const {
    Value zero = indexConst(b, 0);
    Value ring = b.create<memref::DimOp>(adaptor.getState(), 1);
    Value local = b.create<arith::SubIOp>(t, lag);
    Value position =
        b.create<arith::SubIOp>(b.create<arith::AddIOp>(first, t), lag);
    Value inInput =
        b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, local, zero);
    Value inRing =
        b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, position, zero);
    Value fromInput =
        cb.load(b, adaptor.getInput(), {batch, indexMax(b, local, zero), d0});
    Value fromRing =
        cb.load(b, adaptor.getState(),
                {row, ringEntry(b, indexMax(b, position, zero), ring), d0});
    Value zeroV = floatConst(b, f32Vector(b, width), 0.0);
    return b.create<arith::SelectOp>(
        inInput, fromInput, b.create<arith::SelectOp>(inRing, fromRing, zeroV));
  }

  /// The steps of row `batch` for the channel block at `d0`, then its ring
  /// update. `taps` holds the gathered taps, or none: each step gathers
  /// them in a loop.
  void emitSequence(ImplicitLocOpBuilder &b, OpAdaptor adaptor,
                    const ChannelBlock &cb, ArrayRef<Value> taps,
                    int64_t kernel, Value batch, Value d0, Value steps,
                    Value out) const {
    Value input = adaptor.getInput(), state = adaptor.getState();
    Value row = stateRow(b, adaptor.getSlots(), batch, state);
    Value first = firstPosition(b, adaptor.getPositions(), batch);
    Value ring = indexConst(b, kernel - 1);
    Value bias = adaptor.getBias();
    sequentialLoops(b, {steps}, [&](ImplicitLocOpBuilder &b, ValueRange t) {
      Value acc = bias ? cb.load(b, bias, {d0})
                       : floatConst(b, f32Vector(b, width), 0.0);
      // Tap k reads the token K-1-k back; the last tap is this call's.
      if (taps.empty()) {
        acc = forReduce(
            b, indexConst(b, 0), ring, {acc},
            [&](ImplicitLocOpBuilder &b, Value k,
                ValueRange carried) -> SmallVector<Value> {
              Value lag = b.create<arith::SubIOp>(ring, k);
              return {fma(b,
                          gatherTap(b, adaptor.getWeight(), d0, cb, kernel, k),
                          earlierInput(b, adaptor, cb, batch, row, first, t[0],
                                       d0, lag),
                          carried[0])};
            })[0];
      } else {
        for (int64_t k = 0; k + 1 < kernel; ++k)
          acc = fma(b, taps[k],
                    earlierInput(b, adaptor, cb, batch, row, first, t[0], d0,
                                 indexConst(b, kernel - 1 - k)),
                    acc);
      }
      Value last = taps.empty() ? gatherTap(b, adaptor.getWeight(), d0, cb,
                                            kernel, indexConst(b, kernel - 1))
                                : taps.back();
      acc = fma(b, last, cb.load(b, input, {batch, t[0], d0}), acc);
      cb.store(b, acc, out, {batch, t[0], d0});
    });
    // Only the last K-1 inputs survive in the ring.
    Value kept = indexMin(b, steps, ring);
    Value skipped = b.create<arith::SubIOp>(steps, kept);
    sequentialLoops(b, {kept}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
      Value t = b.create<arith::AddIOp>(skipped, i[0]);
      Value entry = ringEntry(b, b.create<arith::AddIOp>(first, t), ring);
      cb.store(b, cb.load(b, input, {batch, t, d0}), state, {row, entry, d0});
    });
  }
};

} // namespace

void kiln::populateScanStepToLoopsPatterns(const KernelOptions &options,
                                           TypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<SelectiveScanStepToVectors, LinearRecurrenceStepToVectors,
               Conv1dStepToVectors>(options, converter, patterns.getContext());
}
