//===- NormBlocksToLoops.cpp - layer_norm and rms_norm as thread blocks ---===//
//
// The GPU's form of graph.layer_norm and graph.rms_norm (`block-norms`).
// The CPU form gives a parallel iteration a whole row: on the GPU a thread
// would walk its row alone, and the 32 threads of a warp would read 32 rows
// kilobytes apart. Here a thread block takes a row (ThreadBlock.h): its
// threads read it together, thread t the columns t, t + 128, ..., so that
// neighbouring threads read neighbouring elements, in phases:
//   1. (layer_norm) each thread's sum of its columns, into workgroup memory;
//   2. thread 0 adds the 128 sums: the mean;
//   3. each thread's sum of squared deviations from it;
//   4. thread 0 adds those: 1 / sqrt(variance + eps);
//   5. each thread normalizes its columns.
// The mean and variance are separate passes, as on the CPU, for accuracy.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/NormRows.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/ThreadBlock.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// One row of a block: `x`'s row `row`, normalized into `y`'s.
class NormRowBlock {
public:
  NormRowBlock(ImplicitLocOpBuilder &b, const RowNorm &norm, Value x, Value y,
               Value rows, Value row)
      : norm(norm), x(x), y(y), rows(rows), row(row) {
    columns = b.create<memref::DimOp>(x, 1);
    MLIRContext *context = b.getContext();
    auto workgroup = gpu::AddressSpace::Workgroup;
    partials = b.create<memref::AllocaOp>(
        f32MemoryType({kThreadBlockSize}, context, workgroup));
    statistics = b.create<memref::AllocaOp>(
        f32MemoryType({2}, context, workgroup));
  }

  void emit(ImplicitLocOpBuilder &b) {
    Value count = b.create<arith::UIToFPOp>(
        b.getF32Type(), b.create<arith::IndexCastOp>(b.getI64Type(), columns));
    if (norm.kind == NormKind::layer_norm) {
      partialSums(b, [&](ImplicitLocOpBuilder &b, Value value) {
        return value;
      });
      total(b, kMean, [&](ImplicitLocOpBuilder &b, Value sum) {
        return b.create<arith::DivFOp>(sum, count).getResult();
      });
    } else {
      onFirstThread(b, [&](ImplicitLocOpBuilder &b) {
        b.create<memref::StoreOp>(f32Const(b, 0.0), statistics,
                                  indexConst(b, kMean));
      });
    }
    partialSums(b, [&](ImplicitLocOpBuilder &b, Value value) {
      Value centered = b.create<arith::SubFOp>(value, statistic(b, kMean));
      return b.create<arith::MulFOp>(centered, centered).getResult();
    });
    total(b, kRstd, [&](ImplicitLocOpBuilder &b, Value sum) {
      Value variance = b.create<arith::DivFOp>(sum, count);
      return reciprocalSqrt(
          b, b.create<arith::AddFOp>(variance, f32Const(b, norm.eps)));
    });
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      ifRow(b, [&](ImplicitLocOpBuilder &b) {
        RowStatistics row{statistic(b, kMean), statistic(b, kRstd)};
        forColumns(b, thread, [&](ImplicitLocOpBuilder &b, Value column) {
          emitNormalizeElement(b, norm, x, this->row, row, y, this->row,
                               column);
        });
      });
    });
  }

