//===- MergeKernelModules.cpp - One gpu.module for a model's kernels ------===//
//
// The kiln-gpu-merge-kernel-modules pass. gpu-kernel-outlining gives every
// kernel its own gpu.module, which would make a PTX file (and a module load
// at run time) per kernel. A model's kernels go into one module instead,
// each named after the module outlining made for it; identical kernels
// (the same projection in every layer) are kept once. Every workgroup
// buffer gets an explicit 16-byte alignment (alignWorkgroupMemory).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

namespace kiln {
#define GEN_PASS_DEF_GPUMERGEKERNELMODULES
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The text of `kernel` with its name left out, to find identical kernels.
std::string bodyText(gpu::GPUFuncOp kernel) {
  StringAttr name = kernel.getNameAttr();
  kernel.setName("kernel");
  std::string text;
  llvm::raw_string_ostream stream(text);
  // Local scope: value numbers restart in each kernel, as they must for
  // identical kernels to print identically.
  kernel->print(stream,
                OpPrintingFlags().printGenericOpForm().useLocalScope());
  kernel.setName(name);
  return text;
}

/// Workgroup buffers aligned to 16 bytes. LLVM assumes that alignment for
/// any global over 128 bytes without one (DataLayout::getPreferredAlign)
/// and fuses neighbouring shared loads into ld.shared.v4 by it, while the
/// NVPTX printer declares such a global `.align 4` (its element's): an
/// explicit alignment makes the declaration match what the code assumes.
void alignWorkgroupMemory(ModuleOp module) {
  module.walk([](gpu::GPUFuncOp kernel) {
    auto name = LLVM::LLVMDialect::getAlignAttrName();
    for (unsigned i = 0; i < kernel.getNumWorkgroupAttributions(); ++i)
      if (!kernel.getWorkgroupAttributionAttr(i, name))
        kernel.setWorkgroupAttributionAttr(
            i, name, IntegerAttr::get(IntegerType::get(kernel.getContext(), 64),
                                      16));
  });
}

struct GPUMergeKernelModulesPass
    : kiln::impl::GPUMergeKernelModulesBase<GPUMergeKernelModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    alignWorkgroupMemory(module);
    SmallVector<gpu::GPUModuleOp> sources(module.getOps<gpu::GPUModuleOp>());
    if (sources.empty())
      return;
    if (sources.size() == 1 && sources.front().getName() == moduleName)
      return;
    OpBuilder builder(sources.front());
    auto merged =
        builder.create<gpu::GPUModuleOp>(module.getLoc(), moduleName.getValue());
    SymbolTable symbols(merged);
    // Which kernel of `merged` each source kernel became.
    llvm::DenseMap<Attribute, FlatSymbolRefAttr> kernelOf;
    llvm::StringMap<StringAttr> kernelByText;
    for (gpu::GPUModuleOp source : sources) {
      for (Operation &op :
           llvm::make_early_inc_range(source.getBody()->without_terminator())) {
        auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
        if (!kernel) {
          // Globals and helpers outlining copied from the host module: the
          // same symbol everywhere, kept once.
          auto symbol = dyn_cast<SymbolOpInterface>(op);
          if (symbol && symbols.lookup(symbol.getName()))
            continue;
          op.moveBefore(merged.getBody()->getTerminator());
          if (symbol)
            symbols.insert(&op);
          continue;
        }
        auto sourceRef = SymbolRefAttr::get(
            source.getNameAttr(), {FlatSymbolRefAttr::get(kernel)});
        std::string text = bodyText(kernel);
        auto [existing, inserted] =
            kernelByText.try_emplace(text, source.getNameAttr());
        if (inserted) {
          kernel.setName(source.getName());
          kernel->moveBefore(merged.getBody()->getTerminator());
          symbols.insert(kernel);
          existing->second = kernel.getNameAttr();
        }
        kernelOf[sourceRef] = FlatSymbolRefAttr::get(existing->second);
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto target = kernelOf.find(launch.getKernel());
      if (target != kernelOf.end())
        launch.setKernelAttr(SymbolRefAttr::get(merged.getNameAttr(),
                                                {target->second}));
    });
    for (gpu::GPUModuleOp source : sources)
      source.erase();
  }
};

} // namespace
