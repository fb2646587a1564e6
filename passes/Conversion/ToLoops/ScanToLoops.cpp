//===- ScanToLoops.cpp - Scan ops to vector loops -------------------------===//
//
// Lowers the recurrences of the scan dialect to explicit vector code.
// Channels are independent, so both ops are vectorized across channels: one
// vector of W = vectorWidth consecutive channels carries its state through a
// sequential loop over time, and scf.parallel (OpenMP) runs the (batch,
// channel block) pairs. A channel count that W does not divide ends with a
// block whose loads and stores are masked to the channels that exist.
//
// selective_scan keeps the N state vectors h[n] of a block as scf.for
// iter_args (in registers) when N is static and at most kMaxRegisterStates:
// time runs in chunks of kTimeChunk steps, each a loop computing Δ
// (softplus) and silu(z) into small buffers, then one pass per group of
// kStateGroup states fusing exp(Δ·A), the input Δ·B·u and the readout Σ h·C;
// the last pass adds the skip D·u, applies the gate and stores y. A larger or
// dynamic N keeps the states in a per-block scratch buffer of vectors.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/ScanKernels.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "dialects/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::scan;

namespace {

/// State vectors carried in registers by one pass over time. A step of a
/// pass is a long dependent chain (Δ·A, the exp polynomial, the update, the
/// readout), so fewer states per pass let the out-of-order core overlap more
/// steps, and they leave registers for the exp constants (16 vector
/// registers with AVX2; AVX-512's 32 hold 16-lane vectors as two 256-bit
/// halves on CPUs that prefer 256-bit vectors). Measured with llvm-mca on
/// znver3: 4 to 6 states per pass are fastest; more spill.
constexpr int64_t kStateGroup = 4;

/// Steps per chunk: Δ (after softplus), silu(z) and the partial readout of a
/// chunk live in three [kTimeChunk, W] buffers between the passes, 12 KiB at
/// W = 16, which stay in L1.
constexpr int64_t kTimeChunk = 64;

/// Static N up to this many states use the register passes (unrolled in the
/// generated code); more, or a dynamic N, loop over a scratch buffer of state
/// vectors every step.
constexpr int64_t kMaxRegisterStates = 64;

/// Independent partial sums of the readout Σ_n h[n]·C[n] within a pass, so
/// that its FMAs do not form one serial chain (FMA latency 4 cycles).
constexpr int64_t kReadoutPartials = 2;

/// Per-block buffers of the register form, [kTimeChunk, W] each: Δ, the
/// partial readout between passes (several passes only) and silu(z) (with z
/// only).
struct StepBuffers {
  Value delta, sum, gate;
};

struct SelectiveScanToLoops : OpConversionPattern<SelectiveScanOp> {
  SelectiveScanToLoops(const KernelOptions &options, TypeConverter &converter,
                       MLIRContext *context)
      : OpConversionPattern(converter, context), width(options.vectorWidth) {}

  int64_t width;

