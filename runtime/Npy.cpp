//===- Npy.cpp - Read and write NumPy .npy files --------------------------===//
//
// The .npy format: the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), a
// little-endian header length (2 bytes in v1, 4 in v2/v3), a Python dict
// literal {'descr': ..., 'fortran_order': ..., 'shape': (...)} ending in a
// newline, then the raw data. The reader validates all of it and requires the
// data to be exactly as long as the shape says.
//
// NumPy has no bfloat16, so Kiln stores bf16 tensors as '<u2' (the raw bf16
// bits) and reads '<u2' as bf16: Kiln has no other 16-bit unsigned type.
//
//===----------------------------------------------------------------------===//

#include "runtime/Status.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

using namespace kiln::runtime;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr uint32_t kMaxHeader = 1u << 20;

struct NpyDType {
  const char *descr;
  kiln_dtype dtype;
};
constexpr NpyDType kNpyDTypes[] = {{"<f4", KILN_F32},  {"<f2", KILN_F16},
                                   {"<u2", KILN_BF16}, {"<i4", KILN_I32},
                                   {"<i8", KILN_I64},  {"|b1", KILN_BOOL}};

using FilePtr = std::unique_ptr<FILE, int (*)(FILE *)>;

/// A cursor over the header dict with just enough Python literal syntax.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool consumeWord(const char *word) {
    skipSpace();
    size_t length = std::strlen(word);
    if (text.compare(pos, length, word) != 0)
      return false;
    pos += length;
    return true;
  }
  bool parseString(std::string &out) {
    skipSpace();
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quoteChar = text[pos++];
    size_t end = text.find(quoteChar, pos);
    if (end == std::string::npos)
      return false;
    out = text.substr(pos, end - pos);
    pos = end + 1;
    return true;
  }
  bool parseInt(int64_t &out) {
    skipSpace();
    size_t start = pos;
    out = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (out > (INT64_MAX - 9) / 10)
        return false;
      out = out * 10 + (text[pos++] - '0');
    }
    // NumPy on some platforms writes sizes as 3L.
    if (pos < text.size() && text[pos] == 'L')
      ++pos;
    return pos > start;
  }
  bool atEnd() {
    skipSpace();
    return pos == text.size();
  }

private:
  const std::string &text;
  size_t pos = 0;
};

kiln_status *headerError(const std::string &message) {
  return makeStatus(KILN_ERROR_FORMAT, "invalid .npy header: " + message);
}

kiln_status *parseShape(HeaderParser &parser, kiln_tensor &out) {
  if (!parser.consume('('))
    return headerError("'shape' must be a tuple of integers");
  out.rank = 0;
  while (!parser.consume(')')) {
    int64_t size;
    if (!parser.parseInt(size))
      return headerError("'shape' must be a tuple of non-negative integers");
    if (out.rank == KILN_MAX_RANK)
      return headerError("rank exceeds the maximum of " +
                         std::to_string(KILN_MAX_RANK));
    out.shape[out.rank++] = size;
    if (!parser.consume(',')) {
      if (!parser.consume(')'))
        return headerError("'shape' tuple is not closed");
      break;
    }
  }
  return nullptr;
}

kiln_status *parseDescr(const std::string &descr, kiln_tensor &out) {
  for (const NpyDType &entry : kNpyDTypes) {
    if (descr == entry.descr) {
      out.dtype = entry.dtype;
      return nullptr;
    }
  }
  std::string hint = !descr.empty() && descr[0] == '>'
                         ? " (big-endian data is not supported)"
                         : "";
  return makeStatus(KILN_ERROR_FORMAT,
                    "unsupported dtype " + quote(descr) + hint +
                        "; Kiln reads '<f4', '<f2', '<u2' (bf16 bits), "
                        "'<i4', '<i8' and '|b1' (bool)");
}

