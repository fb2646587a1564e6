//===- kiln-compile.cpp - Compile a Kiln model ahead of time --------------===//
//
// The command line of the compiler: CLI11 for Kiln's own options, with the
// MLIR pass-manager options (--mlir-print-ir-after-all, --mlir-timing, ...)
// passed through to llvm::cl. The work is done by lib/Driver.
//
//===----------------------------------------------------------------------===//

#include "kiln/InitAllPasses.h"
#include "lib/Driver/CompileDriver.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

using kiln::driver::Emit;

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  kiln::driver::CompileOptions options;
  options.progress = isatty(STDERR_FILENO);

  CLI::App app{"kiln-compile: compile a Kiln JSON IR model ahead of time"};
  app.allow_extras();
  app.add_option("model", options.input, "Model description (JSON IR v1)")
      ->required();
  app.add_option("-o,--output", options.output,
                 "Output file (default: the model path with the emitted "
                 "kind's extension; - for stdout with text outputs)");
  std::map<std::string, Emit> emits = {
      {"lib", Emit::Lib}, {"obj", Emit::Obj}, {"mlir", Emit::MLIR},
      {"llvm", Emit::LLVM}, {"asm", Emit::Asm}, {"ptx", Emit::PTX}};
  app.add_option("--emit", options.emit,
                 "lib (shared library), obj (object + C header), mlir "
                 "(imported IR), llvm (LLVM IR), asm, ptx")
      ->transform(CLI::CheckedTransformer(emits, CLI::ignore_case));
  app.add_option("--target", options.target, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--cpu", options.cpu,
                 "CPU to generate code for: native, or an LLVM CPU name "
                 "such as x86-64-v3");
  CLI::Option *sm =
      app.add_option("--sm", options.sm, "CUDA architecture (sm_80, sm_90)")
          ->check(CLI::IsMember({"sm_80", "sm_90"}));
  app.add_option("-O", options.optLevel, "Optimization level 0-3")
      ->check(CLI::Range(0u, 3u));
  std::vector<std::string> stages;
  for (const char *const *stage = kiln::driver::stopAfterStages(); *stage;
       ++stage)
    stages.push_back(*stage);
  app.add_option("--stop-after", options.stopAfter,
                 "Stop after a stage and write its IR")
      ->check(CLI::IsMember(stages));
  app.add_flag("--progress,!--no-progress", options.progress,
               "Print one line per stage (default: when stderr is a "
               "terminal)");
  app.add_flag("--fusion,!--no-fusion", options.fusion,
               "Run the fusion passes (default: on, off at -O0)");
  app.add_flag("--fusion-report", options.fusionReport,
               "Print which JSON nodes each fused kernel computes, and why "
               "the candidates that did not fuse did not, to stdout");
  app.add_flag("--parallel,!--no-parallel", options.parallel,
               "Run parallel loops on threads (default: on)");
  app.footer("MLIR pass-manager options such as --mlir-print-ir-after-all "
             "and --mlir-timing are accepted too.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // --help and --version exit 0; usage errors exit 1 like every error.
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (sm->count() && options.target != "cuda") {
    llvm::errs() << "kiln-compile: error: --sm applies to --target=cuda only\n";
    return 1;
  }

  // Registered so that --mlir-print-ir-after=<pass> can name Kiln's passes.
  kiln::registerAllPasses();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerAsmPrinterCLOptions();
  std::vector<std::string> extras = app.remaining();
  std::vector<const char *> clArgs = {argv[0]};
  for (const std::string &extra : extras)
    clArgs.push_back(extra.c_str());
  if (!llvm::cl::ParseCommandLineOptions(static_cast<int>(clArgs.size()),
                                         clArgs.data(), "kiln-compile",
                                         &llvm::errs()))
    return 1;
  return kiln::driver::compile(options);
}
