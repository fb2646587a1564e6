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
};

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

/// How far a module has been lowered: the IR kiln-compile writes with
/// --emit=mlir (Imported), --stop-after=loops and --stop-after=llvm-dialect.
enum class Stage { Imported, Loops, LLVMDialect };

/// Recognizes the stage of `module` from the ops and types it holds.
Stage detectStage(mlir::ModuleOp module);

/// "import", "loops" or "llvm-dialect", the --stop-after name of a stage.
const char *stageName(Stage stage);

/// Checks that @kiln_main agrees with the kiln.signature attribute, tensor
/// by tensor (count, element type, rank, each static size; a symbolic dim
/// must be dynamic), on imported or loops IR. The runtime sizes every buffer
/// from the signature, so hand-edited IR that disagrees would read or write
/// out of bounds; the importer and the passes always agree.
mlir::LogicalResult verifyModelSignature(mlir::ModuleOp module, Stage stage);

/// Registers `kiln-cpu-pipeline` for kiln-opt. It runs the stages that
/// `detectStage` finds still to do, so it accepts the output of any stage.
void registerPipelines();

} // namespace kiln

#endif // KILN_PASSES_PIPELINES_PIPELINES_H
