//===- LinearAttentionToLoops.cpp - Linear attention to loops -------------===//
//
// Lowers attn.linear_attention to its state form: one parallel iteration per
// (batch, head) carries the D×Dv state and the normalizer sum in scratch.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;

namespace {

/// φ(x) of linear attention.
Value featureMap(ImplicitLocOpBuilder &b, FeatureMap map, Value x) {
  switch (map) {
  case FeatureMap::elu1: {
    Value positive =
        b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, x, f32Const(b, 0.0));
    return b.create<arith::SelectOp>(
        positive, b.create<arith::AddFOp>(x, f32Const(b, 1.0)),
        b.create<math::ExpOp>(x));
  }
  case FeatureMap::relu:
    return emitScalarFn(b, ScalarFn::Relu, x);
  case FeatureMap::identity:
    return x;
  }
  llvm_unreachable("unknown feature map");
}

struct LinearAttentionToLoops : OpConversionPattern<LinearAttentionOp> {
  using OpConversionPattern::OpConversionPattern;

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
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    Value out = allocBuffer(b, type, {qSizes[0], rows, qSizes[2], valueDim});
    FeatureMap map = op.getFeatureMap();
    bool normalize = op.getNormalize() == Normalize::denominator;

    parallelLoops(
        b, {qSizes[0], qSizes[2]},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value batch = ivs[0], head = ivs[1];
          // state[i, j] = Σ φ(k[s])_i v[s]_j and keySum[i] = Σ φ(k[s])_i over
          // the keys added so far; phiQ holds φ(q[t]) of the current row.
          Value state = zeroScratch(b, {headDim, valueDim});
          Value keySum = zeroScratch(b, {headDim});
          Value phiQ = scratch(b, {headDim});
          auto addKey = [&](ImplicitLocOpBuilder &b, Value s) {
            sequentialLoops(
                b, {headDim}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
                  Value phi = featureMap(
                      b, map, loadF32(b, key, {batch, s, head, i[0]}));
                  b.create<memref::StoreOp>(
                      b.create<arith::AddFOp>(
                          b.create<memref::LoadOp>(keySum, i), phi),
                      keySum, i);
                  sequentialLoops(
                      b, {valueDim},
                      [&](ImplicitLocOpBuilder &b, ValueRange j) {
                        Value v = loadF32(b, value, {batch, s, head, j[0]});
                        SmallVector<Value> ij = {i[0], j[0]};
                        Value current = b.create<memref::LoadOp>(state, ij);
                        b.create<memref::StoreOp>(
                            b.create<arith::AddFOp>(
                                current, b.create<arith::MulFOp>(phi, v)),
                            state, ij);
                      });
                });
          };
          auto emitRow = [&](ImplicitLocOpBuilder &b, Value t) {
            sequentialLoops(
                b, {headDim}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
                  b.create<memref::StoreOp>(
                      featureMap(b, map,
                                 loadF32(b, query, {batch, t, head, i[0]})),
                      phiQ, i);
                });
            Value zero = indexConst(b, 0);
            auto dotWith =
                [&](ImplicitLocOpBuilder &b,
                    llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)>
                        column) {
                  return forReduce(
                      b, zero, headDim, {f32Const(b, 0.0)},
                      [&](ImplicitLocOpBuilder &b, Value i,
                          ValueRange sum) -> SmallVector<Value> {
                        Value fq = b.create<memref::LoadOp>(phiQ, i);
                        return {b.create<arith::AddFOp>(
                            sum[0], b.create<arith::MulFOp>(fq, column(b, i)))};
                      })[0];
                };
            Value denominator;
            if (normalize)
              denominator = dotWith(b, [&](ImplicitLocOpBuilder &b, Value i) {
                return b.create<memref::LoadOp>(keySum, i).getResult();
              });
            sequentialLoops(
                b, {valueDim}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
                  Value o = dotWith(b, [&](ImplicitLocOpBuilder &b, Value i) {
                    return b.create<memref::LoadOp>(state, ValueRange{i, j[0]})
                        .getResult();
                  });
                  if (normalize)
                    o = divideOrZero(b, o, denominator);
                  storeF32(b, o, out, {batch, t, head, j[0]});
                });
          };

          if (op.getCausal()) {
            // Row t sees keys 0..t; keys past the key sequence do not exist.
            sequentialLoops(b, {rows},
                            [&](ImplicitLocOpBuilder &b, ValueRange t) {
                              Value hasKey = b.create<arith::CmpIOp>(
                                  arith::CmpIPredicate::ult, t[0], keys);
                              b.create<scf::IfOp>(
                                  hasKey, [&](OpBuilder &nested, Location loc) {
                                    ImplicitLocOpBuilder ib(loc, nested);
                                    addKey(ib, t[0]);
                                    ib.create<scf::YieldOp>();
                                  });
                              emitRow(b, t[0]);
                            });
          } else {
            sequentialLoops(b, {keys},
                            [&](ImplicitLocOpBuilder &b, ValueRange s) {
                              addKey(b, s[0]);
                            });
            sequentialLoops(b, {rows},
                            [&](ImplicitLocOpBuilder &b, ValueRange t) {
                              emitRow(b, t[0]);
                            });
          }
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateLinearAttentionToLoopsPatterns(const KernelOptions &options,
                                                  TypeConverter &converter,
                                                  RewritePatternSet &patterns) {
  patterns.add<LinearAttentionToLoops>(converter, patterns.getContext());
}
