//===- TargetNVPTX.cpp - PTX for compiled models --------------------------===//
//
// Implements TargetNVPTX.h.
//
//===----------------------------------------------------------------------===//

#include "lib/Target/NVPTX/TargetNVPTX.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

namespace kiln::target {

/// The CUDA toolkit: the first of $CUDA_PATH and $CUDA_HOME that is set,
/// as nvcc does, else /usr/local/cuda.
static std::string toolkitRoot() {
  for (const char *variable : {"CUDA_PATH", "CUDA_HOME"})
    if (const char *value = std::getenv(variable); value && *value)
      return value;
  return "/usr/local/cuda";
}

std::string findLibdevice() {
  llvm::SmallString<256> path(toolkitRoot());
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  return llvm::sys::fs::exists(path) ? std::string(path) : "";
}

std::string findPtxas() {
  llvm::SmallString<256> path(toolkitRoot());
  llvm::sys::path::append(path, "bin", "ptxas");
  return llvm::sys::fs::can_execute(path) ? std::string(path) : "";
}

bool assembleCubin(const std::string &ptxas, const std::string &ptx,
                   const std::string &sm, std::string &cubin,
                   std::string &error) {
  llvm::SmallString<256> input, output, messages;
  for (auto [path, extension] :
       {std::pair{&input, "ptx"}, {&output, "cubin"}, {&messages, "txt"}})
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("kiln-ptxas", extension, *path)) {
      error = "cannot create a temporary file for ptxas: " + ec.message();
      return false;
    }
  auto cleanup = llvm::make_scope_exit([&] {
    for (const auto &path : {input, output, messages})
      llvm::sys::fs::remove(path);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream stream(input, ec);
    stream << ptx;
    if (ec || stream.has_error()) {
      error = "cannot write '" + std::string(input) + "'";
      return false;
    }
  }
  std::string arch = "-arch=" + sm;
  llvm::StringRef args[] = {ptxas, arch, input, "-o", output};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, std::nullopt,
                                                llvm::StringRef(messages)};
  int status = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects);
  auto bytes = llvm::MemoryBuffer::getFile(output);
  if (status != 0 || !bytes) {
    auto text = llvm::MemoryBuffer::getFile(messages);
    error = "ptxas " + arch + " failed on the generated PTX" +
            (text ? ": " + (*text)->getBuffer().take_front(1000).rtrim().str()
                  : std::string());
    return false;
  }
  cubin = (*bytes)->getBuffer().str();
  return true;
}

bool addCubin(ModuleOp module, const std::string &cubin, std::string &error) {
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  if (binaries.size() != 1 || binaries.front().getObjects().empty()) {
    error = "expected one gpu.binary with the model's PTX";
    return false;
  }
  gpu::BinaryOp binary = binaries.front();
  auto ptx = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  SmallVector<Attribute> objects(binary.getObjects().getValue());
  objects.push_back(gpu::ObjectAttr::get(
      module.getContext(), ptx.getTarget(), gpu::CompilationTarget::Binary,
      StringAttr::get(module.getContext(), cubin), DictionaryAttr()));
  binary.setObjectsAttr(ArrayAttr::get(module.getContext(), objects));
  return true;
}

LogicalResult checkLibdeviceCalls(ModuleOp module,
                                  const std::string &libdevice) {
  if (!libdevice.empty())
    return success();
  WalkResult result = module.walk([](gpu::GPUModuleOp kernels) {
    for (auto function : kernels.getOps<LLVM::LLVMFuncOp>())
      if (function.isExternal() && function.getName().starts_with("__nv_")) {
        emitError(function.getLoc(), "the kernels call CUDA libdevice's '")
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
  // gpu-module-to-binary's "llvm" format is the bitcode that the NVPTX back
  // end would get: triple, data layout and libdevice linked in.
  OwningOpRef<ModuleOp> copy = module.clone();
  PassManager pm(module.getContext());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "llvm";
  pm.addPass(createGpuModuleToBinaryPass(binary));
  if (failed(pm.run(*copy))) {
    error = "cannot translate the kernels to LLVM IR";
    return false;
  }
  llvm::raw_string_ostream stream(text);
  llvm::LLVMContext context;
  for (auto kernels : copy->getOps<gpu::BinaryOp>())
    for (Attribute attribute : kernels.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attribute);
      auto bitcode = llvm::MemoryBuffer::getMemBuffer(
          object.getObject().getValue(), kernels.getName(),
          /*RequiresNullTerminator=*/false);
      llvm::Expected<std::unique_ptr<llvm::Module>> llvmModule =
          llvm::parseBitcodeFile(*bitcode, context);
      if (!llvmModule) {
        error = "cannot read the kernels' bitcode: " +
                llvm::toString(llvmModule.takeError());
        return false;
      }
      (*llvmModule)->print(stream, nullptr);
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
