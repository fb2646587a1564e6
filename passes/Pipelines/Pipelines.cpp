//===- Pipelines.cpp - Kiln's compilation pipelines -----------------------===//
//
// buildCPUPipeline and its kiln-opt registration. The order of the LLVM
// lowering follows what is known to work in MLIR 19 (DESIGN.md §7):
// memrefs are finalized before scf becomes cf (alloca scopes), and the
// functions are lowered before OpenMP regions.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines/Pipelines.h"
#include "passes/Conversion/Passes.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void kiln::buildFusionPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options) {
  if (options.fusion) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    // Raising first: the epilogues then fold into the raised ops too.
    OpPassManager &func = pm.nest<func::FuncOp>();
    func.addPass(createRaiseAttention());
    func.addPass(createRaiseFFN());
    func.addPass(createFuseEpilogues());
    func.addPass(createFuseElementwise());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  if (!options.fusionReport.empty()) {
    FusionReportOptions report;
    report.outputFile = options.fusionReport;
    pm.addPass(createFusionReport(report));
  }
}

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
  pm.addNestedPass<func::FuncOp>(createFreeBuffersEarly());
}

void kiln::buildLoopsToLLVMPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  pm.addPass(createOutlineKernels());
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
  buildFusionPipeline(pm, options);
  buildKilnToLoopsPipeline(pm, options);
  buildLoopsToLLVMPipeline(pm, options);
}

void kiln::registerPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "kiln-cpu-pipeline",
      "Lower a Kiln model to the LLVM dialect with the compiled-model ABI",
      buildCPUPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "kiln-fusion-pipeline",
      "Run Kiln's tensor-level fusion passes in their pipeline order",
      buildFusionPipeline);
}
