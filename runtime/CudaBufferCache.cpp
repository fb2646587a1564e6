//===- CudaBufferCache.cpp - Reuse of a session's temporary buffers -------===//

#include "runtime/CudaBufferCache.h"

#include <algorithm>

namespace kiln::runtime {

namespace {

constexpr size_t kSmallGranule = 512, kLargeGranule = size_t(1) << 20;

size_t roundUp(size_t bytes, size_t granule) {
  return (bytes + granule - 1) / granule * granule;
}

} // namespace

size_t CudaBufferCache::sizeClass(size_t bytes) {
  bytes = std::max<size_t>(bytes, 1);
  return roundUp(bytes, bytes > kLargeGranule ? kLargeGranule : kSmallGranule);
}

CudaDevicePtr CudaBufferCache::take(size_t bytes) {
  size_t wanted = sizeClass(bytes);
  auto found = free_.lower_bound(wanted);
  // A much larger buffer stays free for the request it fits.
  if (found == free_.end() || found->first > 2 * wanted)
    return 0;
  CudaDevicePtr pointer = found->second;
  inUse_.emplace(pointer, found->first);
  free_.erase(found);
  return pointer;
}

void CudaBufferCache::adopt(CudaDevicePtr pointer, size_t bytes) {
  inUse_.emplace(pointer, sizeClass(bytes));
}

bool CudaBufferCache::give(CudaDevicePtr pointer) {
  auto found = inUse_.find(pointer);
  if (found == inUse_.end())
    return false;
  free_.emplace(found->second, pointer);
  inUse_.erase(found);
  return true;
}

std::vector<CudaDevicePtr> CudaBufferCache::takeAllFree() {
  std::vector<CudaDevicePtr> buffers;
  for (const auto &[bytes, pointer] : free_)
    buffers.push_back(pointer);
  free_.clear();
  return buffers;
}

std::vector<CudaDevicePtr> CudaBufferCache::takeAll() {
  std::vector<CudaDevicePtr> buffers = takeAllFree();
  for (const auto &[pointer, bytes] : inUse_)
    buffers.push_back(pointer);
  inUse_.clear();
  return buffers;
}

} // namespace kiln::runtime
