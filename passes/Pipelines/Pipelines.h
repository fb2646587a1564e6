//===- Pipelines.h - Kiln's compilation pipelines ---------------*- C++ -*-===//
//
// The pass pipelines shared by kiln-compile and kiln-opt: one library
// function per target, so both tools run exactly the same passes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_PIPELINES_PIPELINES_H
#define KILN_PASSES_PIPELINES_PIPELINES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace kiln {

/// Options of the CPU pipeline; also the options of `kiln-cpu-pipeline` in
/// kiln-opt.
struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> parallel{*this, "parallel",
                        llvm::cl::desc("Run parallel loops on OpenMP threads"),
                        llvm::cl::init(true)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes of the target's vector registers (16 for "
                     "AVX-512, 8 for AVX2, 4 for SSE); kiln-compile derives "
                     "it from --cpu"),
      llvm::cl::init(8)};
  Option<bool> fusion{*this, "fusion",
                      llvm::cl::desc("Run the fusion passes first (kiln-compile "
                                     "turns them off at -O0)"),
                      llvm::cl::init(true)};
  Option<std::string> fusionReport{
      *this, "fusion-report",
      llvm::cl::desc("Write the fusion report there ('-' for stdout) after "
                     "fusion; empty for none"),
      llvm::cl::init("")};
  Option<bool> outlineKernels{
      *this, "outline-kernels",
      llvm::cl::desc("Outline each loop nest into a function, identical ones "
                     "shared, before the deallocation pipeline (the CPU's "
                     "compile time; the GPU outlines its own kernels)"),
      llvm::cl::init(true)};
  Option<bool> prefetchPanels{
      *this, "prefetch-panels",
      llvm::cl::desc("Prefetch the GEMM's weight panels ahead of the "
                     "micro-kernel (kiln-prefetch-panels)"),
      llvm::cl::init(true)};
  Option<bool> rowAttention{
      *this, "row-attention",
      llvm::cl::desc("Lower attention with one parallel iteration per query "
                     "row (on for the GPU: an iteration is a thread)"),
      llvm::cl::init(false)};
  Option<bool> flashAttention{
      *this, "flash-attention",
      llvm::cl::desc("Lower attention to flash-attention thread blocks, "
                     "key and value tiles in workgroup memory (on for the "
                     "GPU)"),
      llvm::cl::init(false)};
  Option<bool> chunkedScans{
      *this, "chunked-scans",
      llvm::cl::desc("Lower scans as chunks of time, one channel per "
                     "parallel iteration (on for the GPU: an iteration is "
                     "a thread)"),
      llvm::cl::init(false)};
  Option<bool> blockRows{
      *this, "block-rows",
      llvm::cl::desc("Lower layer_norm, rms_norm and softmax over the last "
                     "axis with a thread block per row (on for the GPU)"),
      llvm::cl::init(false)};
  Option<bool> gpuGemm{
      *this, "gpu-gemm",
      llvm::cl::desc("Lower GEMMs to thread blocks sharing tiles in "
                     "workgroup memory (on for the GPU)"),
      llvm::cl::init(false)};
  Option<bool> gpuMMA{
      *this, "gpu-mma",
      llvm::cl::desc("With gpu-gemm: tensor-core tiles (warp.mma) for GEMMs "
                     "with f16 or bf16 weights, and with flash-attention for "
                     "f16 or bf16 attention (on for the GPU)"),
      llvm::cl::init(false)};
  Option<bool> gpuTF32{
      *this, "gpu-tf32",
      llvm::cl::desc("With gpu-mma: f32 GEMMs and attention on tensor cores "
                     "too, through TF32 (the GPU with gpu-fp32=tf32)"),
      llvm::cl::init(false)};
};

/// How the GPU multiplies f32 GEMMs and attention.
enum class GPUFP32 {
  /// f32 FMAs on the SIMT cores: results as exact as the CPU's.
  Exact,
  /// TF32 tensor cores: inputs rounded to 10 mantissa bits, f32 sums.
  TF32,
};

