//===- ModelLibrary.cpp - Validate a model library before dlopen ----------===//
//
// Implements ModelLibrary.h. Every offset read from the file is checked
// against the file size with overflow-safe arithmetic before it is used.
//
//===----------------------------------------------------------------------===//

#include "runtime/ModelLibrary.h"
#include "runtime/LibraryTrailer.h"
#include "runtime/Status.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace kiln::runtime {
namespace {

kiln_status *formatError(const std::string &message) {
  return makeStatus(KILN_ERROR_FORMAT, message);
}

/// True when [offset, offset + length) lies inside a file of `size` bytes.
bool inside(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

std::string range(uint64_t offset, uint64_t length) {
  return "bytes [" + std::to_string(offset) + ", " +
         std::to_string(offset + length) + ")";
}

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "%016" PRIx64, value);
  return text;
}

bool looksLikeJson(const uint8_t *bytes, uint64_t size) {
  for (uint64_t i = 0; i < size; ++i) {
    if (bytes[i] == '{' || bytes[i] == '[')
      return true;
    if (!std::strchr(" \t\r\n", bytes[i]))
      return false;
  }
  return false;
}

kiln_status *checkIdentity(const uint8_t *bytes, uint64_t size) {
  if (size == 0)
    return formatError("the file is empty");
  if (size < SELFMAG || std::memcmp(bytes, ELFMAG, SELFMAG) != 0) {
    if (size >= 6 && std::memcmp(bytes, "\x93NUMPY", 6) == 0)
      return formatError("it is a .npy array, not a compiled model library");
    return formatError("not an ELF shared library (no \\x7fELF magic)");
  }
  if (size < sizeof(Elf64_Ehdr))
    return formatError("the file is truncated: " + std::to_string(size) +
                       " bytes, shorter than an ELF header");
  if (bytes[EI_CLASS] != ELFCLASS64 || bytes[EI_DATA] != ELFDATA2LSB)
    return formatError("not a 64-bit little-endian ELF file");
  Elf64_Ehdr header;
  std::memcpy(&header, bytes, sizeof(header));
  if (header.e_type == ET_REL)
    return formatError("it is an object file, not a shared library (an "
                       "--emit=obj model is linked into an application; "
                       "see docs/abi.md)");
  if (header.e_type != ET_DYN)
    return formatError("ELF type " + std::to_string(header.e_type) +
                       " is not a shared library");
#if defined(__x86_64__)
  if (header.e_machine != EM_X86_64)
    return formatError("ELF machine " + std::to_string(header.e_machine) +
                       " is not x86-64");
#endif
  return nullptr;
}

kiln_status *checkSegments(const Elf64_Ehdr &header, const uint8_t *bytes,
                           uint64_t size) {
  if (header.e_phnum == 0 || header.e_phentsize != sizeof(Elf64_Phdr))
    return formatError("the ELF header has no valid program header table");
  uint64_t tableBytes = uint64_t(header.e_phnum) * sizeof(Elf64_Phdr);
  if (!inside(header.e_phoff, tableBytes, size))
    return formatError("the program header table (" +
                       range(header.e_phoff, tableBytes) +
                       ") runs past the end of the file (" +
                       std::to_string(size) + " bytes): it is truncated");
  bool dynamic = false, load = false;
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment;
    std::memcpy(&segment, bytes + header.e_phoff + i * sizeof(Elf64_Phdr),
                sizeof(segment));
    if (!inside(segment.p_offset, segment.p_filesz, size))
      return formatError("segment " + std::to_string(i) + " (" +
                         range(segment.p_offset, segment.p_filesz) +
                         ") runs past the end of the file (" +
                         std::to_string(size) + " bytes): it is truncated");
    if (segment.p_type == PT_LOAD) {
      load = true;
      if (segment.p_filesz > segment.p_memsz)
        return formatError("loadable segment " + std::to_string(i) +
                           " has more bytes in the file than in memory");
    }
    dynamic |= segment.p_type == PT_DYNAMIC;
  }
  if (!load || !dynamic)
    return formatError("the ELF file has no loadable or no dynamic segment");
  return nullptr;
}

