//===- CompileDriver.h - The stages of kiln-compile -------------*- C++ -*-===//
//
// Runs a model through the compiler's stages — import, Kiln-to-loops, LLVM
// dialect, LLVM IR, machine code, shared library — stopping where the user
// asks, and writes the result atomically: on any error no output exists.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DRIVER_COMPILEDRIVER_H
#define KILN_DRIVER_COMPILEDRIVER_H

#include <string>

namespace kiln::driver {

/// What kiln-compile writes.
enum class Emit { Lib, Obj, MLIR, LLVM, Asm, PTX };

struct CompileOptions {
  std::string input;
  /// Output path; empty derives it from the input (model.json -> model.so).
  std::string output;
  Emit emit = Emit::Lib;
  std::string target = "cpu";
  std::string cpu = "native";
  /// CUDA architecture of --target=cuda.
  std::string sm = "sm_90";
  unsigned optLevel = 3;
  /// Stage after which to stop and write that stage's IR: "import",
  /// "fusion", "loops", then "llvm-dialect" (cpu) or "gpu" and "nvvm"
  /// (cuda); empty runs to `emit`.
  std::string stopAfter;
  /// Print one line per stage with its duration to stderr.
  bool progress = false;
  /// Run parallel loops on threads.
  bool parallel = true;
  /// Run the fusion passes (never at -O0).
  bool fusion = true;
  /// CPU target only: lower as for CUDA down to the kernel launches, then
  /// run the launches as parallel loops on the CPU (tests the GPU lowering
  /// without a GPU).
  bool gpuEmulation = false;
  /// The GPU's attention kernel (--target=cuda and --gpu-emulation): flash-
  /// attention thread blocks, or a thread per query row (`rows`).
  bool gpuAttentionRows = false;
  /// How GPU kernels (and --gpu-emulation) multiply f32 GEMMs: "exact"
  /// (SIMT FMAs) or "tf32" (tensor cores).
  std::string gpuFP32 = "exact";
  /// Print which JSON nodes each kernel computes, and why candidates did
  /// not fuse, to stdout.
  bool fusionReport = false;
};

/// The stage names accepted by CompileOptions::stopAfter.
const char *const *stopAfterStages();

/// Compiles according to `options`; prints errors to stderr and returns the
/// process exit code.
int compile(const CompileOptions &options);

} // namespace kiln::driver

#endif // KILN_DRIVER_COMPILEDRIVER_H
