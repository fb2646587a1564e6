//===- ConvertToLoops.cpp - Lower Kiln ops to loops over buffers ----------===//
//
// The kiln-convert-to-loops pass: lowers every Kiln op of functions whose
// buffers kiln-bufferize-boundaries and kiln-bufferize-ops have chosen,
// with the pattern sets of Patterns.h, into those buffers. Values cross
// between converted and not-yet-converted code through unrealized casts,
// which reconcile-unrealized-casts removes afterwards.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"
#include "passes/Conversion/ToLoops/PackWeights.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/ResultBuffers.h"

#include "dialects/Attn/IR/AttnDialect.h"
#include "dialects/FFN/IR/FFNDialect.h"
#include "dialects/Graph/IR/GraphDialect.h"
#include "dialects/Scan/IR/ScanDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
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
    addConversion(
        [](RankedTensorType type) -> Type { return bufferType(type); });
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

/// The boundary's buffer, for the tensor the body reads it as.
struct ToTensorToBuffer : OpConversionPattern<bufferization::ToTensorOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(bufferization::ToTensorOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getMemref());
    return success();
  }
};

/// A value in its buffer: nothing left to do where the op computing it
/// wrote that buffer, else a copy (a returned argument or view).
struct MaterializeToCopy
    : OpConversionPattern<bufferization::MaterializeInDestinationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(bufferization::MaterializeInDestinationOp op,
                  OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<MemRefType>(adaptor.getDest().getType()))
      return rewriter.notifyMatchFailure(op, "destination is not a buffer");
    if (adaptor.getSource() != adaptor.getDest())
      rewriter.create<memref::CopyOp>(op.getLoc(), adaptor.getSource(),
                                      adaptor.getDest());
    rewriter.eraseOp(op);
    return success();
  }
};

/// Whether every tensor result of a Kiln op has the buffer it is to be
/// lowered into (kiln-bufferize-ops).
LogicalResult checkResultBuffers(func::FuncOp func) {
  for (Operation &op : func.getBody().getOps()) {
    if (!writesResultBuffers(&op))
      continue;
    for (OpResult result : op.getResults())
      if (isa<RankedTensorType>(result.getType()) &&
          !resultBuffer(&op, result.getResultNumber()))
        return op.emitOpError("result #")
               << result.getResultNumber()
               << " has no buffer: kiln-convert-to-loops runs after "
                  "kiln-bufferize-ops";
  }
  return success();
}

/// What the pass expects of the steps before it: function boundaries on
/// buffers (kiln-bufferize-boundaries), a buffer for every result
/// (kiln-bufferize-ops), and packed panels (kiln-pack-weights) of this
/// vector width.
LogicalResult checkPreconditions(ModuleOp module, const GemmTiling &tiling) {
  for (auto func : module.getOps<func::FuncOp>()) {
    if (hasTensorBoundary(func))
      return func.emitError("function boundary on tensors: "
                            "kiln-convert-to-loops runs after "
                            "kiln-bufferize-boundaries");
    if (failed(checkResultBuffers(func)))
      return failure();
  }
  WalkResult result = module.walk([&](Operation *op) {
    auto pairs = op->getAttrOfType<DenseI64ArrayAttr>(kPackedPanelsAttr);
    if (!pairs)
      return WalkResult::advance();
    ArrayRef<int64_t> values = pairs.asArrayRef();
    auto func = op->getParentOfType<func::FuncOp>();
    if (values.size() % 2 != 0) {
      op->emitOpError("kiln.packed_panels must hold (operand, argument) "
                      "pairs, got ")
          << values.size() << " values";
      return WalkResult::interrupt();
    }
    for (size_t i = 0; i < values.size(); i += 2) {
      Value panels = packedPanels(op, values[i]);
      auto type = panels ? dyn_cast<MemRefType>(panels.getType()) : nullptr;
      if (!func || values[i] >= op->getNumOperands() || !type ||
          type.getRank() != 3 ||
          type.getDimSize(2) != tiling.panelColumns()) {
        op->emitOpError("kiln.packed_panels names no panels argument of ")
            << tiling.panelColumns()
            << " columns (packed for another vector-width?)";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
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
    if (failed(checkPreconditions(module, GemmTiling::forWidth(vectorWidth))))
      return signalPassFailure();

    KernelOptions options;
    options.vectorWidth = vectorWidth;
    options.gpuGemm = gpuGemm;
    options.gpuMMA = gpuMMA;
    options.gpuTF32 = gpuTF32;
    BufferTypeConverter converter;
    RewritePatternSet patterns(&getContext());
    patterns.add<ToTensorToBuffer, MaterializeToCopy>(converter,
                                                      &getContext());
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
    target.addIllegalOp<tensor::DimOp, bufferization::ToTensorOp,
                        bufferization::MaterializeInDestinationOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
