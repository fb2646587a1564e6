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
#include "passes/Conversion/ToGPU/Passes.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/JSON.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void kiln::buildFusionPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options) {
  if (options.fusion) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    // Raising first: the epilogues then fold into the raised ops too.
    OpPassManager &func = pm.nest<func::FuncOp>();
    func.addPass(createKeepReducedDims());
    func.addPass(createRaiseActivations());
    func.addPass(createRaiseNorms());
    func.addPass(createRaiseSoftmax());
    func.addPass(createRaiseRope());
    func.addPass(createRaiseAttention());
    func.addPass(createRaiseLinear());
    func.addPass(createRaiseFFN());
    func.addPass(createFuseEpilogues());
    func.addPass(createFuseNormPrologues());
    func.addPass(createFuseRopeProjections());
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
  toLoops.rowAttention = options.rowAttention;
  toLoops.flashAttention = options.flashAttention;
  toLoops.chunkedScans = options.chunkedScans;
  toLoops.gpuGemm = options.gpuGemm;
  toLoops.gpuMMA = options.gpuMMA;
  toLoops.gpuTF32 = options.gpuTF32;
  toLoops.blockRows = options.blockRows;
  PackWeightsOptions packing;
  packing.vectorWidth = options.vectorWidth;
  pm.addPass(createPackWeights(packing));
  pm.addPass(createBufferizeBoundaries());
  pm.addPass(createBufferizeOps());
  pm.addPass(createConvertKilnToLoops(toLoops));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Before the deallocation pipeline and LLVM: both then see each distinct
  // kernel once, not once per layer.
  if (options.outlineKernels)
    pm.addPass(createOutlineKernels());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addNestedPass<func::FuncOp>(createFreeBuffersEarly());
  if (options.prefetchPanels)
    pm.addNestedPass<func::FuncOp>(createPrefetchPanels());
}

void kiln::buildLoopsToLLVMPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  if (options.parallel)
    pm.addPass(createParallelToOpenMP());
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

void kiln::NVPTXPipelineOptions::fillSharedStages(
    CPUPipelineOptions &shared) const {
  shared.parallel = true;
  shared.vectorWidth = kGPUVectorWidth;
  shared.fusion = fusion;
  shared.fusionReport = fusionReport;
  // Each parallel loop becomes a kernel of its own, deduplicated by
  // kiln-gpu-merge-kernel-modules; host functions around them would only
  // add calls.
  shared.outlineKernels = false;
  shared.rowAttention = true;
  shared.flashAttention = flashAttention;
  shared.chunkedScans = true;
  shared.gpuGemm = true;
  shared.gpuMMA = true;
  shared.gpuTF32 = gpuFP32 == GPUFP32::TF32;
  shared.blockRows = true;
  shared.prefetchPanels = false;
}

/// Device buffers, serial code wrapped, parallel loops mapped to launches.
static void buildLaunchesPipeline(OpPassManager &pm,
                                  const kiln::NVPTXPipelineOptions &options) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(kiln::createGPUDeviceBuffers());
  func.addPass(kiln::createGPUWrapSerialCode());
  kiln::GPUMapParallelLoopsOptions map;
  map.blockSize = options.blockSize;
  func.addPass(kiln::createGPUMapParallelLoops(map));
}

void kiln::buildGPUEmulationPipeline(OpPassManager &pm,
                                     const NVPTXPipelineOptions &options) {
  buildLaunchesPipeline(pm, options);
  pm.addNestedPass<func::FuncOp>(createGPUHostAllocations());
  pm.addNestedPass<func::FuncOp>(createGPUEmulateLaunches());
  pm.addNestedPass<func::FuncOp>(createGPUEmulateMMA());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::buildLoopsToGPUPipeline(OpPassManager &pm,
                                   const NVPTXPipelineOptions &options) {
  buildLaunchesPipeline(pm, options);
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGPUMergeKernelModules());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::buildGPUToNVVMPipeline(OpPassManager &pm,
                                  const NVPTXPipelineOptions &options) {
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  // Tensor-core tiles first: ldmatrix and mma.sync read the tiles' memrefs,
  // which the memref lowering below would otherwise expand.
  device.addPass(createGPULowerMMA());
  device.addPass(createConvertNVGPUToNVVMPass());
  // f32 math becomes polynomials, as on the CPU: no libdevice call per
  // element, and the same numerics.
  device.addPass(createGPUApproximateMath());
  // Subviews expand into affine.apply, which lower-affine then removes.
  device.addPass(memref::createExpandStridedMetadataPass());
  device.addPass(createLowerAffinePass());
  device.addPass(arith::createArithExpandOpsPass());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  device.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  device.addPass(createConvertSCFToCFPass());
  device.addPass(createConvertGpuOpsToNVVMOps());
  device.addPass(createGPUNativeMath());
  device.addPass(createReconcileUnrealizedCastsPass());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  // PTX ISA 8.0 (CUDA 12) is the first with sm_90.
  target.features = "+ptx80";
  target.optLevel = options.optLevel;
  SmallVector<std::string> libraries;
  if (!options.libdevice.empty())
    libraries.push_back(options.libdevice);
  target.linkLibs = libraries;
  pm.addPass(createGpuNVVMAttachTarget(target));
}

void kiln::buildNVVMToPTXPipeline(OpPassManager &pm,
                                  const NVPTXPipelineOptions &options) {
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void kiln::buildGPUHostToLLVMPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createGPUHostAllocations());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // The allocation functions become calls to the runtime's device
  // allocator (kiln-gpu-launch-through-api).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertSCFToCFPass());
  // The launches' grid sizes use ceildivui, which arith-to-llvm lacks.
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createGPULaunchThroughAPI());
  pm.addPass(createEmitModelABI());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::buildNVPTXPipeline(OpPassManager &pm,
                              const NVPTXPipelineOptions &options) {
  CPUPipelineOptions shared;
  options.fillSharedStages(shared);
  buildFusionPipeline(pm, shared);
  buildKilnToLoopsPipeline(pm, shared);
  buildLoopsToGPUPipeline(pm, options);
  buildGPUToNVVMPipeline(pm, options);
  buildNVVMToPTXPipeline(pm, options);
}

