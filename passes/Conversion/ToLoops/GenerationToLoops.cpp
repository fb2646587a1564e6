//===- GenerationToLoops.cpp - Stateful generation ops to loops -----------===//
//
// Lowers the ops of the `prefill` and `decode` entries (docs/compiler.md,
// "Generation"): attn.decode_attention, attn.linear_attention_step,
// scan.selective_scan_step, scan.linear_recurrence_step, graph.conv1d_step
// and graph.ring_store. They read and update the per-sequence state buffers
// in place (function arguments owned by the runtime session); row `b` of a
// batch works on state row `slots[b]`, which the runtime guarantees distinct
// and in range (the kernels still clamp it, so that a bad value can never
// address outside the state).
//
// A decode step touches one token per sequence, so these are plain loop
// nests, parallel over (sequence, head or channel), left to LLVM's
// vectorizer: the step's cost is the GEMMs reading the weights.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Attn/IR/AttnOps.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace kiln;

namespace {

MemRefType resultType(const TypeConverter *converter, Operation *op) {
  return cast<MemRefType>(converter->convertType(op->getResult(0).getType()));
}

/// The state row of batch row `b`: slots[b] clamped into the state.
Value stateRow(ImplicitLocOpBuilder &b, Value slots, Value row, Value state) {
  Value slot = b.create<memref::LoadOp>(slots, row);
  return clampIndex(b, slot, b.create<memref::DimOp>(state, 0));
}

/// The position of batch row `b`'s first token, as an index.
Value firstPosition(ImplicitLocOpBuilder &b, Value positions, Value row) {
  Value position = b.create<memref::LoadOp>(positions, row);
  return b.create<arith::IndexCastOp>(b.getIndexType(), position);
}

Value remainder(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return b.create<arith::RemUIOp>(lhs, rhs);
}

/// φ of linear attention on an f32 scalar.
Value featureMap(ImplicitLocOpBuilder &b, attn::FeatureMap map, Value x) {
  switch (map) {
  case attn::FeatureMap::elu1: {
    Value positive =
        b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, x, f32Const(b, 0));
    return b.create<arith::SelectOp>(
        positive, b.create<arith::AddFOp>(x, f32Const(b, 1)),
        b.create<math::ExpOp>(x));
  }
  case attn::FeatureMap::relu:
    return emitScalarFn(b, ScalarFn::Relu, x);
  case attn::FeatureMap::identity:
    return x;
  }
  llvm_unreachable("unknown feature map");
}