/// Options of the NVPTX (CUDA) pipeline; also the options of
/// `kiln-cuda-pipeline` in kiln-opt.
struct NVPTXPipelineOptions
    : public mlir::PassPipelineOptions<NVPTXPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("CUDA architecture: sm_80 or sm_90"),
                           llvm::cl::init("sm_90")};
  Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of the kernels (1 to 1024)"),
      llvm::cl::init(128)};
  Option<bool> fusion{*this, "fusion",
                      llvm::cl::desc("Run the fusion passes first (kiln-compile "
                                     "turns them off at -O0)"),
                      llvm::cl::init(true)};
  Option<std::string> fusionReport{
      *this, "fusion-report",
      llvm::cl::desc("Write the fusion report there ('-' for stdout) after "
                     "fusion; empty for none"),
      llvm::cl::init("")};
  Option<std::string> libdevice{
      *this, "libdevice",
      llvm::cl::desc("Path of CUDA's libdevice.10.bc, linked into the "
                     "kernels for the f64 math functions; empty for none"),
      llvm::cl::init("")};
  Option<unsigned> optLevel{
      *this, "O", llvm::cl::desc("LLVM optimization level of the kernels"),
      llvm::cl::init(3)};
  Option<bool> flashAttention{
      *this, "flash-attention",
      llvm::cl::desc("Lower attention to flash-attention thread blocks "
                     "(off: a thread per query row)"),
      llvm::cl::init(true)};
  Option<GPUFP32> gpuFP32{
      *this, "gpu-fp32",
      llvm::cl::desc("f32 GEMMs and attention: exact (SIMT FMAs) or tf32 "
                     "(tensor cores, inputs rounded to TF32); f16 and bf16 "
                     "GEMMs and attention always use tensor cores"),
      llvm::cl::init(GPUFP32::Exact),
      llvm::cl::values(clEnumValN(GPUFP32::Exact, "exact",
                                  "f32 FMAs (default)"),
                       clEnumValN(GPUFP32::TF32, "tf32",
                                  "TF32 tensor-core products"))};

  /// Sets the options of the stages the CPU and the GPU share.
  void fillSharedStages(CPUPipelineOptions &shared) const;
};

/// The f32 lanes the shared loops stage is given for the GPU: each thread
/// runs the kernels' vector code, narrow enough to keep per-thread scratch
/// small.
constexpr int64_t kGPUVectorWidth = 4;

/// Raises primitive graphs into the fused ops and folds epilogues and
/// elementwise chains, on tensors: the stage every target shares. With
/// `fusion` off it only writes the report, if one is asked for.
void buildFusionPipeline(mlir::OpPassManager &pm,
                         const CPUPipelineOptions &options);

/// Kiln dialects on tensors -> loops over buffers (memref, scf, arith, math).
void buildKilnToLoopsPipeline(mlir::OpPassManager &pm,
                              const CPUPipelineOptions &options);

/// Loops over buffers -> LLVM dialect with the compiled-model ABI
/// (docs/abi.md).
void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm,
                              const CPUPipelineOptions &options);

/// The whole CPU path: buildKilnToLoopsPipeline then
/// buildLoopsToLLVMPipeline.
/// Fusion, then the lowering to loops and to LLVM.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options);

/// Loops over buffers -> the gpu dialect: device buffers, kernels
/// outlined into one gpu.module, gpu.launch_func on the host.
void buildLoopsToGPUPipeline(mlir::OpPassManager &pm,
                             const NVPTXPipelineOptions &options);

/// For testing without a GPU: the steps of buildLoopsToGPUPipeline before
/// outlining, then every launch turned back into a parallel loop, so that
/// the CPU back end runs the GPU path's host code and kernels.
void buildGPUEmulationPipeline(mlir::OpPassManager &pm,
                               const NVPTXPipelineOptions &options);

/// The kernels' gpu.module -> NVVM (the LLVM dialect) with an #nvvm.target.
void buildGPUToNVVMPipeline(mlir::OpPassManager &pm,
                            const NVPTXPipelineOptions &options);

/// The kernels -> PTX in a gpu.binary (LLVM's NVPTX back end).
void buildNVVMToPTXPipeline(mlir::OpPassManager &pm,
                            const NVPTXPipelineOptions &options);

/// The host code of a module whose kernels are PTX (after
/// buildNVVMToPTXPipeline) -> the LLVM dialect with the compiled-model ABI,
/// launching kernels and allocating device memory through the runtime's
/// function table (docs/abi.md, "CUDA models").
void buildGPUHostToLLVMPipeline(mlir::OpPassManager &pm);

/// The whole GPU path: fusion, loops, the gpu dialect, NVVM and PTX.
void buildNVPTXPipeline(mlir::OpPassManager &pm,
                        const NVPTXPipelineOptions &options);

/// How far a module has been lowered: the IR kiln-compile writes with
/// --emit=mlir (Imported), --stop-after=loops and --stop-after=llvm-dialect
/// for the CPU, --stop-after=gpu and --stop-after=nvvm for CUDA.
enum class Stage { Imported, Loops, LLVMDialect, GPU, NVVM };

/// Recognizes the stage of `module` from the ops and types it holds.
Stage detectStage(mlir::ModuleOp module);

/// "import", "loops", "llvm-dialect", "gpu" or "nvvm", the --stop-after
/// name of a stage.
const char *stageName(Stage stage);

/// Checks that @kiln_main agrees with the kiln.signature attribute, tensor
/// by tensor (count, element type, rank, each static size; a symbolic dim
/// must be dynamic), on imported or loops IR. The runtime sizes every buffer
/// from the signature, so hand-edited IR that disagrees would read or write
/// out of bounds; the importer and the passes always agree.
mlir::LogicalResult verifyModelSignature(mlir::ModuleOp module, Stage stage);

/// Registers `kiln-cpu-pipeline` and `kiln-cuda-pipeline` for kiln-opt. It runs the stages that
/// `detectStage` finds still to do, so it accepts the output of any stage.
void registerPipelines();

} // namespace kiln

#endif // KILN_PASSES_PIPELINES_PIPELINES_H