/// Parses the header dict into dtype, rank and shape.
kiln_status *parseHeader(const std::string &text, kiln_tensor &out) {
  if (text.empty() || text.back() != '\n')
    return headerError("does not end with a newline");
  HeaderParser parser(text);
  if (!parser.consume('{'))
    return headerError("expected a dict");
  bool haveDescr = false, haveOrder = false, haveShape = false;
  while (!parser.consume('}')) {
    std::string key;
    if (!parser.parseString(key) || !parser.consume(':'))
      return headerError("expected 'key': value");
    if (key == "descr" && !haveDescr) {
      std::string descr;
      if (!parser.parseString(descr))
        return headerError("'descr' must be a string");
      if (kiln_status *status = parseDescr(descr, out))
        return status;
      haveDescr = true;
    } else if (key == "fortran_order" && !haveOrder) {
      if (parser.consumeWord("True"))
        return makeStatus(KILN_ERROR_FORMAT,
                          "Fortran-order arrays are not supported; save a "
                          "C-contiguous array");
      if (!parser.consumeWord("False"))
        return headerError("'fortran_order' must be True or False");
      haveOrder = true;
    } else if (key == "shape" && !haveShape) {
      if (kiln_status *status = parseShape(parser, out))
        return status;
      haveShape = true;
    } else {
      return headerError("unexpected or repeated key " + quote(key));
    }
    if (!parser.consume(',')) {
      if (!parser.consume('}'))
        return headerError("expected ',' or '}'");
      break;
    }
  }
  if (!parser.atEnd())
    return headerError("text after the dict");
  if (!haveDescr || !haveOrder || !haveShape)
    return headerError("needs the keys 'descr', 'fortran_order' and 'shape'");
  return nullptr;
}

/// Reads the preamble and header; leaves the file at the data.
kiln_status *readHeader(FILE *file, uint64_t fileSize, kiln_tensor &out,
                        uint64_t &dataOffset) {
  unsigned char prefix[12];
  if (fileSize < 10 || std::fread(prefix, 1, 10, file) != 10 ||
      std::memcmp(prefix, kMagic, 6) != 0)
    return makeStatus(KILN_ERROR_FORMAT,
                      "not a .npy file (no \\x93NUMPY magic)");
  int major = prefix[6], minor = prefix[7];
  if ((major < 1 || major > 3) || minor != 0)
    return makeStatus(KILN_ERROR_FORMAT, "unsupported .npy format version " +
                                             std::to_string(major) + "." +
                                             std::to_string(minor) +
                                             " (expected 1.0, 2.0 or 3.0)");
  uint64_t headerSize = prefix[8] | prefix[9] << 8;
  dataOffset = 10;
  if (major >= 2) {
    if (std::fread(prefix + 10, 1, 2, file) != 2)
      return headerError("file ends inside the header length");
    headerSize = static_cast<uint64_t>(prefix[8]) | prefix[9] << 8 |
                 static_cast<uint64_t>(prefix[10]) << 16 |
                 static_cast<uint64_t>(prefix[11]) << 24;
    dataOffset = 12;
  }
  if (headerSize > kMaxHeader)
    return headerError("length " + std::to_string(headerSize) +
                       " exceeds the limit of " + std::to_string(kMaxHeader));
  if (headerSize > fileSize - dataOffset)
    return headerError("length " + std::to_string(headerSize) +
                       " runs past the end of the file (" +
                       std::to_string(fileSize) + " bytes)");
  std::string text(headerSize, '\0');
  if (std::fread(text.data(), 1, headerSize, file) != headerSize)
    return makeStatus(KILN_ERROR_IO, "read error in the header");
  dataOffset += headerSize;
  return parseHeader(text, out);
}

const char *descrOf(kiln_dtype dtype) {
  for (const NpyDType &entry : kNpyDTypes)
    if (entry.dtype == dtype)
      return entry.descr;
  return nullptr;
}

} // namespace

