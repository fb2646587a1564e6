//===- LowerMMA.cpp - warp.mma on tensor cores ----------------------------===//
//
// The kiln-gpu-lower-mma pass. Each warp.mma of the kernels becomes one
// tensor-core instruction with its lane's fragments loaded from the tiles:
//
// - f16: `nvgpu.ldmatrix` (x4 for A, x2 for B) and `nvgpu.mma.sync`
//   m16n8k16;
// - bf16: the same loads, and LLVM's `llvm.nvvm.mma.m16n8k16.row.col.bf16`
//   called on the fragments packed as i32, since MLIR 19's nvgpu.mma.sync
//   and nvvm.mma.sync accept no bf16 operands;
// - f32: each lane's 4 + 2 elements loaded one by one (PTX's TF32 fragment
//   layout), rounded by `cvt.rna.tf32.f32`, and `nvgpu.mma.sync` m16n8k8
//   with tf32Enabled.
//
// ldmatrix reads 8 rows of 16 bytes per matrix from workgroup memory: used
// where the tile is a workgroup attribution of the kernel, whose alignment
// the pass raises to 16 bytes, and its static rows are a multiple of 16
// bytes (the op then needs its k indices to be multiples of 8); otherwise
// 16-bit fragments are loaded element by element too.
// convert-nvgpu-to-nvvm must run afterwards.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "dialects/Warp/IR/WarpOps.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_GPULOWERMMA
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kBF16Intrinsic =
    "llvm.nvvm.mma.m16n8k16.row.col.bf16";

Value index(ImplicitLocOpBuilder &b, int64_t value) {
  return b.create<arith::ConstantIndexOp>(value);
}

Value add(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return b.create<arith::AddIOp>(lhs, rhs);
}

/// The kernel and index of the workgroup attribution `tile` is, if it is
/// one.
std::optional<std::pair<gpu::GPUFuncOp, unsigned>>
workgroupAttribution(Value tile) {
  auto arg = dyn_cast<BlockArgument>(tile);
  if (!arg)
    return std::nullopt;
  auto func = dyn_cast<gpu::GPUFuncOp>(arg.getOwner()->getParentOp());
  if (!func || arg.getOwner() != &func.getBody().front())
    return std::nullopt;
  for (auto [i, attribution] :
       llvm::enumerate(func.getWorkgroupAttributions()))
    if (attribution == arg)
      return std::make_pair(func, static_cast<unsigned>(i));
  return std::nullopt;
}

/// Whether `ldmatrix` can read `tile`: a workgroup attribution of the
/// kernel (whose alignment the pass raises to 16 bytes), rows a static
/// multiple of 16 bytes.
bool ldmatrixReadable(Value tile) {
  auto type = cast<MemRefType>(tile.getType());
  int64_t pitch = type.getDimSize(1);
  return workgroupAttribution(tile) && !ShapedType::isDynamic(pitch) &&
         pitch * type.getElementTypeBitWidth() % 128 == 0;
}

/// A fragment of `rows` × `pairs` elements read one by one:
/// element (i, j) at tile[row(i), k(i) + j].
Value loadFragment(ImplicitLocOpBuilder &b, Value tile,
                   ArrayRef<std::pair<Value, Value>> positions,
                   int64_t pairs) {
  auto type = cast<MemRefType>(tile.getType());
  auto vectorType = VectorType::get(
      {static_cast<int64_t>(positions.size()), pairs}, type.getElementType());
  Value fragment = b.create<arith::ConstantOp>(
      vectorType, b.getZeroAttr(vectorType));
  for (auto [i, position] : llvm::enumerate(positions))
    for (int64_t j = 0; j < pairs; ++j) {
      Value element = b.create<memref::LoadOp>(
          tile, ValueRange{position.first,
                           add(b, position.second, index(b, j))});
      if (element.getType().isF32()) {
        // cvt.rna.tf32.f32 leaves the TF32 value in a 32-bit register.
        auto convert = b.create<LLVM::InlineAsmOp>(
            b.getI32Type(), ValueRange{element}, "cvt.rna.tf32.f32 $0, $1;",
            "=r,f", /*has_side_effects=*/false, /*is_align_stack=*/false,
            LLVM::AsmDialectAttr(), ArrayAttr());
        element = b.create<arith::BitcastOp>(b.getF32Type(),
                                             convert.getResult(0));
      }
      fragment = b.create<vector::InsertOp>(
          element, fragment,
          ArrayRef<int64_t>{static_cast<int64_t>(i), j});
    }
  return fragment;
}

