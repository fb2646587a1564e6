//===- TargetCPU.h - x86-64 code generation for compiled models -*- C++ -*-===//
//
// The back end of the CPU path: LLVM dialect -> LLVM IR -> optimized with
// LLVM's pass pipeline -> object code or assembly for a chosen CPU -> a
// shared library linked with lld.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TARGET_CPU_TARGETCPU_H
#define KILN_TARGET_CPU_TARGETCPU_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace kiln::target {

struct CPUTargetOptions {
  /// "native" for the host CPU, or an LLVM CPU name such as "x86-64-v3".
  std::string cpu = "native";
  /// LLVM optimization level, 0 to 3.
  unsigned optLevel = 3;
};

/// Creates an x86-64 TargetMachine for `options`; null with `error` set when
/// the CPU name is unknown.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CPUTargetOptions &options, std::string &error);

/// f32 lanes of `machine`'s widest vector registers: 16 with AVX-512F, 8 with
/// AVX, 4 otherwise (SSE2, which every x86-64 has).
int64_t f32VectorWidth(const llvm::TargetMachine &machine);

/// Translates an LLVM-dialect module to LLVM IR for `machine` and runs
/// LLVM's optimization pipeline at `options.optLevel`.
std::unique_ptr<llvm::Module>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context,
                     llvm::TargetMachine &machine,
                     const CPUTargetOptions &options, std::string &error);

/// Emits `module` as an object file (or assembly) into `out`.
bool emitCode(llvm::Module &module, llvm::TargetMachine &machine, bool assembly,
              std::string &out, std::string &error);

/// Links `objectPath` into the shared library `outputPath` with ld.lld,
/// against libomp and libm.
bool linkSharedLibrary(const std::string &objectPath,
                       const std::string &outputPath, std::string &error);

} // namespace kiln::target

#endif // KILN_TARGET_CPU_TARGETCPU_H
