//===- Pipelines.cpp - Kiln's compilation pipelines -----------------------===//
//
// buildCPUPipeline, stage detection and the kiln-opt registration. The
// registered pipeline is one pass that runs the remaining stages as a
// dynamic pipeline: the deallocation pipeline must not run twice (on loops
// IR that already frees its buffers it fails), so what runs depends on the
// input. The order of the LLVM
// lowering follows what is known to work in MLIR 19 (DESIGN.md §7):
// memrefs are finalized before scf becomes cf (alloca scopes), and the
// functions are lowered before OpenMP regions.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines/Pipelines.h"
#include "passes/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void kiln::buildKilnToLoopsPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  ConvertKilnToLoopsOptions toLoops;
  toLoops.vectorWidth = options.vectorWidth;
  pm.addPass(createConvertKilnToLoops(toLoops));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
}

void kiln::buildLoopsToLLVMPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  if (options.parallel)
    pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createLowerMath());
  pm.addPass(createConvertMathToLibmPass());
  // bf16 conversions become integer bit operations: x86 libgcc has no
  // __truncsfbf2 to call.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createEmitModelABI());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::buildCPUPipeline(OpPassManager &pm,
                            const CPUPipelineOptions &options) {
  buildKilnToLoopsPipeline(pm, options);
  buildLoopsToLLVMPipeline(pm, options);
}

kiln::Stage kiln::detectStage(ModuleOp module) {
  bool imported = false, lowered = true;
  auto isTensor = [](Type type) { return isa<TensorType>(type); };
  module.walk([&](Operation *op) {
    if (op == module.getOperation())
      return;
    StringRef dialect = op->getName().getDialectNamespace();
    if (llvm::is_contained({"graph", "attn", "scan", "ffn"}, dialect) ||
        llvm::any_of(op->getResultTypes(), isTensor))
      imported = true;
    if (auto func = dyn_cast<func::FuncOp>(op))
      imported |= llvm::any_of(func.getArgumentTypes(), isTensor) ||
                  llvm::any_of(func.getResultTypes(), isTensor);
    // OpenMP regions stay omp ops on LLVM types after the last conversion.
    lowered &= dialect == "llvm" || dialect == "omp";
  });
  if (imported)
    return Stage::Imported;
  return lowered ? Stage::LLVMDialect : Stage::Loops;
}

const char *kiln::stageName(Stage stage) {
  switch (stage) {
  case Stage::Imported: return "import";
  case Stage::Loops: return "loops";
  case Stage::LLVMDialect: return "llvm-dialect";
  }
  return "";
}

namespace {

/// kiln-cpu-pipeline: the CPU pipeline from whatever stage the module is at.
struct StagedCPUPipeline
    : PassWrapper<StagedCPUPipeline, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StagedCPUPipeline)

  StagedCPUPipeline(bool parallel, int64_t vectorWidth)
      : parallel(parallel), vectorWidth(vectorWidth) {}
  StringRef getArgument() const override { return "kiln-staged-cpu-pipeline"; }
  StringRef getDescription() const override {
    return "Run the CPU pipeline's remaining stages";
  }

  void getDependentDialects(DialectRegistry &registry) const override {
    kiln::CPUPipelineOptions options;
    fill(options);
    OpPassManager pm(ModuleOp::getOperationName());
    kiln::buildCPUPipeline(pm, options);
    pm.getDependentDialects(registry);
  }

  void runOnOperation() override {
    kiln::CPUPipelineOptions options;
    fill(options);
    kiln::Stage stage = kiln::detectStage(getOperation());
    OpPassManager pm(ModuleOp::getOperationName());
    if (stage == kiln::Stage::Imported)
      kiln::buildKilnToLoopsPipeline(pm, options);
    if (stage != kiln::Stage::LLVMDialect)
      kiln::buildLoopsToLLVMPipeline(pm, options);
    if (failed(runPipeline(pm, getOperation())))
      signalPassFailure();
  }

  void fill(kiln::CPUPipelineOptions &options) const {
    options.parallel = parallel;
    options.vectorWidth = vectorWidth;
  }

  bool parallel;
  int64_t vectorWidth;
};

} // namespace

void kiln::registerPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "kiln-cpu-pipeline",
      "Lower a Kiln model to the LLVM dialect with the compiled-model ABI, "
      "from whichever stage the input is at (imported, loops or LLVM "
      "dialect)",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        pm.addPass(std::make_unique<StagedCPUPipeline>(options.parallel,
                                                       options.vectorWidth));
      });
}
