//===- Weights.cpp - C API for safetensors weights ------------------------===//
//
// The kiln_weights handle over a validated, memory-mapped safetensors file,
// and the writer that tools use to produce such files.
//
//===----------------------------------------------------------------------===//

#include "runtime/Objects.h"
#include "runtime/Status.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <set>

using namespace kiln::runtime;

namespace {

/// Builds the header of a safetensors file, padded with spaces so that the
/// data section starts 8-byte aligned.
kiln_status *buildHeader(int32_t count, const char *const *names,
                         const kiln_tensor *tensors, std::string &header) {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (int32_t i = 0; i < count; ++i) {
    std::string name = names[i] ? names[i] : "";
    if (name.empty() || name == "__metadata__" || !seen.insert(name).second)
      return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                        "tensor " + std::to_string(i) + ": name " +
                            quote(name) + " is empty, reserved or repeated");
    const char *dtype = safetensorsDTypeName(tensors[i].dtype);
    int64_t bytes = kiln_tensor_num_bytes(&tensors[i]);
    if (!dtype || bytes < 0)
      return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                        "tensor " + quote(name) + ": invalid dtype or shape");
    if (bytes > 0 && !tensors[i].data)
      return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                        "tensor " + quote(name) + ": data is NULL");
    std::vector<int64_t> shape(tensors[i].shape,
                               tensors[i].shape + tensors[i].rank);
    root[name] = {{"dtype", dtype},
                  {"shape", shape},
                  {"data_offsets", {offset, offset + bytes}}};
    offset += static_cast<uint64_t>(bytes);
  }
  header = root.dump();
  header.append((8 - header.size() % 8) % 8, ' ');
  return nullptr;
}

} // namespace

extern "C" {

kiln_status *kiln_weights_open(const char *path, kiln_weights **out) {
  if (!path || !out)
    return nullArgument("kiln_weights_open", !path ? "path" : "out");
  std::shared_ptr<SafetensorsFile> file;
  if (kiln_status *status = openSafetensors(path, file))
    return status;
  kiln_weights *handle = new (std::nothrow) kiln_weights{std::move(file)};
  if (!handle)
    return makeStatus(KILN_ERROR_RESOURCE, "out of memory");
  *out = handle;
  return nullptr;
}

void kiln_weights_close(kiln_weights *weights) { delete weights; }

// The accessors answer for a NULL file as for an empty one: NULL, 0 or -1.

const char *kiln_weights_path(const kiln_weights *weights) {
  return weights ? weights->impl->path.c_str() : nullptr;
}

int32_t kiln_weights_count(const kiln_weights *weights) {
  return weights ? static_cast<int32_t>(weights->impl->entries.size()) : 0;
}

const char *kiln_weights_name(const kiln_weights *weights, int32_t index) {
  if (index < 0 || index >= kiln_weights_count(weights))
    return nullptr;
  return weights->impl->entries[index].name.c_str();
}

const char *kiln_weights_dtype_string(const kiln_weights *weights,
                                      int32_t index) {
  if (index < 0 || index >= kiln_weights_count(weights))
    return nullptr;
  return weights->impl->entries[index].dtype.c_str();
}

int32_t kiln_weights_find(const kiln_weights *weights, const char *name) {
  if (!weights || !name)
    return -1;
  auto it = weights->impl->byName.find(name);
  return it == weights->impl->byName.end() ? -1 : it->second;
}

kiln_status *kiln_weights_tensor(const kiln_weights *weights, int32_t index,
                                 kiln_tensor *out) {
  if (!weights || !out)
    return nullArgument("kiln_weights_tensor", !weights ? "weights" : "out");
  if (index < 0 || index >= kiln_weights_count(weights))
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT, weights->impl->path +
                                                       ": no tensor number " +
                                                       std::to_string(index));
  return weights->impl->tensor(index, *out);
}

const char *kiln_weights_metadata(const kiln_weights *weights,
                                  const char *key) {
  if (!weights || !key)
    return nullptr;
  auto it = weights->impl->metadata.find(key);
  return it == weights->impl->metadata.end() ? nullptr : it->second.c_str();
}

kiln_status *kiln_safetensors_write(const char *path, int32_t count,
                                    const char *const *names,
                                    const kiln_tensor *tensors) {
  if (!path || (count > 0 && (!names || !tensors)))
    return nullArgument("kiln_safetensors_write", !path    ? "path"
                                                  : !names ? "names"
                                                           : "tensors");
  if (count < 0)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      "kiln_safetensors_write: negative tensor count");
  std::string header;
  if (kiln_status *status = buildHeader(count, names, tensors, header))
    return prefixStatus(status, std::string(path) + ": ");
  FILE *file = std::fopen(path, "wb");
  if (!file)
    return makeStatus(KILN_ERROR_IO, "cannot create " + quote(path) + ": " +
                                         std::strerror(errno));
  uint8_t length[8];
  for (int i = 0; i < 8; ++i)
    length[i] =
        static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));
  bool ok = std::fwrite(length, 1, 8, file) == 8 &&
            std::fwrite(header.data(), 1, header.size(), file) == header.size();
  for (int32_t i = 0; ok && i < count; ++i) {
    size_t bytes = static_cast<size_t>(kiln_tensor_num_bytes(&tensors[i]));
    ok = bytes == 0 || std::fwrite(tensors[i].data, 1, bytes, file) == bytes;
  }
  int error = errno;
  if (std::fclose(file) != 0 && ok) {
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
