//===- kiln-opt.cpp - Kiln's mlir-opt -------------------------------------===//
//
// MlirOptMain with every Kiln dialect, pass and pipeline registered, so each
// stage of the compiler can be run and tested on its own. The command line
// is registered and parsed here rather than by MlirOptMain's own helper so
// that its errors follow Kiln's "kiln-opt: error: ..." format and --version
// names Kiln.
//
//===----------------------------------------------------------------------===//

#include "kiln/InitAllDialects.h"
#include "kiln/InitAllPasses.h"
#include "lib/Driver/ToolSupport.h"

#include "mlir/Debug/Counter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::DialectRegistry registry;
  kiln::registerAllDialects(registry);
  kiln::registerAllPasses();

  // The registrations of mlir::registerAndParseCLIOptions.
  static llvm::cl::opt<std::string> input(
      llvm::cl::Positional, llvm::cl::desc("<input file>"), llvm::cl::init("-"));
  static llvm::cl::opt<std::string> output(
      "o", llvm::cl::desc("Output filename"), llvm::cl::value_desc("filename"),
      llvm::cl::init("-"));
  mlir::MlirOptMainConfig::registerCLOptions(registry);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::tracing::DebugCounter::registerCLOptions();
  kiln::driver::removeUnusableOptions();
  kiln::driver::setVersionPrinter("kiln-opt");
  if (!kiln::driver::parseCommandLine("kiln-opt", argc, argv,
                                      "Kiln optimizer driver\n"))
    return 1;
  // Standard input is read once, by MlirOptMain, so only a file is checked.
  if (input != "-") {
    llvm::SourceMgr sourceMgr;
    if (auto buffer = llvm::MemoryBuffer::getFile(input)) {
      sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
      if (!kiln::driver::checkMLIRNesting(sourceMgr))
        return 1;
    }
  }
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, input, output, registry));
}
