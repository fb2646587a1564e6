//===- ToolSupport.cpp - Command-line conventions of the LLVM-based tools -===//
//
// Implements ToolSupport.h.
//
//===----------------------------------------------------------------------===//

#include "lib/Driver/ToolSupport.h"

#include "kiln/Version.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <unistd.h>

namespace kiln::driver {

// UBSan's vptr check cannot read the type of Polly's options (their vtables
// in libLLVM.so carry no RTTI) and reports them as invalid objects.
__attribute__((no_sanitize("vptr"))) void removeUnusableOptions() {
  llvm::SmallVector<llvm::cl::Option *> unusable;
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::cl::Option *option = entry.getValue();
    if (entry.getKey().contains("polly") ||
        llvm::any_of(option->Categories, [](llvm::cl::OptionCategory *c) {
          return c->getName().starts_with("Polly");
        }))
      unusable.push_back(option);
  }
  for (llvm::cl::Option *option : unusable)
    option->removeArgument();
}

void setVersionPrinter(const char *tool) {
  llvm::cl::SetVersionPrinter(
      [tool](llvm::raw_ostream &os) { os << kiln::versionText(tool) << "\n"; });
}

bool parseCommandLine(const char *tool, int argc, const char *const *argv,
                      llvm::StringRef overview) {
  // llvm::cl reports some errors on the stream it is given and others
  // (bad option values) straight to stderr: stderr is redirected to a
  // temporary file while parsing so that every message can be reformatted.
  std::FILE *capture = std::tmpfile();
  int savedStderr = capture ? dup(STDERR_FILENO) : -1;
  if (savedStderr >= 0)
    dup2(fileno(capture), STDERR_FILENO);
  std::string messages;
  llvm::raw_string_ostream stream(messages);
  bool parsed = llvm::cl::ParseCommandLineOptions(argc, argv, overview,
                                                  &stream);
  if (savedStderr >= 0) {
    llvm::errs().flush();
    dup2(savedStderr, STDERR_FILENO);
    close(savedStderr);
    std::rewind(capture);
    char chunk[4096];
    for (size_t n; (n = std::fread(chunk, 1, sizeof(chunk), capture)) > 0;)
      messages.append(chunk, n);
  }
  if (capture)
    std::fclose(capture);
  if (parsed) {
    // Warnings, if any, pass through unchanged.
    llvm::errs() << messages;
    return true;
  }
  // llvm::cl prefixes each line with the program name as it was invoked.
  llvm::StringRef program = llvm::sys::path::filename(argv[0]);
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(messages).trim().split(lines, '\n', -1, false);
  // The first line is the error; of the rest only suggestions help (llvm::cl
  // also reports its failed attempts to read the argument as short options).
  for (size_t i = 0; i < lines.size(); ++i) {
    llvm::StringRef line = lines[i].trim();
    if (line.consume_front(program))
      line = line.ltrim(": ").ltrim();
    std::string text = line.str();
    if (!text.empty())
      text[0] = static_cast<char>(std::tolower(text[0]));
    if (i == 0)
      llvm::errs() << tool << ": error: " << text << "\n";
    else if (line.starts_with("Did you mean"))
      llvm::errs() << tool << ": note: " << text << "\n";
  }
  if (lines.empty())
    llvm::errs() << tool << ": error: invalid command line\n";
  return false;
}

bool checkMLIRNesting(llvm::SourceMgr &sourceMgr) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  llvm::StringRef text = buffer->getBuffer();
  if (text.starts_with("ML\xefR")) // Bytecode.
    return true;
  unsigned depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '/' && text.substr(i).starts_with("//")) {
      i = std::min(text.find('\n', i), text.size());
    } else if (c == '"') {
      inString = true;
    } else if (c == '(' || c == '[' || c == '{') {
      if (++depth > kMaxMLIRNesting) {
        sourceMgr.PrintMessage(llvm::SMLoc::getFromPointer(text.data() + i),
                               llvm::SourceMgr::DK_Error,
                               "nested deeper than " +
                                   llvm::Twine(kMaxMLIRNesting) +
                                   " levels, which MLIR's parser cannot take");
        return false;
      }
    } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

} // namespace kiln::driver