struct LowerMMA : OpRewritePattern<kiln::warp::MMAOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kiln::warp::MMAOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Type element = op.getElementType();
    Value lane = op.getLane();
    Value g = b.create<arith::DivUIOp>(lane, index(b, 4));
    Value t = b.create<arith::RemUIOp>(lane, index(b, 4));
    Value aRow = op.getARow(), aK = op.getAK();
    Value bCol = op.getBCol(), bK = op.getBK();
    Value aFragment, bFragment;
    if (element.isF32()) {
      // TF32 m16n8k8: a0 (g, t), a1 (g + 8, t), a2 (g, t + 4),
      // a3 (g + 8, t + 4); b0 (k = t, n = g), b1 (k = t + 4, n = g).
      Value r0 = add(b, aRow, g), r1 = add(b, r0, index(b, 8));
      Value ka0 = add(b, aK, t), ka1 = add(b, ka0, index(b, 4));
      aFragment =
          loadFragment(b, op.getA(), {{r0, ka0}, {r1, ka0}, {r0, ka1}, {r1, ka1}}, 1);
      Value c = add(b, bCol, g);
      Value kb0 = add(b, bK, t), kb1 = add(b, kb0, index(b, 4));
      bFragment = loadFragment(b, op.getB(), {{c, kb0}, {c, kb1}}, 1);
    } else {
      // m16n8k16: a0a1 (g, 2t), a2a3 (g + 8, 2t), a4a5 (g, 2t + 8),
      // a6a7 (g + 8, 2t + 8); b0b1 (k = 2t, n = g), b2b3 (k = 2t + 8).
      // ldmatrix gives a lane exactly these: matrix i's rows are addressed
      // by lanes 8i to 8i + 7, and lane l receives row l / 4, elements
      // 2·(l % 4) and 2·(l % 4) + 1 of each.
      auto fragmentType = [&](int64_t rows) {
        return VectorType::get({rows, 2}, element);
      };
      if (ldmatrixReadable(op.getA())) {
        Value row = add(b, aRow, b.create<arith::RemUIOp>(lane, index(b, 16)));
        Value k = add(b, aK,
                      b.create<arith::MulIOp>(
                          b.create<arith::DivUIOp>(lane, index(b, 16)),
                          index(b, 8)));
        aFragment = b.create<nvgpu::LdMatrixOp>(fragmentType(4), op.getA(),
                                                ValueRange{row, k}, false, 4);
      } else {
        Value r0 = add(b, aRow, g), r1 = add(b, r0, index(b, 8));
        Value k0 = add(b, aK, b.create<arith::MulIOp>(t, index(b, 2)));
        Value k1 = add(b, k0, index(b, 8));
        aFragment = loadFragment(
            b, op.getA(), {{r0, k0}, {r1, k0}, {r0, k1}, {r1, k1}}, 2);
      }
      if (ldmatrixReadable(op.getB())) {
        // x2: lanes 16-31 address nothing, but must hold valid addresses.
        Value column =
            add(b, bCol, b.create<arith::RemUIOp>(lane, index(b, 8)));
        Value k = add(
            b, bK,
            b.create<arith::MulIOp>(
                b.create<arith::RemUIOp>(
                    b.create<arith::DivUIOp>(lane, index(b, 8)), index(b, 2)),
                index(b, 8)));
        bFragment = b.create<nvgpu::LdMatrixOp>(
            fragmentType(2), op.getB(), ValueRange{column, k}, false, 2);
      } else {
        Value c = add(b, bCol, g);
        Value k0 = add(b, bK, b.create<arith::MulIOp>(t, index(b, 2)));
        bFragment = loadFragment(b, op.getB(),
                                 {{c, k0}, {c, add(b, k0, index(b, 8))}}, 2);
      }
    }

    if (element.isBF16()) {
      rewriter.replaceOp(op, callBF16(b, op, aFragment, bFragment));
      return success();
    }
    auto accType = VectorType::get({2, 2}, b.getF32Type());
    Value acc = b.create<vector::ShapeCastOp>(accType, op.getAcc());
    Value d = b.create<nvgpu::MmaSyncOp>(
        aFragment, bFragment, acc,
        ArrayRef<int64_t>{16, 8, op.getDepth()}, element.isF32());
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(op, op.getType(), d);
    return success();
  }

  /// The bf16 instruction through its LLVM intrinsic: A and B as i32 pairs,
  /// C as 4 floats, D as a struct of 4 floats.
  static Value callBF16(ImplicitLocOpBuilder &b, kiln::warp::MMAOp op,
                        Value aFragment, Value bFragment) {
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    SmallVector<Value> args;
    for (auto [fragment, rows] : {std::pair{aFragment, 4}, {bFragment, 2}}) {
      Value words = b.create<vector::BitCastOp>(
          VectorType::get({rows, 1}, i32), fragment);
      for (int64_t i = 0; i < rows; ++i)
        args.push_back(b.create<vector::ExtractOp>(
            words, ArrayRef<int64_t>{i, 0}));
    }
    for (int64_t i = 0; i < 4; ++i)
      args.push_back(b.create<vector::ExtractOp>(op.getAcc(), i));
    auto structType =
        LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
    auto call = b.create<LLVM::CallOp>(
        TypeRange{structType},
        FlatSymbolRefAttr::get(b.getContext(), kBF16Intrinsic), args);
    Value result = op.getAcc();
    for (int64_t i = 0; i < 4; ++i)
      result = b.create<vector::InsertOp>(
          b.create<LLVM::ExtractValueOp>(call.getResult(), i), result, i);
    return result;
  }
};