extern "C" {

kiln_status *kiln_npy_read(const char *path, kiln_tensor *out) {
  if (!path || !out)
    return nullArgument("kiln_npy_read", !path ? "path" : "out");
  std::string where = std::string(path) + ": ";
  FilePtr file(std::fopen(path, "rb"), std::fclose);
  struct stat info;
  if (!file || fstat(fileno(file.get()), &info) != 0)
    return makeStatus(KILN_ERROR_IO, "cannot open " + quote(path) + ": " +
                                         std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    return makeStatus(KILN_ERROR_IO,
                      "cannot read " + quote(path) + ": not a regular file");
  uint64_t fileSize = static_cast<uint64_t>(info.st_size);
  kiln_tensor tensor = {};
  uint64_t dataOffset;
  if (kiln_status *status =
          readHeader(file.get(), fileSize, tensor, dataOffset))
    return prefixStatus(status, where);
  int64_t bytes = kiln_tensor_num_bytes(&tensor);
  if (bytes < 0)
    return makeStatus(KILN_ERROR_FORMAT,
                      where + "shape " +
                          formatShape(tensor.shape, tensor.rank) +
                          " is too large");
  uint64_t available = fileSize - dataOffset;
  if (available != static_cast<uint64_t>(bytes))
    return makeStatus(KILN_ERROR_FORMAT,
                      where + "file has " + std::to_string(available) +
                          " data bytes but " + kiln_dtype_name(tensor.dtype) +
                          " " + formatShape(tensor.shape, tensor.rank) +
                          " needs " + std::to_string(bytes) +
                          (available < static_cast<uint64_t>(bytes)
                               ? " (truncated file)"
                               : ""));
  if (kiln_status *status = kiln_tensor_alloc(&tensor))
    return prefixStatus(status, where);
  if (std::fread(tensor.data, 1, static_cast<size_t>(bytes), file.get()) !=
      static_cast<size_t>(bytes)) {
    kiln_tensor_free(&tensor);
    return makeStatus(KILN_ERROR_IO, where + "read error in the data");
  }
  *out = tensor;
  return nullptr;
}

kiln_status *kiln_npy_write(const char *path, const kiln_tensor *tensor) {
  if (!path || !tensor)
    return nullArgument("kiln_npy_write", !path ? "path" : "tensor");
  const char *descr = descrOf(tensor->dtype);
  int64_t bytes = kiln_tensor_num_bytes(tensor);
  if (!descr || bytes < 0 || (bytes > 0 && !tensor->data))
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      std::string(path) + ": invalid tensor to write");
  std::string shape = "(";
  for (int i = 0; i < tensor->rank; ++i)
    shape += std::to_string(tensor->shape[i]) + (tensor->rank == 1      ? ","
                                                 : i + 1 < tensor->rank ? ", "
                                                                        : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that the data starts 64-byte aligned, as NumPy does.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  FilePtr file(std::fopen(path, "wb"), std::fclose);
  if (!file)
    return makeStatus(KILN_ERROR_IO, "cannot create " + quote(path) + ": " +
                                         std::strerror(errno));
  unsigned char prefix[10];
  std::memcpy(prefix, kMagic, 6);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix[8] = static_cast<unsigned char>(header.size() & 0xff);
  prefix[9] = static_cast<unsigned char>(header.size() >> 8);
  bool ok = std::fwrite(prefix, 1, 10, file.get()) == 10 &&
            std::fwrite(header.data(), 1, header.size(), file.get()) ==
                header.size() &&
            (bytes == 0 || std::fwrite(tensor->data, 1, bytes, file.get()) ==
                               static_cast<size_t>(bytes));
  int error = errno;
  if (std::fclose(file.release()) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    std::remove(path);
    return makeStatus(KILN_ERROR_IO, "cannot write " + quote(path) + ": " +
                                         std::strerror(error));
  }
  return nullptr;
}

} // extern "C"
