//===- ToolSupport.h - Command-line conventions of the LLVM-based tools -*- C++ -*-===//
//
// kiln-compile and kiln-opt parse part of their command line with llvm::cl.
// These helpers give those parts Kiln's conventions: "<tool>: error: ..."
// messages, a --version naming Kiln and LLVM, and no options of LLVM
// components Kiln does not use.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DRIVER_TOOLSUPPORT_H
#define KILN_DRIVER_TOOLSUPPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

namespace kiln::driver {

/// Unregisters the options of LLVM components linked into libLLVM but
/// unusable from Kiln (Polly), so that they appear neither in --help nor in
/// "Did you mean" suggestions.
void removeUnusableOptions();

/// Makes llvm::cl's --version print kiln::versionText(tool).
void setVersionPrinter(const char *tool);

/// llvm::cl::ParseCommandLineOptions whose errors are printed as
/// "<tool>: error: ..." (and "<tool>: note: ..." for suggestions); returns
/// false on an error instead of exiting.
bool parseCommandLine(const char *tool, int argc, const char *const *argv,
                      llvm::StringRef overview);

/// MLIR's recursive-descent parser overflows the stack on input nested a
/// few thousand levels deep (upstream mlir-opt crashes too); both tools
/// refuse textual MLIR nested deeper than this before parsing it.
constexpr unsigned kMaxMLIRNesting = 1000;

/// Checks that no `(`, `[` or `{` of the textual MLIR in `sourceMgr`'s main
/// buffer, outside string literals, is nested deeper than kMaxMLIRNesting;
/// otherwise reports an error at the first one that is and returns false.
/// Bytecode passes.
bool checkMLIRNesting(llvm::SourceMgr &sourceMgr);

} // namespace kiln::driver

#endif // KILN_DRIVER_TOOLSUPPORT_H