struct GPULowerMMAPass : kiln::impl::GPULowerMMABase<GPULowerMMAPass> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    bool bf16 = false;
    Builder builder(&getContext());
    module.walk([&](kiln::warp::MMAOp op) {
      bf16 |= op.getElementType().isBF16();
      // ldmatrix reads rows of 16 bytes at 16-byte aligned addresses; the
      // attribution's own alignment is only its element's.
      if (op.getElementType().isF32())
        return;
      for (Value tile : {op.getA(), op.getB()}) {
        if (!ldmatrixReadable(tile))
          continue;
        auto [func, index] = *workgroupAttribution(tile);
        StringRef name = LLVM::LLVMDialect::getAlignAttrName();
        auto align = dyn_cast_or_null<IntegerAttr>(
            func.getWorkgroupAttributionAttr(index, name));
        if (!align || align.getInt() < 16)
          func.setWorkgroupAttributionAttr(index, name,
                                           builder.getI64IntegerAttr(16));
      }
    });
    if (bf16 && !module.lookupSymbol(kBF16Intrinsic)) {
      OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
      Type i32 = builder.getI32Type(), f32 = builder.getF32Type();
      SmallVector<Type> params(6, i32);
      params.append(4, f32);
      auto structType = LLVM::LLVMStructType::getLiteral(
          &getContext(), {f32, f32, f32, f32});
      builder.create<LLVM::LLVMFuncOp>(
          module.getLoc(), kBF16Intrinsic,
          LLVM::LLVMFunctionType::get(structType, params));
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerMMA>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(module, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