struct DecodeAttentionToLoops
    : OpConversionPattern<attn::DecodeAttentionOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(attn::DecodeAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value query = adaptor.getQuery(), key = adaptor.getKey(),
          value = adaptor.getValue();
    Value keyCache = adaptor.getKeyCache(), valueCache = adaptor.getValueCache();
    Value slots = adaptor.getSlots(), positions = adaptor.getPositions();
    SmallVector<Value> q = memrefSizes(b, query), k = memrefSizes(b, key),
                       v = memrefSizes(b, value);
    Value ring = b.create<memref::DimOp>(keyCache, 1);
    Value one = indexConst(b, 1);

    // The new tokens' keys and values go into their ring entries first, so
    // that each query sees itself.
    parallelLoops(b, {k[0], k[1], k[2]},
                  [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                    Value row = stateRow(b, slots, ivs[0], keyCache);
                    Value position = b.create<arith::AddIOp>(
                        firstPosition(b, positions, ivs[0]), ivs[1]);
                    Value entry = remainder(b, position, ring);
                    sequentialLoops(b, {k[3]}, [&](ImplicitLocOpBuilder &b,
                                                   ValueRange d) {
                      storeF32(b, loadF32(b, key, {ivs[0], ivs[1], ivs[2], d[0]}),
                               keyCache, {row, entry, ivs[2], d[0]});
                    });
                    sequentialLoops(b, {v[3]}, [&](ImplicitLocOpBuilder &b,
                                                   ValueRange d) {
                      storeF32(b,
                               loadF32(b, value, {ivs[0], ivs[1], ivs[2], d[0]}),
                               valueCache, {row, entry, ivs[2], d[0]});
                    });
                  });

    Value out = allocBuffer(b, resultType(getTypeConverter(), op),
                            {q[0], q[1], q[2], v[3]});
    bool blockRing = op.getMask() == attn::MaskKind::block_diagonal;
    bool power = op.getNormalizer() == attn::Normalizer::power;
    int64_t exponent = op.getPower().value_or(2);
    Value scale = f32Const(b, op.getScale().convertToDouble());
    Value group = b.create<arith::DivUIOp>(q[2], k[2]);

    parallelLoops(b, {q[0], q[1], q[2]}, [&](ImplicitLocOpBuilder &b,
                                             ValueRange ivs) {
      Value batch = ivs[0], step = ivs[1], head = ivs[2];
      Value row = stateRow(b, slots, batch, keyCache);
      Value position =
          b.create<arith::AddIOp>(firstPosition(b, positions, batch), step);
      // The ring's visible entries (attn.decode_attention).
      Value visible =
          blockRing
              ? b.create<arith::AddIOp>(remainder(b, position, ring), one)
                    .getResult()
              : indexMin(b, b.create<arith::AddIOp>(position, one), ring);
      Value kvHead = b.create<arith::DivUIOp>(head, group);
      Value acc = zeroScratch(b, {v[3]});
      auto score = [&](ImplicitLocOpBuilder &b, Value entry) {
        Value dot = forReduce(b, indexConst(b, 0), q[3], {f32Const(b, 0)},
                              [&](ImplicitLocOpBuilder &b, Value d,
                                  ValueRange sum) -> SmallVector<Value> {
                                return {multiplyAccumulate(
                                    b, sum[0],
                                    loadF32(b, query, {batch, step, head, d}),
                                    loadF32(b, keyCache,
                                            {row, entry, kvHead, d}))};
                              })[0];
        return b.create<arith::MulFOp>(dot, scale).getResult();
      };
      // Adds weight · value[entry] into the accumulators, after scaling
      // them by `rescale` (the online softmax's correction).
      auto accumulate = [&](ImplicitLocOpBuilder &b, Value entry, Value weight,
                            Value rescale) {
        sequentialLoops(b, {v[3]}, [&](ImplicitLocOpBuilder &b, ValueRange d) {
          Value old = b.create<memref::LoadOp>(acc, d);
          if (rescale)
            old = b.create<arith::MulFOp>(old, rescale);
          Value x = loadF32(b, valueCache, {row, entry, kvHead, d[0]});
          b.create<memref::StoreOp>(
              b.create<arith::AddFOp>(old, b.create<arith::MulFOp>(weight, x)),
              acc, d);
        });
      };

      Value sum;
      if (power) {
        // x^p by squaring; p is a positive even integer.
        sum = forReduce(b, indexConst(b, 0), visible, {f32Const(b, 0)},
                        [&](ImplicitLocOpBuilder &b, Value entry,
                            ValueRange total) -> SmallVector<Value> {
                          Value s = score(b, entry), weight = f32Const(b, 1);
                          for (int64_t e = exponent; e > 0; e >>= 1) {
                            if (e & 1)
                              weight = b.create<arith::MulFOp>(weight, s);
                            s = b.create<arith::MulFOp>(s, s);
                          }
                          accumulate(b, entry, weight, Value());
                          return {b.create<arith::AddFOp>(total[0], weight)};
                        })[0];
      } else {
        Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
        sum = forReduce(
            b, indexConst(b, 0), visible, {lowest, f32Const(b, 0)},
            [&](ImplicitLocOpBuilder &b, Value entry,
                ValueRange state) -> SmallVector<Value> {
              Value s = score(b, entry);
              Value max = b.create<arith::MaximumFOp>(state[0], s);
              Value rescale = b.create<math::ExpOp>(
                  b.create<arith::SubFOp>(state[0], max));
              Value weight =
                  b.create<math::ExpOp>(b.create<arith::SubFOp>(s, max));
              accumulate(b, entry, weight, rescale);
              return {max, b.create<arith::AddFOp>(
                               b.create<arith::MulFOp>(state[1], rescale),
                               weight)};
            })[1];
      }
      sequentialLoops(b, {v[3]}, [&](ImplicitLocOpBuilder &b, ValueRange d) {
        Value total = b.create<memref::LoadOp>(acc, d);
        storeF32(b, divideOrZero(b, total, sum), out,
                 {batch, step, head, d[0]});
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LinearAttentionStepToLoops
    : OpConversionPattern<attn::LinearAttentionStepOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(attn::LinearAttentionStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value query = adaptor.getQuery(), key = adaptor.getKey(),
          value = adaptor.getValue();
    Value kvState = adaptor.getKvState(), keySum = adaptor.getKeySum();
    Value slots = adaptor.getSlots();
    SmallVector<Value> q = memrefSizes(b, query), v = memrefSizes(b, value);
    Value out = allocBuffer(b, resultType(getTypeConverter(), op),
                            {q[0], q[1], q[2], v[3]});
    attn::FeatureMap map = op.getFeatureMap();
    bool normalize = op.getNormalize() == attn::Normalize::denominator;

    parallelLoops(b, {q[0], q[2]}, [&](ImplicitLocOpBuilder &b,
                                       ValueRange ivs) {
      Value batch = ivs[0], head = ivs[1];
      Value row = stateRow(b, slots, batch, kvState);
      sequentialLoops(b, {q[1]}, [&](ImplicitLocOpBuilder &b, ValueRange t) {
        Value step = t[0];
        // S += φ(k[t]) v[t]ᵀ and z += φ(k[t]) first: the causal sums
        // include the token itself.
        sequentialLoops(b, {q[3]}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
          Value phiK =
              featureMap(b, map, loadF32(b, key, {batch, step, head, i[0]}));
          SmallVector<Value> at = {row, head, i[0]};
          b.create<memref::StoreOp>(
              b.create<arith::AddFOp>(b.create<memref::LoadOp>(keySum, at),
                                      phiK),
              keySum, at);
          sequentialLoops(b, {v[3]}, [&](ImplicitLocOpBuilder &b,
                                         ValueRange j) {
            SmallVector<Value> s = {row, head, i[0], j[0]};
            Value x = loadF32(b, value, {batch, step, head, j[0]});
            b.create<memref::StoreOp>(
                multiplyAccumulate(b, b.create<memref::LoadOp>(kvState, s),
                                   phiK, x),
                kvState, s);
          });
        });
        Value den;
        if (normalize)
          den = forReduce(b, indexConst(b, 0), q[3], {f32Const(b, 0)},
                          [&](ImplicitLocOpBuilder &b, Value i,
                              ValueRange sum) -> SmallVector<Value> {
                            Value phiQ = featureMap(
                                b, map, loadF32(b, query, {batch, step, head, i}));
                            Value z = b.create<memref::LoadOp>(
                                keySum, ValueRange{row, head, i});
                            return {multiplyAccumulate(b, sum[0], phiQ, z)};
                          })[0];
        sequentialLoops(b, {v[3]}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
          Value o = forReduce(b, indexConst(b, 0), q[3], {f32Const(b, 0)},
                              [&](ImplicitLocOpBuilder &b, Value i,
                                  ValueRange sum) -> SmallVector<Value> {
                                Value phiQ = featureMap(
                                    b, map,
                                    loadF32(b, query, {batch, step, head, i}));
                                Value s = b.create<memref::LoadOp>(
                                    kvState, ValueRange{row, head, i, j[0]});
                                return {multiplyAccumulate(b, sum[0], phiQ, s)};
                              })[0];
          if (normalize)
            o = divideOrZero(b, o, den);
          storeF32(b, o, out, {batch, step, head, j[0]});
        });
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct SelectiveScanStepToLoops
    : OpConversionPattern<scan::SelectiveScanStepOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(scan::SelectiveScanStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value u = adaptor.getU(), delta = adaptor.getDelta(), a = adaptor.getA();
    Value bm = adaptor.getBm(), cm = adaptor.getCm(), skip = adaptor.getD();
    Value gate = adaptor.getZ(), deltaBias = adaptor.getDeltaBias();
    Value state = adaptor.getState(), slots = adaptor.getSlots();
    SmallVector<Value> sizes = memrefSizes(b, u);
    Value states = b.create<memref::DimOp>(a, 1);
    Value out = allocBuffer(b, resultType(getTypeConverter(), op), sizes);
    bool softplus = op.getDeltaSoftplus();

    parallelLoops(b, {sizes[0], sizes[2]}, [&](ImplicitLocOpBuilder &b,
                                               ValueRange ivs) {
      Value batch = ivs[0], channel = ivs[1];
      Value row = stateRow(b, slots, batch, state);
      sequentialLoops(b, {sizes[1]}, [&](ImplicitLocOpBuilder &b,
                                         ValueRange t) {
        SmallVector<Value> at = {batch, t[0], channel};
        Value dt = loadF32(b, delta, at);
        if (deltaBias)
          dt = b.create<arith::AddFOp>(dt, loadF32(b, deltaBias, {channel}));
        if (softplus)
          dt = emitScalarFn(b, ScalarFn::Softplus, dt);
        Value x = loadF32(b, u, at);
        Value dtx = b.create<arith::MulFOp>(dt, x);
        Value y = forReduce(
            b, indexConst(b, 0), states, {f32Const(b, 0)},
            [&](ImplicitLocOpBuilder &b, Value n,
                ValueRange sum) -> SmallVector<Value> {
              SmallVector<Value> h = {row, channel, n};
              Value decay = b.create<math::ExpOp>(
                  b.create<arith::MulFOp>(dt, loadF32(b, a, {channel, n})));
              Value input = b.create<arith::MulFOp>(
                  dtx, loadF32(b, bm, {batch, t[0], n}));
              Value next = b.create<arith::AddFOp>(
                  b.create<arith::MulFOp>(decay,
                                          b.create<memref::LoadOp>(state, h)),
                  input);
              b.create<memref::StoreOp>(next, state, h);
              return {multiplyAccumulate(b, sum[0], next,
                                         loadF32(b, cm, {batch, t[0], n}))};
            })[0];
        if (skip)
          y = b.create<arith::AddFOp>(
              y, b.create<arith::MulFOp>(loadF32(b, skip, {channel}), x));
        if (gate)
          y = b.create<arith::MulFOp>(
              y, emitScalarFn(b, ScalarFn::Silu, loadF32(b, gate, at)));
        storeF32(b, y, out, at);
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LinearRecurrenceStepToLoops
    : OpConversionPattern<scan::LinearRecurrenceStepOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(scan::LinearRecurrenceStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value a = adaptor.getA(), bv = adaptor.getB();
    Value state = adaptor.getState(), slots = adaptor.getSlots();
    SmallVector<Value> sizes = memrefSizes(b, a);
    Value out = allocBuffer(b, resultType(getTypeConverter(), op), sizes);
    parallelLoops(b, {sizes[0], sizes[2]}, [&](ImplicitLocOpBuilder &b,
                                               ValueRange ivs) {
      Value batch = ivs[0], channel = ivs[1];
      SmallVector<Value> h = {stateRow(b, slots, batch, state), channel};
      Value last = forReduce(
          b, indexConst(b, 0), sizes[1],
          {b.create<memref::LoadOp>(state, h)},
          [&](ImplicitLocOpBuilder &b, Value t,
              ValueRange prev) -> SmallVector<Value> {
            SmallVector<Value> at = {batch, t, channel};
            Value next = b.create<arith::AddFOp>(
                b.create<arith::MulFOp>(loadF32(b, a, at), prev[0]),
                loadF32(b, bv, at));
            storeF32(b, next, out, at);
            return {next};
          })[0];
      b.create<memref::StoreOp>(last, state, h);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct Conv1dStepToLoops : OpConversionPattern<graph::Conv1dStepOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(graph::Conv1dStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    Value bias = adaptor.getBias(), state = adaptor.getState();
    Value slots = adaptor.getSlots(), positions = adaptor.getPositions();
    SmallVector<Value> sizes = memrefSizes(b, input);
    Value out = allocBuffer(b, resultType(getTypeConverter(), op), sizes);
    int64_t kernel = op.getWeight().getType().getDimSize(1);
    Value ring = indexConst(b, kernel - 1);

    // One channel of one sequence per iteration: its outputs read the ring
    // before the same iteration overwrites it.
    parallelLoops(b, {sizes[0], sizes[2]}, [&](ImplicitLocOpBuilder &b,
                                               ValueRange ivs) {
      Value batch = ivs[0], channel = ivs[1];
      Value row = stateRow(b, slots, batch, state);
      Value first = firstPosition(b, positions, batch);
      Value zero = indexConst(b, 0), zeroF = f32Const(b, 0);
      sequentialLoops(b, {sizes[1]}, [&](ImplicitLocOpBuilder &b,
                                         ValueRange t) {
        Value acc = bias ? loadF32(b, bias, {channel}) : zeroF;
        for (int64_t k = 0; k < kernel; ++k) {
          // The tap `lag` tokens back: in this call's input, else in the
          // ring, else before the sequence (zero).
          Value lag = indexConst(b, kernel - 1 - k);
          Value local = b.create<arith::SubIOp>(t[0], lag);
          Value position = b.create<arith::SubIOp>(
              b.create<arith::AddIOp>(first, t[0]), lag);
          Value inInput =
              b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, local, zero);
          Value inRing = b.create<arith::CmpIOp>(arith::CmpIPredicate::sge,
                                                 position, zero);
          Value fromInput =
              loadF32(b, input, {batch, indexMax(b, local, zero), channel});
          Value fromRing = b.create<memref::LoadOp>(
              state, ValueRange{row,
                                remainder(b, indexMax(b, position, zero), ring),
                                channel});
          Value x = b.create<arith::SelectOp>(
              inInput, fromInput,
              b.create<arith::SelectOp>(inRing, fromRing, zeroF));
          Value w = loadF32(b, weight, {channel, indexConst(b, k)});
          acc = b.create<arith::AddFOp>(acc, b.create<arith::MulFOp>(w, x));
        }
        storeF32(b, acc, out, {batch, t[0], channel});
      });
      // The last K-1 inputs replace the ring entries of their positions.
      Value kept = indexMin(b, sizes[1], ring);
      Value skipped = b.create<arith::SubIOp>(sizes[1], kept);
      sequentialLoops(b, {kept}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
        Value t = b.create<arith::AddIOp>(skipped, i[0]);
        Value entry =
            remainder(b, b.create<arith::AddIOp>(first, t), ring);
        b.create<memref::StoreOp>(loadF32(b, input, {batch, t, channel}),
                                  state, ValueRange{row, entry, channel});
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct RingStoreToLoops : OpConversionPattern<graph::RingStoreOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(graph::RingStoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value state = adaptor.getState(), values = adaptor.getValues();
    Value slots = adaptor.getSlots(), positions = adaptor.getPositions();
    SmallVector<Value> sizes = memrefSizes(b, values);
    Value ring = b.create<memref::DimOp>(state, 1);
    // Only the last R tokens survive in a ring of R entries.
    Value kept = indexMin(b, sizes[1], ring);
    Value skipped = b.create<arith::SubIOp>(sizes[1], kept);
    SmallVector<Value> inner(ArrayRef(sizes).drop_front(2));
    parallelLoops(b, {sizes[0], kept}, [&](ImplicitLocOpBuilder &b,
                                           ValueRange ivs) {
      Value batch = ivs[0];
      Value t = b.create<arith::AddIOp>(skipped, ivs[1]);
      Value row = stateRow(b, slots, batch, state);
      Value entry = remainder(
          b, b.create<arith::AddIOp>(firstPosition(b, positions, batch), t),
          ring);
      sequentialLoops(b, inner, [&](ImplicitLocOpBuilder &b, ValueRange rest) {
        SmallVector<Value> from = {batch, t}, to = {row, entry};
        from.append(rest.begin(), rest.end());
        to.append(rest.begin(), rest.end());
        storeF32(b, loadF32(b, values, from), state, to);
      });
    });
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void kiln::populateGenerationToLoopsPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<DecodeAttentionToLoops, LinearAttentionStepToLoops,
               SelectiveScanStepToLoops, LinearRecurrenceStepToLoops,
               Conv1dStepToLoops, RingStoreToLoops>(converter,
                                                    patterns.getContext());
}
