//===- LinearAttentionToLoops.cpp - Linear attention to vector loops ------===//
//
// Lowers attn.linear_attention to its state form in vector code: one
// parallel iteration per (batch, head) carries the state S [D, Dv] and the
// key sum z [D] in scratch. S is vectorized along Dv: a row of S is
// ceil(Dv / W) vectors (the scratch is padded to whole vectors, so its
// accesses need no masks; only v and the output are masked at the Dv tail).
// φ(q[t]) and φ(k[t]) are computed a vector of D at a time into scratch,
// their padding lanes zeroed so that the key sum and the denominator dot
// product may run over whole vectors.
//
// Causal rows fuse the update and the read of S: per row i of S,
// S[i] += φ(k[t])_i·v[t], then o += φ(q[t])_i·S[i], one load and one store
// of S[i] per token. Not causal, all keys are added first, then every row
// reads S. (A chunked form, with the intra-chunk products as small dense
// GEMMs, is not done.)
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LinearAttention.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;

namespace {

/// Vectors of a row of S handled together (an output accumulator and the
/// v[t] slice each): 4 of each plus a row of S and the broadcasts fit 16
/// vector registers.
constexpr int64_t kValueVectors = 4;

} // namespace

Value kiln::linearAttentionFeature(ImplicitLocOpBuilder &b, FeatureMap map,
                                   Value x) {
  Type type = x.getType();
  switch (map) {
  case FeatureMap::elu1: {
    Value positive = b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, x,
                                             floatConst(b, type, 0.0));
    return b.create<arith::SelectOp>(
        positive, b.create<arith::AddFOp>(x, floatConst(b, type, 1.0)),
        b.create<math::ExpOp>(x));
  }
  case FeatureMap::relu:
    return emitScalarFn(b, ScalarFn::Relu, x);
  case FeatureMap::identity:
    return x;
  }
  llvm_unreachable("unknown feature map");
}

namespace {

/// `size` rounded up to whole vectors of `width` lanes.
Value roundUp(ImplicitLocOpBuilder &b, Value size, int64_t width) {
  Value w = indexConst(b, width);
  return b.createOrFold<arith::MulIOp>(
      b.createOrFold<arith::CeilDivUIOp>(size, w), w);
}

/// Runs `body(offset)` over [0, size) in steps of `step`.
void forSteps(ImplicitLocOpBuilder &b, Value size, int64_t step,
              llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
  b.create<scf::ForOp>(indexConst(b, 0), size, indexConst(b, step),
                       ValueRange(),
                       [&](OpBuilder &nested, Location loc, Value iv,
                           ValueRange) {
                         ImplicitLocOpBuilder ib(loc, nested);
                         body(ib, iv);
                         ib.create<scf::YieldOp>();
                       });
}

struct LinearAttentionToLoops : OpConversionPattern<LinearAttentionOp> {
  LinearAttentionToLoops(const KernelOptions &options,
                         TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context), width(options.vectorWidth) {}

  int64_t width;

  LogicalResult
  matchAndRewrite(LinearAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value query = adaptor.getQuery(), key = adaptor.getKey(),
          value = adaptor.getValue();
    SmallVector<Value> qSizes = memrefSizes(b, query);
    Value rows = qSizes[1], headDim = qSizes[3];
    Value keys = memrefSizes(b, key)[1];
    Value valueDim = memrefSizes(b, value)[3];
    Value out = resultBuffer(op);
    Value offsets = adaptor.getSeqOffsets();
    // Tokens outside every packed sequence are zero.
    if (offsets)
      fillZero(b, out);
    FeatureMap map = op.getFeatureMap();
    bool normalize = op.getNormalize() == Normalize::denominator;

    // Vectors per block of Dv: all of them up to kValueVectors when Dv is
    // static, else one.
    std::optional<int64_t> staticValueDim = getConstantIntValue(valueDim);
    int64_t group =
        staticValueDim
            ? std::min<int64_t>(kValueVectors,
                                llvm::divideCeil(*staticValueDim, width))
            : 1;
    int64_t blockLanes = group * width;
    Value zeroV = floatConst(b, f32Vector(b, width), 0.0);

    parallelLoops(
        b, {qSizes[0], qSizes[2]},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0], head = ivs[1];
          Value c0 = indexConst(b, 0);
          Value paddedD = roundUp(b, headDim, width);
          Value paddedDv = roundUp(b, valueDim, blockLanes);
          Value state = scratch(b, {headDim, paddedDv});
          Value keySum, phiQ = scratch(b, {paddedD}),
                        phiK = scratch(b, {paddedD});
          if (normalize)
            keySum = scratch(b, {paddedD});
          // A zero state and key sum, at the start of every sequence.
          auto resetState = [&](ImplicitLocOpBuilder &b) {
            sequentialLoops(
                b, {headDim}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
                  forSteps(b, paddedDv, width,
                           [&](ImplicitLocOpBuilder &b, Value j) {
                             storeVector(b, zeroV, state, {i[0], j});
                           });
                });
            if (normalize)
              forSteps(b, paddedD, width,
                       [&](ImplicitLocOpBuilder &b, Value i) {
                         storeVector(b, zeroV, keySum, {i});
                       });
          };

