//===- TargetNVPTX.cpp - PTX for compiled models --------------------------===//
//
// Implements TargetNVPTX.h.
//
//===----------------------------------------------------------------------===//

#include "lib/Target/NVPTX/TargetNVPTX.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

namespace kiln::target {

std::string findLibdevice() {
  for (const char *variable : {"CUDA_PATH", "CUDA_HOME"}) {
    const char *root = std::getenv(variable);
    if (!root || !*root)
      continue;
    llvm::SmallString<256> path(root);
    llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
    if (llvm::sys::fs::exists(path))
      return std::string(path);
  }
  const char *fallback = "/usr/local/cuda/nvvm/libdevice/libdevice.10.bc";
  return llvm::sys::fs::exists(fallback) ? fallback : "";
}

LogicalResult checkLibdeviceCalls(ModuleOp module,
                                  const std::string &libdevice) {
  if (!libdevice.empty())
    return success();
  WalkResult result = module.walk([](gpu::GPUModuleOp kernels) {
    for (auto function : kernels.getOps<LLVM::LLVMFuncOp>())
      if (function.isExternal() && function.getName().starts_with("__nv_")) {
        function.emitError("the kernels call CUDA libdevice's '")
            << function.getName()
            << "' (f64 math), but no libdevice.10.bc was found: install the "
               "CUDA toolkit or set CUDA_PATH to it";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

bool kernelsToLLVMIR(ModuleOp module, std::string &text, std::string &error) {
  llvm::raw_string_ostream stream(text);
  llvm::LLVMContext context;
  for (auto kernels : module.getOps<gpu::GPUModuleOp>()) {
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(kernels, context, kernels.getName());
    if (!llvmModule) {
      error = "cannot translate gpu.module '" + kernels.getName().str() +
              "' to LLVM IR";
      return false;
    }
    llvmModule->print(stream, nullptr);
  }
  if (text.empty()) {
    error = "the module has no kernels in the NVVM dialect";
    return false;
  }
  return true;
}

bool extractPTX(ModuleOp module, std::string &ptx, std::string &error) {
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  if (binaries.size() != 1) {
    error = "expected one gpu.binary with the model's kernels, found " +
            std::to_string(binaries.size());
    return false;
  }
  for (Attribute attribute : binaries.front().getObjects()) {
    auto object = dyn_cast<gpu::ObjectAttr>(attribute);
    if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
      continue;
    ptx = object.getObject().getValue().rtrim('\0').str();
    return true;
  }
  error = "the gpu.binary holds no PTX";
  return false;
}

} // namespace kiln::target