private:
  static constexpr int64_t kMean = 0, kRstd = 1;

  /// Runs `body` for the thread's columns: thread, thread + 128, ...
  void forColumns(ImplicitLocOpBuilder &b, Value thread,
                  llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
    b.create<scf::ForOp>(thread, columns, indexConst(b, kThreadBlockSize),
                         std::nullopt,
                         [&](OpBuilder &nested, Location loc, Value column,
                             ValueRange) {
                           ImplicitLocOpBuilder ib(loc, nested);
                           body(ib, column);
                           ib.create<scf::YieldOp>();
                         });
  }

  /// Runs `body` when the block's row exists: a block past the rows (the
  /// second block a single row gets, see blockLoops) stores nothing.
  void ifRow(ImplicitLocOpBuilder &b,
             llvm::function_ref<void(ImplicitLocOpBuilder &)> body) {
    Value inside =
        b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, row, rows);
    b.create<scf::IfOp>(inside, [&](OpBuilder &nested, Location loc) {
      ImplicitLocOpBuilder ib(loc, nested);
      body(ib);
      ib.create<scf::YieldOp>();
    });
  }

  /// A phase in which thread 0 alone works (a phase of one iteration would
  /// be inlined by the canonicalizer).
  void onFirstThread(ImplicitLocOpBuilder &b,
                     llvm::function_ref<void(ImplicitLocOpBuilder &)> body) {
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      Value first = b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, thread,
                                            indexConst(b, 0));
      b.create<scf::IfOp>(first, [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder ib(loc, nested);
        body(ib);
        ib.create<scf::YieldOp>();
      });
    });
  }

  /// A phase: each thread's sum of `term` over its columns into partials.
  void partialSums(
      ImplicitLocOpBuilder &b,
      llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)> term) {
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      ifRow(b, [&](ImplicitLocOpBuilder &b) {
        auto loop = b.create<scf::ForOp>(
            thread, columns, indexConst(b, kThreadBlockSize),
            ValueRange{f32Const(b, 0.0)},
            [&](OpBuilder &nested, Location loc, Value column,
                ValueRange acc) {
              ImplicitLocOpBuilder ib(loc, nested);
              Value value = loadF32(ib, x, {row, column});
              ib.create<scf::YieldOp>(ValueRange{
                  ib.create<arith::AddFOp>(acc[0], term(ib, value))});
            });
        b.create<memref::StoreOp>(loop.getResult(0), partials, thread);
      });
    });
  }

  /// A phase of thread 0: statistic `slot` = finish(Σ partials).
  void total(ImplicitLocOpBuilder &b, int64_t slot,
             llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)> finish) {
    onFirstThread(b, [&](ImplicitLocOpBuilder &b) {
      ifRow(b, [&](ImplicitLocOpBuilder &b) {
        Value sum = sumOver(b, indexConst(b, kThreadBlockSize),
                            [&](ImplicitLocOpBuilder &b, Value thread) {
                              return b.create<memref::LoadOp>(partials, thread)
                                  .getResult();
                            });
        b.create<memref::StoreOp>(finish(b, sum), statistics,
                                  indexConst(b, slot));
      });
    });
  }

  Value statistic(ImplicitLocOpBuilder &b, int64_t slot) const {
    return b.create<memref::LoadOp>(statistics, indexConst(b, slot));
  }

  const RowNorm &norm;
  Value x, y, rows, row, columns;
  /// f32 [kThreadBlockSize] and [2] (mean, rstd) in workgroup memory.
  Value partials, statistics;
};

template <typename Op> struct NormBlocksToLoops : OpConversionPattern<Op> {
  NormBlocksToLoops(TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern<Op>(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    RowNorm norm = rowNormOf(op, adaptor);
    Value input = adaptor.getInput();
    auto type = cast<MemRefType>(
        this->getTypeConverter()->convertType(op.getType()));
    Value out = allocBuffer(b, type, memrefSizes(b, input));
    Value x = collapseToMatrix(b, input), y = collapseToMatrix(b, out);
    Value rows = b.createOrFold<memref::DimOp>(x, 0);
    blockLoops(b, {rows}, [&](ImplicitLocOpBuilder &b, ValueRange row) {
      NormRowBlock(b, norm, x, y, rows, row[0]).emit(b);
    });
    rewriter.replaceOp(op, out);
    return success();
  }

  static RowNorm rowNormOf(Op op, typename Op::Adaptor adaptor) {
    if constexpr (std::is_same_v<Op, LayerNormOp>)
      return {NormKind::layer_norm, adaptor.getWeight(), adaptor.getBias(),
              op.getEps().convertToDouble()};
    else
      return {NormKind::rms_norm, adaptor.getWeight(), Value(),
              op.getEps().convertToDouble()};
  }
};

} // namespace

void kiln::populateNormBlocksToLoopsPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<NormBlocksToLoops<LayerNormOp>, NormBlocksToLoops<RMSNormOp>>(
      converter, patterns.getContext());
}
