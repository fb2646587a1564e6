//===- ConvertToLoops.cpp - Lower Kiln ops to loops over buffers ----------===//
//
// The kiln-convert-to-loops pass: rewrites each function from tensors to
// memrefs (results become trailing out-parameters) and lowers every Kiln op
// with the pattern sets of Patterns.h. Values cross between converted and
// not-yet-converted code through unrealized casts, which
// reconcile-unrealized-casts removes afterwards.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"
#include "passes/Conversion/ToLoops/PackWeights.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Attn/IR/AttnDialect.h"
#include "dialects/FFN/IR/FFNDialect.h"
#include "dialects/Graph/IR/GraphDialect.h"
#include "dialects/Scan/IR/ScanDialect.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLOOPS
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Ranked tensors become identity-layout memrefs of the same shape.
class BufferTypeConverter : public TypeConverter {
public:
  BufferTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion([](RankedTensorType type) -> Type {
      return MemRefType::get(type.getShape(), type.getElementType());
    });
    auto cast = [](OpBuilder &builder, Type type, ValueRange inputs,
                   Location loc) -> std::optional<Value> {
      return builder.create<UnrealizedConversionCastOp>(loc, type, inputs)
          .getResult(0);
    };
    addSourceMaterialization(cast);
    addTargetMaterialization(cast);
    addArgumentMaterialization(cast);
  }
};

/// Rewrites `func` to take memrefs and to write its results into trailing
/// out-parameters, bridging to the still tensor-typed body with casts.
void convertFunctionBoundary(func::FuncOp func) {
  if (func.isExternal())
    return;
  OpBuilder builder(func.getContext());
  Block &entry = func.getBody().front();
  builder.setInsertionPointToStart(&entry);
  SmallVector<Type> argTypes;
  for (BlockArgument arg : entry.getArguments()) {
    auto tensor = dyn_cast<RankedTensorType>(arg.getType());
    if (!tensor) {
      argTypes.push_back(arg.getType());
      continue;
    }
    auto memref = MemRefType::get(tensor.getShape(), tensor.getElementType());
    arg.setType(memref);
    auto cast = builder.create<UnrealizedConversionCastOp>(arg.getLoc(), tensor,
                                                           ValueRange{arg});
    arg.replaceAllUsesExcept(cast.getResult(0), cast);
    argTypes.push_back(memref);
  }

  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  SmallVector<Value> kept;
  builder.setInsertionPoint(ret);
  for (Value result : ret.getOperands()) {
    auto tensor = dyn_cast<RankedTensorType>(result.getType());
    if (!tensor) {
      kept.push_back(result);
      continue;
    }
    auto memref = MemRefType::get(tensor.getShape(), tensor.getElementType());
    BlockArgument out = entry.addArgument(memref, ret.getLoc());
    argTypes.push_back(memref);
    Value source = builder
                       .create<UnrealizedConversionCastOp>(ret.getLoc(), memref,
                                                           ValueRange{result})
                       .getResult(0);
    builder.create<memref::CopyOp>(ret.getLoc(), source, out);
  }
  builder.create<func::ReturnOp>(ret.getLoc(), kept);
  ret.erase();
  func.setFunctionType(builder.getFunctionType(argTypes, TypeRange(kept)));
}

struct ConvertKilnToLoopsPass
    : kiln::impl::ConvertKilnToLoopsBase<ConvertKilnToLoopsPass> {
  using ConvertKilnToLoopsBase::ConvertKilnToLoopsBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Vectors of 1 to 64 lanes: LLVM legalizes any of them on any x86-64.
    if (vectorWidth < 1 || vectorWidth > 64) {
      module.emitError("vector-width must be between 1 and 64 f32 lanes, got ")
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    PackedWeights packedWeights;
    if (failed(planPackedWeights(module, GemmTiling::forWidth(vectorWidth),
                                 packedWeights)))
      return signalPassFailure();
    for (auto func : module.getOps<func::FuncOp>())
      convertFunctionBoundary(func);

    KernelOptions options;
    options.vectorWidth = vectorWidth;
    options.blockScratch = blockScratch;
    options.gpuGemm = gpuGemm;
    options.gpuMMA = gpuMMA;
    options.gpuTF32 = gpuTF32;
    options.packedWeights = &packedWeights;
    BufferTypeConverter converter;
    RewritePatternSet patterns(&getContext());
    populateElementwiseToLoopsPatterns(options, converter, patterns);
    populateMathToLoopsPatterns(converter, patterns);
    populateIndexingToLoopsPatterns(converter, patterns);
    // The GPU's form of the norms and softmax, tried first.
    if (blockRows) {
      populateNormBlocksToLoopsPatterns(converter, patterns);
      populateSoftmaxBlocksToLoopsPatterns(converter, patterns);
    }
    populateGraphToLoopsPatterns(options, converter, patterns);
    populateGemmToLoopsPatterns(options, converter, patterns);
    populateDataMovementToLoopsPatterns(converter, patterns);
    // The GPU's forms of attention, tried first where they apply: thread
    // blocks (on tensor cores where they apply), then a row per thread.
    if (flashAttention && gpuMMA)
      populateAttnFlashMMAToLoopsPatterns(options, converter, patterns);
    if (flashAttention)
      populateAttnBlocksToLoopsPatterns(converter, patterns);
    if (rowAttention)
      populateAttnRowsToLoopsPatterns(options, converter, patterns);
    populateAttnToLoopsPatterns(options, converter, patterns);
    // The GPU's forms of the scans and linear attention, tried first where
    // they apply.
    if (chunkedScans) {
      populateScanChunksToLoopsPatterns(converter, patterns);
      populateLinearAttentionChunksToLoopsPatterns(converter, patterns);
    }
    populateLinearAttentionToLoopsPatterns(options, converter, patterns);
    populateScanToLoopsPatterns(options, converter, patterns);
    populateFFNToLoopsPatterns(options, converter, patterns);
    populateDecodeAttentionToLoopsPatterns(options, converter, patterns);
    populateScanStepToLoopsPatterns(options, converter, patterns);
    populateGenerationToLoopsPatterns(converter, patterns);

    ConversionTarget target(getContext());
    target.addIllegalDialect<graph::GraphDialect, attn::AttnDialect,
                             scan::ScanDialect, ffn::FFNDialect>();
    target.addIllegalOp<tensor::DimOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
