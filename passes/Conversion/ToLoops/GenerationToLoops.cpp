//===- GenerationToLoops.cpp - Stateful generation ops to loops -----------===//
//
// Lowers the generation ops that DecodeAttentionToLoops and ScanStepToLoops
// do not (docs/compiler.md, "Generation"): attn.linear_attention_step and
// graph.ring_store. They read and update the per-sequence state buffers in
// place (function arguments owned by the runtime session), at the state
// rows of GenerationState.h. Plain loop nests, parallel over (sequence,
// head) or (sequence, token), left to LLVM's vectorizer.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/GenerationState.h"
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
    Value out = resultBuffer(op);
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
      Value entry = ringEntry(
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
  patterns.add<LinearAttentionStepToLoops, RingStoreToLoops>(
      converter, patterns.getContext());
}
