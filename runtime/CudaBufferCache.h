//===- CudaBufferCache.h - Reuse of a session's temporary buffers -*- C++
//-*-===//
//
// The temporaries a model allocates and frees during a call (through the
// table of device services) stay with the session for reuse instead of
// going back to the driver: cuMemAlloc and cuMemFree are slow, and a
// cuMemFree first had to wait for the stream. A buffer given back may be
// handed out again at once, even while kernels queued earlier still use it:
// a session queues all its work on one stream, which runs it in order, so
// the next user's kernels run after theirs. PyTorch's caching allocator
// rests on the same rule.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDABUFFERCACHE_H
#define KILN_RUNTIME_CUDABUFFERCACHE_H

#include "runtime/CudaDriver.h"

#include <cstddef>
#include <map>
#include <unordered_map>
#include <vector>

namespace kiln::runtime {

class CudaBufferCache {
public:
  /// The size a request of `bytes` is allocated with: at least 1 (the
  /// driver refuses empty allocations), rounded up to 512 bytes, or to
  /// 1 MiB above 1 MiB, so that sizes that differ a little (a sequence one
  /// token longer) share buffers.
  static size_t sizeClass(size_t bytes);

  /// A free buffer for `bytes`, now in use: the smallest of at least
  /// sizeClass(bytes) and at most twice that; 0 when there is none.
  CudaDevicePtr take(size_t bytes);
  /// Records a new allocation of sizeClass(bytes) as in use.
  void adopt(CudaDevicePtr pointer, size_t bytes);
  /// Makes a buffer in use free again; false when `pointer` is not in use.
  bool give(CudaDevicePtr pointer);
  /// Forgets the free buffers and returns them, to be freed once the stream
  /// is idle.
  std::vector<CudaDevicePtr> takeAllFree();
  /// Forgets every buffer, free or in use, and returns them.
  std::vector<CudaDevicePtr> takeAll();

  size_t freeBuffers() const { return free_.size(); }
  size_t buffersInUse() const { return inUse_.size(); }

private:
  /// Free buffers by size.
  std::multimap<size_t, CudaDevicePtr> free_;
  /// Buffers handed out, with their sizes.
  std::unordered_map<CudaDevicePtr, size_t> inUse_;
};

} // namespace kiln::runtime

#endif // KILN_RUNTIME_CUDABUFFERCACHE_H
