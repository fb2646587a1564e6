//===- RuntimeTestUtil.h - Helpers for the runtime unit tests ----*- C++
//-*-===//
//
// A self-deleting temporary directory, file writers, and a helper that turns
// a kiln_status into its message (freeing it) so tests can match messages.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_RUNTIME_RUNTIMETESTUTIL_H
#define KILN_TEST_UNIT_RUNTIME_RUNTIMETESTUTIL_H

#include "kiln/runtime/kiln_runtime.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace kiln::runtime::test {

/// A fresh directory under $TMPDIR, removed with its contents at the end.
class TempDir {
public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kiln-rt-XXXXXX").string();
    if (mkdtemp(pattern.data()))
      root = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  std::string path(const std::string &name) const {
    return (root / name).string();
  }

private:
  std::filesystem::path root;
};

inline void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// The message of `status` ("" for success); frees the status.
inline std::string message(kiln_status *status) {
  std::string text = status ? kiln_status_message(status) : "";
  kiln_status_free(status);
  return text;
}

/// A safetensors file: little-endian length, `header`, `dataBytes` bytes.
inline std::string safetensorsBytes(const std::string &header,
                                    size_t dataBytes) {
  std::string bytes;
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<char>(length >> (8 * i)));
  return bytes + header + std::string(dataBytes, '\0');
}

} // namespace kiln::runtime::test

#endif // KILN_TEST_UNIT_RUNTIME_RUNTIMETESTUTIL_H
