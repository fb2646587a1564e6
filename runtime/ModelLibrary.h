//===- ModelLibrary.h - Validate a model library before dlopen ---*- C++ -*-===//
//
// dlopen trusts its input: a truncated library makes the loader map pages
// past the end of the file (SIGBUS) and a corrupted one runs arbitrary code.
// These checks run on the file's bytes first: the ELF header, the program
// and section header tables and every segment must lie inside the file,
// and the checksum trailer written by kiln-compile (LibraryTrailer.h) must
// match, so only an intact library produced by kiln-compile is loaded.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_MODELLIBRARY_H
#define KILN_RUNTIME_MODELLIBRARY_H

#include "kiln/runtime/kiln_runtime.h"

#include <cstdint>
#include <string>

namespace kiln::runtime {

/// Checks the `size` bytes of a model library; the message of a failure
/// says what is wrong without naming the file.
kiln_status *validateModelLibrary(const uint8_t *bytes, uint64_t size);

/// Reads the file at `path` and validates it; messages name the file.
kiln_status *validateModelLibraryFile(const std::string &path);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_MODELLIBRARY_H