  LogicalResult
  matchAndRewrite(SelectiveScanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value u = adaptor.getU(), a = adaptor.getA();
    SmallVector<Value> sizes = memrefSizes(b, u);
    Value steps = sizes[1], channels = sizes[2],
          states = memrefSizes(b, a)[1];
    Value y = resultBuffer(op, 0);
    Value offsets = adaptor.getSeqOffsets();
    // Tokens outside every packed sequence are zero.
    if (offsets)
      fillZero(b, y);
    Value finalState;
    if (op.getFinalState())
      finalState = resultBuffer(op, 1);
    bool softplus = op.getDeltaSoftplus();
    std::optional<int64_t> staticStates = getConstantIntValue(states);
    bool inRegisters = staticStates && *staticStates <= kMaxRegisterStates;

    // Aᵀ·log2(e) [N, D] in f32, made once per call, so that A[d0:d0+W, n]
    // is one contiguous vector load ready for vectorExp2.
    auto aType = MemRefType::get(
        {staticStates ? *staticStates : ShapedType::kDynamic,
         cast<MemRefType>(a.getType()).getDimSize(0)},
        b.getF32Type());
    Value aT = allocBuffer(b, aType, {states, channels});
    sequentialLoops(b, {channels, states},
                    [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                      Value scaled = b.create<arith::MulFOp>(
                          loadF32(b, a, ivs), f32Const(b, M_LOG2E));
                      b.create<memref::StoreOp>(scaled, aT,
                                                ValueRange{ivs[1], ivs[0]});
                    });

    parallelLoops(
        b, {sizes[0], ceilDiv(b, channels, width)},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0];
          Value d0 = b.create<arith::MulIOp>(ivs[1], indexConst(b, width));
          // Per-block scratch (the parallel body is an allocation scope): the
          // state between chunks and at the end, and the step buffers of the
          // multi-pass form.
          Value vectorWidth = indexConst(b, width);
          Value stateBuffer = scratch(b, {states, vectorWidth});
          StepBuffers buffers;
          if (inRegisters) {
            Value chunk = indexConst(b, kTimeChunk);
            buffers.delta = scratch(b, {chunk, vectorWidth});
            if (*staticStates > kStateGroup)
              buffers.sum = scratch(b, {chunk, vectorWidth});
            if (adaptor.getZ())
              buffers.gate = scratch(b, {chunk, vectorWidth});
          }
          forChannelBlock(
              b, d0, channels, width,
              [&](ImplicitLocOpBuilder &b, const ChannelBlock &cb) {
                forEachSequence(
                    b, offsets, steps,
                    [&](ImplicitLocOpBuilder &b, Value begin, Value end) {
                      emitBlock(b, adaptor, cb, batch, d0, begin, end, states,
                                aT, y, stateBuffer, buffers, softplus,
                                inRegisters);
                    });
              });
          if (finalState) {
            Value lanes = indexMin(b, b.create<arith::SubIOp>(channels, d0),
                                   indexConst(b, width));
            sequentialLoops(
                b, {lanes, states}, [&](ImplicitLocOpBuilder &b, ValueRange l) {
                  Value h = b.create<memref::LoadOp>(stateBuffer,
                                                     ValueRange{l[1], l[0]});
                  Value d = b.create<arith::AddIOp>(d0, l[0]);
                  storeF32(b, h, finalState, {batch, d, l[1]});
                });
          }
        });
    SmallVector<Value> results = {y};
    if (finalState)
      results.push_back(finalState);
    rewriter.replaceOp(op, results);
    return success();
  }

  /// The scan of one channel block over the steps [begin, end), from a zero
  /// state; leaves the last state in `stateBuffer` [N, W].
  void emitBlock(ImplicitLocOpBuilder &b, OpAdaptor adaptor,
                 const ChannelBlock &cb, Value batch, Value d0, Value begin,
                 Value end, Value states, Value aT, Value y, Value stateBuffer,
                 const StepBuffers &buffers, bool softplus,
                 bool inRegisters) const {
    Value u = adaptor.getU(), delta = adaptor.getDelta(), bm = adaptor.getB(),
          cm = adaptor.getC(), skip = adaptor.getD(), gate = adaptor.getZ(),
          deltaBias = adaptor.getDeltaBias();
    Value zeroV = floatConst(b, f32Vector(b, width), 0.0);
    Value c0 = indexConst(b, 0);
    Value bias = deltaBias ? cb.load(b, deltaBias, {d0}) : Value();
    Value skipWeight = skip ? cb.load(b, skip, {d0}) : Value();
    sequentialLoops(b, {states}, [&](ImplicitLocOpBuilder &b, ValueRange n) {
      storeVector(b, zeroV, stateBuffer, {n[0], c0});
    });

    // Δ[t] of the block, after the bias and softplus.
    auto computeDelta = [&](ImplicitLocOpBuilder &b, Value t) {
      Value dt = cb.load(b, delta, {batch, t, d0});
      if (bias)
        dt = b.create<arith::AddFOp>(dt, bias);
      if (softplus)
        dt = vectorSoftplus(b, dt);
      return dt;
    };
    // One state: h = 2^(Δ·A[d, n]·log2 e)·h + Δu·B[t, n]; returns h and adds
    // h·C[t, n] to `sum`.
    auto update = [&](ImplicitLocOpBuilder &b, Value n, Value t, Value dt,
                      Value dtu, Value h, Value &sum) {
      Value decay =
          vectorExp2(b, b.create<arith::MulFOp>(dt, cb.load(b, aT, {n, d0})));
      Value bn = splat(b, loadF32(b, bm, {batch, t, n}), width);
      Value next = fma(b, decay, h, b.create<arith::MulFOp>(dtu, bn));
      Value cn = splat(b, loadF32(b, cm, {batch, t, n}), width);
      sum = fma(b, next, cn, sum);
      return next;
    };
    // y[t] from the full readout: + D·u, · silu(z) (`gated`, when given,
    // instead of computing it).
    auto finish = [&](ImplicitLocOpBuilder &b, Value t, Value out, Value ut,
                      Value gated) {
      SmallVector<Value> btd = {batch, t, d0};
      if (skipWeight)
        out = fma(b, skipWeight, ut, out);
      if (gate)
        out = b.create<arith::MulFOp>(
            out, gated ? gated : vectorSilu(b, cb.load(b, gate, btd)));
      cb.store(b, out, y, btd);
    };

    if (!inRegisters) {
      // The states stay in the scratch buffer: one loop over n per step.
      forReduce(b, begin, end, {},
                [&](ImplicitLocOpBuilder &b, Value step,
                    ValueRange) -> SmallVector<Value> {
                  Value t[] = {step};
                  Value dt = computeDelta(b, t[0]);
                  Value ut = cb.load(b, u, {batch, t[0], d0});
                  Value dtu = b.create<arith::MulFOp>(dt, ut);
                  Value out = forReduce(
                      b, c0, states, {zeroV},
                      [&](ImplicitLocOpBuilder &b, Value n,
                          ValueRange sum) -> SmallVector<Value> {
                        SmallVector<Value> at = {n, c0};
                        Value acc = sum[0];
                        Value hn = loadVector(b, stateBuffer, at, width);
                        storeVector(b, update(b, n, t[0], dt, dtu, hn, acc),
                                    stateBuffer, at);
                        return {acc};
                      })[0];
                  finish(b, t[0], out, ut, Value());
                  return {};
                });
      return;
    }

    // Registers: chunks of kTimeChunk steps. Per chunk, a first loop
    // computes Δ and silu(z) into the step buffers (no loop-carried
    // dependence, so its long softplus chains overlap), then one pass over
    // the chunk per group of kStateGroup states, whose vectors are iter_args;
    // every pass but the last leaves its partial readout for the next.
    int64_t numStates = *getConstantIntValue(states);
    int64_t groups = llvm::divideCeil(numStates, kStateGroup);
    Value chunk = indexConst(b, kTimeChunk);
    b.create<scf::ForOp>(
        begin, end, chunk, ValueRange(),
        [&](OpBuilder &nested, Location loc, Value t0, ValueRange) {
          ImplicitLocOpBuilder b(loc, nested);
          Value tEnd = indexMin(b, b.create<arith::AddIOp>(t0, chunk), end);
          b.create<scf::ForOp>(
              t0, tEnd, indexConst(b, 1), ValueRange(),
              [&](OpBuilder &nested, Location loc, Value t, ValueRange) {
                ImplicitLocOpBuilder b(loc, nested);
                SmallVector<Value> at = {b.create<arith::SubIOp>(t, t0), c0};
                storeVector(b, computeDelta(b, t), buffers.delta, at);
                if (buffers.gate)
                  storeVector(b,
                              vectorSilu(b, cb.load(b, gate, {batch, t, d0})),
                              buffers.gate, at);
                b.create<scf::YieldOp>();
              });
          for (int64_t g = 0; g < groups; ++g) {
            int64_t first = g * kStateGroup,
                    count = std::min(kStateGroup, numStates - first);
            SmallVector<Value> init;
            for (int64_t n = first; n < first + count; ++n)
              init.push_back(
                  loadVector(b, stateBuffer, {indexConst(b, n), c0}, width));
            SmallVector<Value> last = forReduce(
                b, t0, tEnd, init,
                [&](ImplicitLocOpBuilder &b, Value t,
                    ValueRange h) -> SmallVector<Value> {
                  SmallVector<Value> at = {b.create<arith::SubIOp>(t, t0), c0};
                  Value dt = loadVector(b, buffers.delta, at, width);
                  Value ut = cb.load(b, u, {batch, t, d0});
                  Value dtu = b.create<arith::MulFOp>(dt, ut);
                  SmallVector<Value> partial(std::min(count, kReadoutPartials),
                                             zeroV);
                  if (g > 0)
                    partial[0] = loadVector(b, buffers.sum, at, width);
                  SmallVector<Value> next;
                  for (int64_t i = 0; i < count; ++i)
                    next.push_back(update(b, indexConst(b, first + i), t, dt,
                                          dtu, h[i],
                                          partial[i % kReadoutPartials]));
                  Value out = partial[0];
                  for (size_t i = 1; i < partial.size(); ++i)
                    out = b.create<arith::AddFOp>(out, partial[i]);
                  if (g + 1 < groups)
                    storeVector(b, out, buffers.sum, at);
                  else
                    finish(b, t, out, ut,
                           buffers.gate
                               ? loadVector(b, buffers.gate, at, width)
                               : Value());
                  return next;
                });
            for (int64_t i = 0; i < count; ++i)
              storeVector(b, last[i], stateBuffer,
                          {indexConst(b, first + i), c0});
          }
          b.create<scf::YieldOp>();
        });
  }
};

