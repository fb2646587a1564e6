//===- LibraryTrailer.h - The checksum trailer of a model library -*- C++ -*-===//
//
// kiln-compile appends a 24-byte trailer to every model library it links:
// an FNV-1a 64 checksum of the bytes before it, their count, and a magic.
// The runtime verifies it before dlopen, so a truncated or corrupted library
// is refused instead of being mapped and executed (docs/abi.md). ELF loaders
// read only what the program headers name, so the trailer changes nothing
// for them. Header-only and dependency-free: the compiler and the runtime
// both include it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_LIBRARYTRAILER_H
#define KILN_RUNTIME_LIBRARYTRAILER_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace kiln::runtime {

inline constexpr char kTrailerMagic[8] = {'K', 'I', 'L', 'N',
                                          'S', 'U', 'M', '1'};
/// checksum (u64 LE), covered length (u64 LE), magic.
inline constexpr size_t kTrailerSize = 24;

inline uint64_t fnv1a64(const uint8_t *bytes, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}

inline uint64_t readLE64(const uint8_t *bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = value << 8 | bytes[i];
  return value;
}

/// The trailer for the `size` bytes of a library at `bytes`.
inline std::string makeTrailer(const uint8_t *bytes, size_t size) {
  std::string trailer(kTrailerSize, '\0');
  uint64_t fields[2] = {fnv1a64(bytes, size), static_cast<uint64_t>(size)};
  for (int f = 0; f < 2; ++f)
    for (int i = 0; i < 8; ++i)
      trailer[f * 8 + i] = static_cast<char>(fields[f] >> (8 * i));
  std::memcpy(&trailer[16], kTrailerMagic, sizeof(kTrailerMagic));
  return trailer;
}

/// True when the last bytes of a `size`-byte file are a trailer that covers
/// all the bytes before it (it may still disagree with them).
inline bool hasTrailer(const uint8_t *bytes, size_t size) {
  return size >= kTrailerSize &&
         std::memcmp(bytes + size - 8, kTrailerMagic, 8) == 0 &&
         readLE64(bytes + size - 16) == size - kTrailerSize;
}

} // namespace kiln::runtime

#endif // KILN_RUNTIME_LIBRARYTRAILER_H