kiln::Stage kiln::detectStage(ModuleOp module) {
  bool imported = false, lowered = true, kernels = false, nvvm = true;
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
    if (isa<gpu::GPUModuleOp>(op)) {
      kernels = true;
      op->walk([&](Operation *inner) {
        StringRef name = inner->getName().getDialectNamespace();
        nvvm &= inner == op || isa<gpu::ModuleEndOp>(inner) ||
                name == "llvm" || name == "nvvm";
      });
    }
  });
  if (imported)
    return Stage::Imported;
  if (kernels)
    return nvvm ? Stage::NVVM : Stage::GPU;
  return lowered ? Stage::LLVMDialect : Stage::Loops;
}

const char *kiln::stageName(Stage stage) {
  switch (stage) {
  case Stage::Imported: return "import";
  case Stage::Loops: return "loops";
  case Stage::LLVMDialect: return "llvm-dialect";
  case Stage::GPU: return "gpu";
  case Stage::NVVM: return "nvvm";
  }
  return "";
}

LogicalResult kiln::verifyModelSignature(ModuleOp module, Stage stage) {
  auto text = module->getAttrOfType<StringAttr>("kiln.signature");
  auto main = module.lookupSymbol<func::FuncOp>("kiln_main");
  if (!text || !main)
    return module.emitError("expected a kiln.signature attribute and a "
                            "func.func @kiln_main");
  auto json = llvm::json::parse(text.getValue());
  const llvm::json::Object *root = json ? json->getAsObject() : nullptr;
  if (!root) {
    llvm::consumeError(json.takeError());
    return module.emitError("kiln.signature is not a JSON object");
  }
  // ABI order; packed weights exist from the loops stage on, as arguments.
  SmallVector<Type> types(main.getArgumentTypes());
  if (stage == Stage::Imported)
    llvm::append_range(types, main.getResultTypes());
  SmallVector<const llvm::json::Object *> tensors;
  for (StringRef group : {"inputs", "params", "packed", "outputs"}) {
    const llvm::json::Array *list = root->getArray(group);
    if (!list && group == "packed")
      continue;
    if (!list)
      return module.emitError("kiln.signature has no '") << group << "' list";
    for (const llvm::json::Value &tensor : *list)
      tensors.push_back(tensor.getAsObject());
  }
  if (tensors.size() != types.size())
    return main.emitError("the signature lists ")
           << tensors.size() << " tensors but @kiln_main has " << types.size();
  for (size_t index = 0; index < tensors.size(); ++index) {
    const llvm::json::Object *tensor = tensors[index];
    Type type = types[index];
    auto shaped = dyn_cast<ShapedType>(type);
    const llvm::json::Array *shape =
        tensor ? tensor->getArray("shape") : nullptr;
    std::optional<StringRef> dtype =
        tensor ? tensor->getString("dtype") : std::nullopt;
    auto mismatch = [&](StringRef what) {
      return main.emitError("tensor ")
             << index << " of the signature does not match " << type << ": "
             << what;
    };
    if (!shaped || !shaped.hasRank() || !shape || !dtype)
      return mismatch("expected a ranked tensor or memref and a signature "
                      "entry with a dtype and a shape");
    Type element = shaped.getElementType();
    std::pair<StringRef, bool> dtypes[] = {
        {"f32", element.isF32()},
        {"f16", element.isF16()},
        {"bf16", element.isBF16()},
        {"i32", element.isSignlessInteger(32)},
        {"i64", element.isSignlessInteger(64)}};
    for (auto [name, matches] : dtypes)
      if (*dtype == name && !matches)
        return mismatch(("dtype " + *dtype).str());
    if (static_cast<int64_t>(shape->size()) != shaped.getRank())
      return mismatch("rank " + std::to_string(shape->size()));
    for (auto [d, dim] : llvm::enumerate(*shape)) {
      std::optional<int64_t> size = dim.getAsInteger();
      if (size ? shaped.getDimSize(d) != *size : !shaped.isDynamicDim(d))
        return mismatch("dim " + std::to_string(d));
    }
  }
  return success();
}