          // φ(x[t]) into `phi`, zero in the padding lanes.
          auto computePhi = [&](ImplicitLocOpBuilder &b, Value x, Value t,
                                Value phi) {
            forSteps(b, paddedD, width, [&](ImplicitLocOpBuilder &b, Value i) {
              Value mask = laneMask(
                  b, b.create<arith::SubIOp>(headDim, i), width);
              Value f = linearAttentionFeature(
                  b, map,
                  maskedLoadVector(b, x, {batch, t, head, i}, mask, width));
              storeVector(b, b.create<arith::SelectOp>(mask, f, zeroV), phi,
                          {i});
            });
          };
          // φ(k[s]) into phiK, added to the key sum.
          auto keyFeatures = [&](ImplicitLocOpBuilder &b, Value s) {
            computePhi(b, key, s, phiK);
            if (normalize)
              forSteps(b, paddedD, width,
                       [&](ImplicitLocOpBuilder &b, Value i) {
                         Value sum = b.create<arith::AddFOp>(
                             loadVector(b, keySum, {i}, width),
                             loadVector(b, phiK, {i}, width));
                         storeVector(b, sum, keySum, {i});
                       });
          };
          // φ(q[t]) into phiQ; returns the denominator φ(q[t])·z as a
          // vector (every lane), or null without normalization.
          auto queryFeatures = [&](ImplicitLocOpBuilder &b, Value t) {
            computePhi(b, query, t, phiQ);
            if (!normalize)
              return Value();
            auto loop = b.create<scf::ForOp>(
                c0, paddedD, indexConst(b, width), ValueRange{zeroV},
                [&](OpBuilder &nested, Location loc, Value i,
                    ValueRange acc) {
                  ImplicitLocOpBuilder ib(loc, nested);
                  ib.create<scf::YieldOp>(ValueRange{
                      fma(ib, loadVector(ib, phiQ, {i}, width),
                          loadVector(ib, keySum, {i}, width), acc[0])});
                });
            return splat(b, reduceAdd(b, loop.getResult(0)), width);
          };
          // Per block of Dv starting at j: v[s] (when `s` is set) and the
          // output row t (when `t` is set) over the rows i of S.
          auto sweep = [&](ImplicitLocOpBuilder &b, Value s, Value t,
                           Value denominator) {
            forSteps(b, paddedDv, blockLanes,
                     [&](ImplicitLocOpBuilder &b, Value j0) {
              SmallVector<Value> offsets, masks, v;
              for (int64_t g = 0; g < group; ++g) {
                offsets.push_back(
                    b.create<arith::AddIOp>(j0, indexConst(b, g * width)));
                masks.push_back(laneMask(
                    b, b.create<arith::SubIOp>(valueDim, offsets[g]), width));
                if (s)
                  v.push_back(maskedLoadVector(
                      b, value, {batch, s, head, offsets[g]}, masks[g],
                      width));
              }
              SmallVector<Value> init(t ? group : 0, zeroV);
              SmallVector<Value> o = forReduce(
                  b, c0, headDim, init,
                  [&](ImplicitLocOpBuilder &b, Value i,
                      ValueRange acc) -> SmallVector<Value> {
                    Value fk, fq;
                    if (s)
                      fk = splat(b, b.create<memref::LoadOp>(phiK, i), width);
                    if (t)
                      fq = splat(b, b.create<memref::LoadOp>(phiQ, i), width);
                    SmallVector<Value> next;
                    for (int64_t g = 0; g < group; ++g) {
                      SmallVector<Value> at = {i, offsets[g]};
                      Value row = loadVector(b, state, at, width);
                      if (s) {
                        row = fma(b, fk, v[g], row);
                        storeVector(b, row, state, at);
                      }
                      if (t)
                        next.push_back(fma(b, fq, row, acc[g]));
                    }
                    return next;
                  });
              for (int64_t g = 0; g < group && t; ++g) {
                Value r = denominator ? divideOrZero(b, o[g], denominator)
                                      : o[g];
                maskedStoreVector(b, r, out, {batch, t, head, offsets[g]},
                                  masks[g]);
              }
            });
          };

          // Rows [begin, end) see the keys of the same range; without a
          // packed batch and causal mask, every key of [0, S).
          forEachSequence(
              b, offsets, rows,
              [&](ImplicitLocOpBuilder &b, Value begin, Value end) {
                resetState(b);
                Value keyEnd = offsets ? end : keys;
                if (op.getCausal()) {
                  // Row t sees keys up to t; keys past the key sequence do not
                  // exist.
                  forReduce(b, begin, end, {},
                            [&](ImplicitLocOpBuilder &b, Value t,
                                ValueRange) -> SmallVector<Value> {
                              Value hasKey = b.create<arith::CmpIOp>(
                                  arith::CmpIPredicate::ult, t, keys);
                              b.create<scf::IfOp>(
                                  hasKey,
                                  [&](OpBuilder &nested, Location loc) {
                                    ImplicitLocOpBuilder ib(loc, nested);
                                    keyFeatures(ib, t);
                                    sweep(ib, t, t, queryFeatures(ib, t));
                                    ib.create<scf::YieldOp>();
                                  },
                                  [&](OpBuilder &nested, Location loc) {
                                    ImplicitLocOpBuilder ib(loc, nested);
                                    sweep(ib, Value(), t, queryFeatures(ib, t));
                                    ib.create<scf::YieldOp>();
                                  });
                              return {};
                            });
                  return;
                }
                forReduce(b, begin, keyEnd, {},
                          [&](ImplicitLocOpBuilder &b, Value s,
                              ValueRange) -> SmallVector<Value> {
                            keyFeatures(b, s);
                            sweep(b, s, Value(), Value());
                            return {};
                          });
                forReduce(b, begin, end, {},
                          [&](ImplicitLocOpBuilder &b, Value t,
                              ValueRange) -> SmallVector<Value> {
                            sweep(b, Value(), t, queryFeatures(b, t));
                            return {};
                          });
              });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateLinearAttentionToLoopsPatterns(const KernelOptions &options,
                                                  TypeConverter &converter,
                                                  RewritePatternSet &patterns) {
  patterns.add<LinearAttentionToLoops>(options, converter,
                                       patterns.getContext());
}
