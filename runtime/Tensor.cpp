//===- Tensor.cpp - dtypes and tensor descriptors -------------------------===//
//
// dtype names and sizes, and the helpers that size and allocate the data of a
// kiln_tensor. Allocations are 64-byte aligned so that generated vector code
// and readers of the data never see a misaligned buffer.
//
//===----------------------------------------------------------------------===//

#include "runtime/Status.h"

#include <cstdlib>
#include <cstring>

using namespace kiln::runtime;

namespace {
constexpr size_t kAlignment = 64;

struct DTypeInfo {
  const char *name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {{"f32", 4}, {"f16", 2}, {"bf16", 2},
                                 {"i32", 4}, {"i64", 8}, {"bool", 1}};
constexpr int kNumDTypes = sizeof(kDTypes) / sizeof(kDTypes[0]);

bool validDType(kiln_dtype dtype) {
  return static_cast<int>(dtype) >= 0 && static_cast<int>(dtype) < kNumDTypes;
}
} // namespace

extern "C" {

const char *kiln_dtype_name(kiln_dtype dtype) {
  return validDType(dtype) ? kDTypes[dtype].name : "?";
}

size_t kiln_dtype_size(kiln_dtype dtype) {
  return validDType(dtype) ? kDTypes[dtype].size : 0;
}

int kiln_dtype_parse(const char *name, kiln_dtype *out) {
  for (int i = 0; name && out && i < kNumDTypes; ++i) {
    if (std::strcmp(name, kDTypes[i].name) == 0) {
      *out = static_cast<kiln_dtype>(i);
      return 0;
    }
  }
  return -1;
}

int64_t kiln_tensor_num_elements(const kiln_tensor *tensor) {
  int64_t count;
  if (!tensor || tensor->rank < 0 || tensor->rank > KILN_MAX_RANK ||
      !checkedProduct(tensor->shape, tensor->rank, count))
    return -1;
  return count;
}

int64_t kiln_tensor_num_bytes(const kiln_tensor *tensor) {
  int64_t count = kiln_tensor_num_elements(tensor);
  if (count < 0)
    return -1;
  int64_t size = static_cast<int64_t>(kiln_dtype_size(tensor->dtype));
  if (count < 0 || size == 0 || count > INT64_MAX / size)
    return -1;
  return count * size;
}

kiln_status *kiln_tensor_alloc(kiln_tensor *tensor) {
  if (!tensor)
    return nullArgument("kiln_tensor_alloc", "tensor");
  if (!validDType(tensor->dtype))
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      "invalid dtype " + std::to_string(tensor->dtype));
  int64_t bytes = kiln_tensor_num_bytes(tensor);
  if (bytes < 0)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      "invalid tensor shape (rank " +
                          std::to_string(tensor->rank) + ")");
  if (static_cast<uint64_t>(bytes) > SIZE_MAX - kAlignment)
    return makeStatus(KILN_ERROR_RESOURCE, "tensor of " +
                                               std::to_string(bytes) +
                                               " bytes is too large");
  // aligned_alloc wants a multiple of the alignment; never ask for 0 bytes so
  // that even an empty tensor has a valid pointer.
  size_t rounded =
      (static_cast<size_t>(bytes) + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0)
    rounded = kAlignment;
  void *data = std::aligned_alloc(kAlignment, rounded);
  if (!data)
    return makeStatus(KILN_ERROR_RESOURCE,
                      "cannot allocate " + std::to_string(bytes) + " bytes");
  std::memset(data, 0, rounded);
  tensor->data = data;
  return nullptr;
}

void kiln_tensor_free(kiln_tensor *tensor) {
  if (!tensor)
    return;
  std::free(tensor->data);
  tensor->data = nullptr;
}

} // extern "C"