struct LinearRecurrenceToLoops : OpConversionPattern<LinearRecurrenceOp> {
  LinearRecurrenceToLoops(const KernelOptions &options,
                          TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context), width(options.vectorWidth) {}

  int64_t width;

  LogicalResult
  matchAndRewrite(LinearRecurrenceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value a = adaptor.getA(), bv = adaptor.getB(), h0 = adaptor.getH0();
    Value offsets = adaptor.getSeqOffsets();
    SmallVector<Value> sizes = memrefSizes(b, a);
    Value steps = sizes[1], channels = sizes[2];
    Value out = resultBuffer(op);
    // Tokens outside every packed sequence are zero.
    if (offsets)
      fillZero(b, out);
    bool reverse = op.getReverse();

    parallelLoops(
        b, {sizes[0], ceilDiv(b, channels, width)},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0];
          Value d0 = b.create<arith::MulIOp>(ivs[1], indexConst(b, width));
          forChannelBlock(
              b, d0, channels, width,
              [&](ImplicitLocOpBuilder &b, const ChannelBlock &cb) {
                Value init = h0 ? cb.load(b, h0, {batch, d0})
                                : floatConst(b, f32Vector(b, width), 0.0);
                // Every sequence starts from h0 (or 0).
                forEachSequence(
                    b, offsets, steps,
                    [&](ImplicitLocOpBuilder &b, Value begin, Value end) {
                      Value last =
                          b.create<arith::SubIOp>(end, indexConst(b, 1));
                      forReduce(b, begin, end, {init},
                                [&](ImplicitLocOpBuilder &b, Value step,
                                    ValueRange h) -> SmallVector<Value> {
                                  // Backwards: end - 1 - (step - begin).
                                  Value t =
                                      reverse
                                          ? b.create<arith::SubIOp>(
                                                 b.createOrFold<arith::AddIOp>(
                                                     last, begin),
                                                 step)
                                                .getResult()
                                          : step;
                                  SmallVector<Value> at = {batch, t, d0};
                                  Value next = fma(b, cb.load(b, a, at), h[0],
                                                   cb.load(b, bv, at));
                                  cb.store(b, next, out, at);
                                  return {next};
                                });
                    });
              });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateScanToLoopsPatterns(const KernelOptions &options,
                                       TypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<SelectiveScanToLoops, LinearRecurrenceToLoops>(
      options, converter, patterns.getContext());
}