namespace {

/// kiln-cpu-pipeline: the CPU pipeline from whatever stage the module is at.
struct StagedCPUPipeline
    : PassWrapper<StagedCPUPipeline, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StagedCPUPipeline)

  explicit StagedCPUPipeline(const kiln::CPUPipelineOptions &options)
      : parallel(options.parallel), vectorWidth(options.vectorWidth),
        fusion(options.fusion), fusionReport(options.fusionReport) {}
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
    if (stage == kiln::Stage::GPU || stage == kiln::Stage::NVVM) {
      getOperation().emitError()
          << "the module holds GPU kernels (stage '" << kiln::stageName(stage)
          << "'); run --kiln-cuda-pipeline on it";
      return signalPassFailure();
    }
    if (stage != kiln::Stage::LLVMDialect &&
        failed(kiln::verifyModelSignature(getOperation(), stage)))
      return signalPassFailure();
    OpPassManager pm(ModuleOp::getOperationName());
    if (stage == kiln::Stage::Imported) {
      kiln::buildFusionPipeline(pm, options);
      kiln::buildKilnToLoopsPipeline(pm, options);
    }
    if (stage != kiln::Stage::LLVMDialect)
      kiln::buildLoopsToLLVMPipeline(pm, options);
    if (failed(runPipeline(pm, getOperation())))
      signalPassFailure();
  }

  void fill(kiln::CPUPipelineOptions &options) const {
    options.parallel = parallel;
    options.vectorWidth = vectorWidth;
    options.fusion = fusion;
    options.fusionReport = fusionReport;
  }

  bool parallel;
  int64_t vectorWidth;
  bool fusion;
  std::string fusionReport;
};

/// kiln-cuda-pipeline: the NVPTX pipeline from whatever stage the module
/// is at.
struct StagedNVPTXPipeline
    : PassWrapper<StagedNVPTXPipeline, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StagedNVPTXPipeline)

  explicit StagedNVPTXPipeline(const kiln::NVPTXPipelineOptions &options) {
    this->options.copyOptionValuesFrom(options);
  }
  StagedNVPTXPipeline(const StagedNVPTXPipeline &other)
      : PassWrapper(other) {
    options.copyOptionValuesFrom(other.options);
  }
  StringRef getArgument() const override {
    return "kiln-staged-cuda-pipeline";
  }
  StringRef getDescription() const override {
    return "Run the NVPTX pipeline's remaining stages";
  }

  void getDependentDialects(DialectRegistry &registry) const override {
    OpPassManager pm(ModuleOp::getOperationName());
    kiln::buildNVPTXPipeline(pm, options);
    pm.getDependentDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    kiln::Stage stage = kiln::detectStage(module);
    if (stage == kiln::Stage::LLVMDialect) {
      module.emitError("the module is CPU code in the LLVM dialect; the CUDA "
                       "pipeline starts from an earlier stage");
      return signalPassFailure();
    }
    if ((stage == kiln::Stage::Imported || stage == kiln::Stage::Loops) &&
        failed(kiln::verifyModelSignature(module, stage)))
      return signalPassFailure();
    OpPassManager pm(ModuleOp::getOperationName());
    kiln::CPUPipelineOptions shared;
    options.fillSharedStages(shared);
    if (stage == kiln::Stage::Imported) {
      kiln::buildFusionPipeline(pm, shared);
      kiln::buildKilnToLoopsPipeline(pm, shared);
    }
    if (stage == kiln::Stage::Imported || stage == kiln::Stage::Loops)
      kiln::buildLoopsToGPUPipeline(pm, options);
    if (stage != kiln::Stage::NVVM)
      kiln::buildGPUToNVVMPipeline(pm, options);
    kiln::buildNVVMToPTXPipeline(pm, options);
    if (failed(runPipeline(pm, module)))
      signalPassFailure();
  }

  kiln::NVPTXPipelineOptions options;
};

} // namespace

void kiln::registerPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "kiln-cpu-pipeline",
      "Lower a Kiln model to the LLVM dialect with the compiled-model ABI, "
      "from whichever stage the input is at (imported, loops or LLVM "
      "dialect)",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        pm.addPass(std::make_unique<StagedCPUPipeline>(options));
      });
  PassPipelineRegistration<NVPTXPipelineOptions>(
      "kiln-cuda-pipeline",
      "Lower a Kiln model to CUDA kernels as PTX (a gpu.binary) and their "
      "launches, from whichever stage the input is at (imported, loops, "
      "gpu or nvvm)",
      [](OpPassManager &pm, const NVPTXPipelineOptions &options) {
        pm.addPass(std::make_unique<StagedNVPTXPipeline>(options));
      });
  PassPipelineRegistration<CPUPipelineOptions>(
      "kiln-fusion-pipeline",
      "Run Kiln's tensor-level fusion passes in their pipeline order",
      buildFusionPipeline);
}
