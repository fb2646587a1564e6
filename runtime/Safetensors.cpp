//===- Safetensors.cpp - Read and validate safetensors files --------------===//
//
// Validation follows the safetensors specification strictly: the header
// length is bounded and inside the file, the header is a JSON object without
// duplicate keys, every entry has a known dtype, a shape and data_offsets
// [begin, end] with begin <= end inside the data section and end - begin
// equal to the shape's byte size, and the entries cover the data section
// contiguously (no overlap, no gap, nothing after the last tensor). Every
// message names the tensor and the rule.
//
//===----------------------------------------------------------------------===//

#include "runtime/Safetensors.h"
#include "runtime/Status.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

using json = nlohmann::json;

namespace kiln::runtime {

namespace {

struct DTypeEntry {
  const char *name;
  uint64_t size;
  int kiln; ///< kiln_dtype, or -1 when Kiln cannot compute with it.
};
constexpr DTypeEntry kDTypes[] = {
    {"F32", 4, KILN_F32},   {"F16", 2, KILN_F16}, {"BF16", 2, KILN_BF16},
    {"I32", 4, KILN_I32},   {"I64", 8, KILN_I64}, {"F64", 8, -1},
    {"I8", 1, -1},          {"U8", 1, -1},        {"I16", 2, -1},
    {"U16", 2, -1},         {"U32", 4, -1},       {"U64", 8, -1},
    {"BOOL", 1, KILN_BOOL}, {"F8_E4M3", 1, -1},   {"F8_E5M2", 1, -1}};

const DTypeEntry *findDType(const std::string &name) {
  for (const DTypeEntry &entry : kDTypes)
    if (name == entry.name)
      return &entry;
  return nullptr;
}

/// nlohmann's message without its "[json.exception...] " prefix.
std::string jsonMessage(const json::exception &error) {
  std::string text = error.what();
  size_t start = text.find("] ");
  return start == std::string::npos ? text : text.substr(start + 2);
}

kiln_status *formatError(const std::string &message) {
  return makeStatus(KILN_ERROR_FORMAT, message);
}

kiln_status *tensorError(const std::string &name, const std::string &message) {
  return formatError("tensor " + quote(name) + ": " + message);
}

kiln_status *parseMetadata(const json &value, SafetensorsFile &out) {
  if (!value.is_object())
    return formatError("__metadata__ must be an object of strings");
  for (const auto &[key, text] : value.items()) {
    if (!text.is_string())
      return formatError("__metadata__ value " + quote(key) +
                         " must be a string");
    out.metadata[key] = text.get<std::string>();
  }
  return nullptr;
}

kiln_status *parseEntry(const std::string &name, const json &value,
                        uint64_t dataSize, SafetensorsEntry &entry) {
  entry.name = name;
  if (!value.is_object())
    return tensorError(name, "expected an object with dtype, shape and "
                             "data_offsets");
  for (const auto &item : value.items())
    if (item.key() != "dtype" && item.key() != "shape" &&
        item.key() != "data_offsets")
      return tensorError(name, "unknown key " + quote(item.key()));
  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string())
    return tensorError(name, "missing string 'dtype'");
  entry.dtype = dtype->get<std::string>();
  const DTypeEntry *dtypeInfo = findDType(entry.dtype);
  if (!dtypeInfo)
    return tensorError(name, "unknown dtype " + quote(entry.dtype));

  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array())
    return tensorError(name, "missing array 'shape'");
  for (const json &dim : *shape) {
    if (!dim.is_number_unsigned() ||
        dim.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return tensorError(name, "shape entries must be non-negative integers");
    entry.shape.push_back(dim.get<int64_t>());
  }

  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    return tensorError(name, "data_offsets must be [begin, end] with "
                             "non-negative integers");
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  std::string range = "data_offsets [" + std::to_string(entry.begin) + ", " +
                      std::to_string(entry.end) + "]";
  if (entry.begin > entry.end)
    return tensorError(name, range + " has begin > end");
  if (entry.end > dataSize)
    return tensorError(name, range + " run past the end of the data section (" +
                                 std::to_string(dataSize) +
                                 " bytes); the file may be truncated");

  int64_t elements;
  if (!checkedProduct(entry.shape.data(), static_cast<int>(entry.shape.size()),
                      elements) ||
      static_cast<uint64_t>(elements) > UINT64_MAX / dtypeInfo->size)
    return tensorError(name,
                       "shape " + formatShape(entry.shape) + " is too large");
  uint64_t bytes = static_cast<uint64_t>(elements) * dtypeInfo->size;
  if (entry.end - entry.begin != bytes)
    return tensorError(
        name, range + " hold " + std::to_string(entry.end - entry.begin) +
                  " bytes but " + entry.dtype + " " + formatShape(entry.shape) +
                  " needs " + std::to_string(bytes));
  return nullptr;
}

/// The entries, sorted by offset, must tile the data section exactly.
kiln_status *checkLayout(SafetensorsFile &out) {
  std::sort(out.entries.begin(), out.entries.end(),
            [](const SafetensorsEntry &a, const SafetensorsEntry &b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  uint64_t expected = 0;
  const SafetensorsEntry *previous = nullptr;
  for (const SafetensorsEntry &entry : out.entries) {
    if (entry.begin < expected)
      return tensorError(entry.name,
                         "data_offsets [" + std::to_string(entry.begin) + ", " +
                             std::to_string(entry.end) + "] overlap tensor " +
                             quote(previous->name) + " [" +
                             std::to_string(previous->begin) + ", " +
                             std::to_string(previous->end) + "]");
    if (entry.begin > expected)
      return tensorError(
          entry.name,
          "data begins at offset " + std::to_string(entry.begin) + " but " +
              (previous ? "tensor " + quote(previous->name) + " ends at "
                        : std::string("the data section starts at ")) +
              std::to_string(expected) +
              "; tensors must cover the data section "
              "contiguously");
    expected = entry.end;
    if (entry.end > entry.begin)
      previous = &entry;
  }
  if (expected != out.dataSize)
    return formatError(
        "data section has " + std::to_string(out.dataSize - expected) +
        " bytes after the last tensor" +
        (previous ? " " + quote(previous->name) : std::string()) +
        "; tensors must cover the data section exactly");
  for (size_t i = 0; i < out.entries.size(); ++i)
    out.byName[out.entries[i].name] = static_cast<int32_t>(i);
  return nullptr;
}

} // namespace

kiln_status *parseSafetensors(const uint8_t *bytes, uint64_t size,
                              SafetensorsFile &out) {
  if (size < 8)
    return formatError("file has " + std::to_string(size) +
                       " bytes, fewer than the 8-byte header length");
  // Other files Kiln users have at hand, recognized by their magic rather
  // than reported as an absurd header length.
  auto startsWith = [&](const char *magic, size_t length) {
    return size >= length && std::memcmp(bytes, magic, length) == 0;
  };
  if (startsWith("\x93NUMPY", 6))
    return formatError("not a safetensors file: it is a .npy array (weights "
                       "must be one .safetensors file)");
  if (startsWith("\x7f" "ELF", 4))
    return formatError("not a safetensors file: it is an ELF file (a "
                       "compiled model?)");
  if (startsWith("{", 1))
    return formatError("not a safetensors file: it starts with '{' (a JSON "
                       "file?) where the 8-byte header length belongs");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | bytes[i];
  if (headerSize > kMaxSafetensorsHeader)
    return formatError("header length " + std::to_string(headerSize) +
                       " exceeds the limit of " +
                       std::to_string(kMaxSafetensorsHeader) + " bytes");
  if (headerSize > size - 8)
    return formatError("header length " + std::to_string(headerSize) +
                       " runs past the end of the file (" +
                       std::to_string(size) + " bytes)");

  // Duplicate top-level keys are an error; nlohmann would keep the last one.
  std::set<std::string> keys;
  std::string duplicate;
  auto onEvent = [&](int depth, json::parse_event_t event, json &parsed) {
    if (event == json::parse_event_t::key && depth == 1 &&
        !keys.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  const char *header = reinterpret_cast<const char *>(bytes + 8);
  json root;
  try {
    root = json::parse(header, header + headerSize, onEvent);
  } catch (const json::exception &error) {
    return formatError("header is not valid JSON: " + jsonMessage(error));
  }
  if (!root.is_object())
    return formatError("header must be a JSON object");
  if (!duplicate.empty())
    return formatError("header has duplicate key " + quote(duplicate));

  out.data = bytes + 8 + headerSize;
  out.dataSize = size - 8 - headerSize;
  for (const auto &[name, value] : root.items()) {
    if (name == "__metadata__") {
      if (kiln_status *status = parseMetadata(value, out))
        return status;
      continue;
    }
    out.entries.emplace_back();
    if (kiln_status *status =
            parseEntry(name, value, out.dataSize, out.entries.back()))
      return status;
  }
  return checkLayout(out);
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping)
    munmap(mapping, mappingSize);
}

void SafetensorsFile::releasePages(const void *start, size_t bytes) const {
  auto begin = reinterpret_cast<uintptr_t>(start);
  auto base = reinterpret_cast<uintptr_t>(mapping);
  if (!mapping || begin < base || bytes > mappingSize ||
      begin - base > mappingSize - bytes)
    return;
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t first = (begin + page - 1) / page * page;
  uintptr_t last = (begin + bytes) / page * page;
  // The mapping is private, read-only and never written: dropping a page
  // loses nothing, the next read maps it again from the page cache. Advice
  // that fails only leaves the pages resident.
  if (first < last)
    madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

kiln_status *SafetensorsFile::tensor(int32_t index, kiln_tensor &out) const {
  const SafetensorsEntry &entry = entries[index];
  const DTypeEntry *dtype = findDType(entry.dtype);
  if (dtype->kiln < 0)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      path + ": tensor " + quote(entry.name) + ": dtype " +
                          entry.dtype +
                          " is not supported (Kiln reads F32, F16, BF16, "
                          "I32, I64)");
  if (entry.shape.size() > KILN_MAX_RANK)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      path + ": tensor " + quote(entry.name) + ": rank " +
                          std::to_string(entry.shape.size()) +
                          " exceeds the maximum of " +
                          std::to_string(KILN_MAX_RANK));
  out.data = const_cast<uint8_t *>(data + entry.begin);
  out.dtype = static_cast<kiln_dtype>(dtype->kiln);
  out.rank = static_cast<int32_t>(entry.shape.size());
  std::copy(entry.shape.begin(), entry.shape.end(), out.shape);
  return nullptr;
}

kiln_status *openSafetensors(const std::string &path,
                             std::shared_ptr<SafetensorsFile> &out) {
  auto file = std::make_shared<SafetensorsFile>();
  file->path = path;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeStatus(KILN_ERROR_IO, "cannot open " + quote(path) + ": " +
                                         std::strerror(errno));
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return makeStatus(KILN_ERROR_IO,
                      "cannot read " + quote(path) + ": not a regular file");
  }
  uint64_t size = static_cast<uint64_t>(info.st_size);
  // mmap rejects empty files; the parser reports them as too short.
  if (size > 0) {
    file->mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (file->mapping == MAP_FAILED) {
      file->mapping = nullptr;
      int error = errno;
      close(fd);
      return makeStatus(KILN_ERROR_IO, "cannot map " + quote(path) + ": " +
                                           std::strerror(error));
    }
    file->mappingSize = size;
  }
  close(fd);
  static const uint8_t empty[1] = {0};
  const uint8_t *bytes =
      file->mapping ? static_cast<const uint8_t *>(file->mapping) : empty;
  if (kiln_status *status = parseSafetensors(bytes, size, *file))
    return prefixStatus(status, path + ": ");
  out = std::move(file);
  return nullptr;
}

const char *safetensorsDTypeName(kiln_dtype dtype) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.kiln == static_cast<int>(dtype))
      return entry.name;
  return nullptr;
}

} // namespace kiln::runtime