kiln_status *checkSections(const Elf64_Ehdr &header, const uint8_t *bytes,
                           uint64_t size) {
  if (header.e_shnum == 0)
    return nullptr;
  if (header.e_shentsize != sizeof(Elf64_Shdr))
    return formatError("the ELF header has an invalid section header size");
  uint64_t tableBytes = uint64_t(header.e_shnum) * sizeof(Elf64_Shdr);
  if (!inside(header.e_shoff, tableBytes, size))
    return formatError("the section header table (" +
                       range(header.e_shoff, tableBytes) +
                       ") runs past the end of the file (" +
                       std::to_string(size) + " bytes): it is truncated");
  for (unsigned i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr section;
    std::memcpy(&section, bytes + header.e_shoff + i * sizeof(Elf64_Shdr),
                sizeof(section));
    if (section.sh_type != SHT_NOBITS &&
        !inside(section.sh_offset, section.sh_size, size))
      return formatError("section " + std::to_string(i) + " (" +
                         range(section.sh_offset, section.sh_size) +
                         ") runs past the end of the file (" +
                         std::to_string(size) + " bytes): it is truncated");
  }
  return nullptr;
}

kiln_status *checkTrailer(const uint8_t *bytes, uint64_t size) {
  if (size < kTrailerSize ||
      std::memcmp(bytes + size - 8, kTrailerMagic, 8) != 0)
    return formatError("it has no Kiln checksum: it was not written by "
                       "kiln-compile, or was truncated or modified since; "
                       "compile the model again");
  uint64_t covered = readLE64(bytes + size - 16);
  if (covered != size - kTrailerSize)
    return formatError("its checksum covers " + std::to_string(covered) +
                       " bytes but the library has " +
                       std::to_string(size - kTrailerSize) +
                       ": the file was modified; compile the model again");
  uint64_t expected = readLE64(bytes + size - kTrailerSize);
  uint64_t actual = fnv1a64(bytes, covered);
  if (expected != actual)
    return formatError("checksum mismatch (recorded " + hex(expected) +
                       ", computed " + hex(actual) +
                       "): the library is corrupted; compile the model again");
  return nullptr;
}

} // namespace

kiln_status *validateModelLibrary(const uint8_t *bytes, uint64_t size) {
  if (kiln_status *status = checkIdentity(bytes, size))
    return status;
  Elf64_Ehdr header;
  std::memcpy(&header, bytes, sizeof(header));
  if (kiln_status *status = checkSegments(header, bytes, size))
    return status;
  if (kiln_status *status = checkSections(header, bytes, size))
    return status;
  return checkTrailer(bytes, size);
}

kiln_status *validateModelLibraryFile(const std::string &path) {
  std::string where = "cannot load model " + quote(path) + ": ";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeStatus(KILN_ERROR_IO, "cannot open model " + quote(path) +
                                         ": " + std::strerror(errno));
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return makeStatus(KILN_ERROR_IO, where + "not a regular file");
  }
  uint64_t size = static_cast<uint64_t>(info.st_size);
  void *mapping = nullptr;
  if (size > 0) {
    mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      int error = errno;
      close(fd);
      return makeStatus(KILN_ERROR_IO, where + std::strerror(error));
    }
  }
  close(fd);
  const auto *bytes = static_cast<const uint8_t *>(mapping);
  kiln_status *status = nullptr;
  if (looksLikeJson(bytes, size))
    status = formatError("it is a JSON file, not a compiled model library; "
                         "compile it first: kiln-compile " + path +
                         " -o model.so");
  else
    status = validateModelLibrary(bytes, size);
  if (mapping)
    munmap(mapping, size);
  return prefixStatus(status, where);
}

} // namespace kiln::runtime
