//===- Safetensors.h - Memory-mapped, validated safetensors ------*- C++
//-*-===//
//
// A safetensors file is an 8-byte little-endian header length N, an N-byte
// JSON header mapping tensor names to {dtype, shape, data_offsets} (plus an
// optional "__metadata__" string map), then the data section. The reader maps
// the file and validates every rule of the format before anyone reads data.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SAFETENSORS_H
#define KILN_RUNTIME_SAFETENSORS_H

#include "kiln/runtime/kiln_runtime.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace kiln::runtime {

/// Headers above this size are rejected before any allocation.
constexpr uint64_t kMaxSafetensorsHeader = 100ull << 20;

struct SafetensorsEntry {
  std::string name;
  std::string dtype; ///< Safetensors spelling: "F32", "BF16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0; ///< Offsets into the data section.
};

/// A validated file. Entries are sorted by data offset.
struct SafetensorsFile {
  std::string path;
  void *mapping = nullptr;
  size_t mappingSize = 0;
  const uint8_t *data = nullptr; ///< Start of the data section.
  uint64_t dataSize = 0;
  std::vector<SafetensorsEntry> entries;
  std::map<std::string, std::string> metadata;
  std::unordered_map<std::string, int32_t> byName;

  SafetensorsFile() = default;
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;
  ~SafetensorsFile();

  /// Describes entry `index` as a Kiln tensor pointing into the mapping.
  kiln_status *tensor(int32_t index, kiln_tensor &out) const;

  /// Lets the operating system drop the mapped pages that lie wholly inside
  /// [data, data + bytes): a read afterwards maps them again from the file,
  /// so the contents never change. Does nothing outside the mapping.
  void releasePages(const void *data, size_t bytes) const;
};

/// Maps `path` read-only and validates it.
kiln_status *openSafetensors(const std::string &path,
                             std::shared_ptr<SafetensorsFile> &out);

/// Validates `size` bytes of a safetensors file and fills `out` (whose
/// `data` then points into `bytes`). Messages do not name the file.
kiln_status *parseSafetensors(const uint8_t *bytes, uint64_t size,
                              SafetensorsFile &out);

/// Maps a Kiln dtype to its safetensors spelling ("F32", ...).
const char *safetensorsDTypeName(kiln_dtype dtype);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_SAFETENSORS_H
