//===- TargetNVPTX.h - PTX for compiled models ------------------*- C++ -*-===//
//
// The back end of the CUDA path after the MLIR pipeline: where CUDA's
// libdevice is, the kernels' LLVM IR, and the PTX that gpu-module-to-binary
// left in the module's gpu.binary.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TARGET_NVPTX_TARGETNVPTX_H
#define KILN_TARGET_NVPTX_TARGETNVPTX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <string>

namespace kiln::target {

/// CUDA's libdevice.10.bc in the toolkit named by $CUDA_PATH, else
/// $CUDA_HOME, else /usr/local/cuda; empty when it is not there.
std::string findLibdevice();

/// The ptxas of that toolkit; empty when it is not there.
std::string findPtxas();

/// Assembles `ptx` for `sm` with `ptxas` into `cubin`; false with `error`
/// (ptxas's first messages) when it fails.
bool assembleCubin(const std::string &ptxas, const std::string &ptx,
                   const std::string &sm, std::string &cubin,
                   std::string &error);

/// Adds `cubin` to the module's gpu.binary, beside its PTX.
bool addCubin(mlir::ModuleOp module, const std::string &cubin,
              std::string &error);

/// Fails, with an error at the declaration, when the kernels of `module`
/// (NVVM stage) call a libdevice function and `libdevice` is empty: PTX
/// that calls an undefined function does not assemble.
mlir::LogicalResult checkLibdeviceCalls(mlir::ModuleOp module,
                                        const std::string &libdevice);

/// The kernels' gpu.module (NVVM stage) as LLVM IR text.
bool kernelsToLLVMIR(mlir::ModuleOp module, std::string &text,
                     std::string &error);

/// The PTX of the module's one gpu.binary, without the NUL byte that MLIR
/// appends (ptxas rejects it).
bool extractPTX(mlir::ModuleOp module, std::string &ptx, std::string &error);

} // namespace kiln::target

#endif // KILN_TARGET_NVPTX_TARGETNVPTX_H
