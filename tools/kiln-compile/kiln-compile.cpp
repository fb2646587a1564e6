//===- kiln-compile.cpp - Compile a Kiln model ahead of time --------------===//
//
// The command line of the compiler: CLI11 for Kiln's own options, with the
// MLIR options (--mlir-print-ir-after-all, --mlir-timing, ...) passed
// through to llvm::cl; any other unknown option is an error here rather
// than an LLVM suggestion. The work is done by lib/Driver.
//
//===----------------------------------------------------------------------===//

#include "kiln/InitAllPasses.h"
#include "kiln/Version.h"
#include "lib/Driver/CompileDriver.h"
#include "lib/Driver/ToolSupport.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

using kiln::driver::Emit;

namespace {

int usageError(const std::string &message) {
  llvm::errs() << "kiln-compile: error: " << message
               << " (see kiln-compile --help)\n";
  return 1;
}

/// The name of an llvm::cl option argument: "--mlir-timing=x" -> "mlir-timing".
llvm::StringRef optionName(llvm::StringRef argument) {
  return argument.ltrim('-').split('=').first;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  kiln::driver::CompileOptions options;
  options.progress = isatty(STDERR_FILENO);

  CLI::App app{"kiln-compile: compile a Kiln JSON IR model, or the MLIR of "
               "any stage, ahead of time"};
  app.allow_extras();
  app.set_version_flag("--version", kiln::versionText("kiln-compile"));
  app.add_option("model", options.input,
                 "Model description (JSON IR v1), or MLIR written by "
                 "--emit=mlir or --stop-after: compilation continues from "
                 "the stage it is at")
      ->required();
  app.add_option("-o,--output", options.output,
                 "Output file; - for stdout. Default: stdout for text "
                 "(mlir, llvm, asm, --stop-after), the model path with .so "
                 "or .o for a library or an object");
  std::map<std::string, Emit> emits = {
      {"lib", Emit::Lib}, {"obj", Emit::Obj}, {"mlir", Emit::MLIR},
      {"llvm", Emit::LLVM}, {"asm", Emit::Asm}, {"ptx", Emit::PTX}};
  std::string emitName = "lib";
  CLI::Option *emit =
      app.add_option("--emit", emitName,
                     "lib (shared library), obj (object + C header), mlir "
                     "(imported IR), llvm (LLVM IR), asm, ptx")
          ->check(CLI::IsMember({"lib", "obj", "mlir", "llvm", "asm", "ptx"}))
          ->capture_default_str();
  app.add_option("--target", options.target, "Code generator")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--cpu", options.cpu,
                 "CPU to generate code for: native, or an LLVM CPU name "
                 "such as x86-64-v3")
      ->capture_default_str();
  CLI::Option *sm =
      app.add_option("--sm", options.sm, "CUDA architecture (--target=cuda)")
          ->check(CLI::IsMember({"sm_80", "sm_90"}))
          ->capture_default_str();
  app.add_option("-O", options.optLevel, "Optimization level 0-3")
      ->check(CLI::Range(0u, 3u))
      ->capture_default_str();
  std::vector<std::string> stages;
  for (const char *const *stage = kiln::driver::stopAfterStages(); *stage;
       ++stage)
    stages.push_back(*stage);
  app.add_option("--stop-after", options.stopAfter,
                 "Stop after a stage and write its IR (MLIR text)")
      ->check(CLI::IsMember(stages));
  app.add_flag("--progress,!--no-progress", options.progress,
               "Print one line per stage (default: when stderr is a "
               "terminal)");
  app.add_flag("--fusion,!--no-fusion", options.fusion,
               "Run the fusion passes (default: on, off at -O0)");
  app.add_flag("--fusion-report", options.fusionReport,
               "Print which JSON nodes each fused kernel computes, and why "
               "the candidates that did not fuse did not, to stdout");
  app.add_flag("--gpu-emulation", options.gpuEmulation,
               "Lower as for --target=cuda down to the kernel launches, then "
               "run them as parallel loops on the CPU: tests the GPU "
               "lowering where there is no GPU");
  std::string gpuAttention = "flash";
  auto *attention = app.add_option("--gpu-attention", gpuAttention,
                 "The GPU's attention kernel (--target=cuda, --gpu-emulation): "
                 "flash (a query tile per thread block, key and value tiles "
                 "in shared memory) or rows (a thread per query row)")
      ->check(CLI::IsMember({"flash", "rows"}))
      ->capture_default_str();
  CLI::Option *gpuFP32 =
      app.add_option("--gpu-fp32", options.gpuFP32,
                     "f32 GEMMs and attention on the GPU (--target=cuda, "
                     "--gpu-emulation): exact (SIMT FMAs) or tf32 (tensor "
                     "cores, inputs rounded to 10 mantissa bits, ~1e-3 "
                     "relative error)")
          ->check(CLI::IsMember({"exact", "tf32"}))
          ->capture_default_str();
  app.add_flag("--parallel,!--no-parallel", options.parallel,
               "Run parallel loops on threads (default: on)");
  app.footer("MLIR options such as --mlir-print-ir-after-all and "
             "--mlir-timing are accepted too.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // --help and --version print to stdout and exit 0.
    if (e.get_exit_code() == 0)
      return app.exit(e);
    return usageError(e.what());
  }
  options.emit = emits.at(emitName);
  options.gpuAttentionRows = gpuAttention == "rows";
  if (attention->count() && options.target != "cuda" && !options.gpuEmulation)
    return usageError("--gpu-attention applies to --target=cuda and "
                      "--gpu-emulation only");
  if (sm->count() && options.target != "cuda")
    return usageError("--sm applies to --target=cuda only");
  if (gpuFP32->count() && options.target != "cuda" && !options.gpuEmulation)
    return usageError("--gpu-fp32 applies to --target=cuda and "
                      "--gpu-emulation only");
  if (!options.stopAfter.empty() && emit->count() &&
      options.emit != Emit::MLIR)
    return usageError("--stop-after=" + options.stopAfter +
                      " writes MLIR; it conflicts with --emit=" + emitName);

  // Registered so that --mlir-print-ir-after=<pass> can name Kiln's passes.
  kiln::registerAllPasses();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerAsmPrinterCLOptions();
  std::vector<std::string> extras = app.remaining();
  std::vector<const char *> clArgs = {argv[0]};
  auto &registered = llvm::cl::getRegisteredOptions();
  for (const std::string &extra : extras) {
    if (extra.empty() || extra[0] != '-')
      return usageError("unexpected argument '" + extra + "'");
    llvm::StringRef name = optionName(extra);
    if (!name.starts_with("mlir-") || !registered.count(name))
      return usageError("unknown option '" + extra + "'");
    clArgs.push_back(extra.c_str());
  }
  if (!kiln::driver::parseCommandLine("kiln-compile",
                                      static_cast<int>(clArgs.size()),
                                      clArgs.data(), "kiln-compile"))
    return 1;
  return kiln::driver::compile(options);
}
