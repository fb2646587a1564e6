//===- CudaBufferCacheTest.cpp - The reuse of temporary device buffers ----===//

#include "runtime/CudaBufferCache.h"

#include <gtest/gtest.h>

#include <algorithm>

using kiln::runtime::CudaBufferCache;

namespace {

TEST(CudaBufferCacheTest, RoundsRequestsToSizeClasses) {
  EXPECT_EQ(CudaBufferCache::sizeClass(0), 512u);
  EXPECT_EQ(CudaBufferCache::sizeClass(1), 512u);
  EXPECT_EQ(CudaBufferCache::sizeClass(512), 512u);
  EXPECT_EQ(CudaBufferCache::sizeClass(513), 1024u);
  EXPECT_EQ(CudaBufferCache::sizeClass(1 << 20), 1u << 20);
  EXPECT_EQ(CudaBufferCache::sizeClass((1 << 20) + 1), 2u << 20);
  EXPECT_EQ(CudaBufferCache::sizeClass((5 << 20) - 7), 5u << 20);
}

TEST(CudaBufferCacheTest, HandsOutOnlyFreeBuffersThatFit) {
  CudaBufferCache cache;
  EXPECT_EQ(cache.take(100), 0u);
  cache.adopt(0x1000, 100);
  // In use: not handed out again.
  EXPECT_EQ(cache.take(100), 0u);
  EXPECT_TRUE(cache.give(0x1000));
  EXPECT_EQ(cache.freeBuffers(), 1u);
  // Too small for 600 bytes (1024 with rounding).
  EXPECT_EQ(cache.take(600), 0u);
  EXPECT_EQ(cache.take(300), 0x1000u);
  EXPECT_EQ(cache.buffersInUse(), 1u);
  EXPECT_TRUE(cache.give(0x1000));
}

TEST(CudaBufferCacheTest, KeepsLargeBuffersForLargeRequests) {
  CudaBufferCache cache;
  cache.adopt(0x1000, 4 << 20);
  cache.adopt(0x9000, 1 << 20);
  EXPECT_TRUE(cache.give(0x1000));
  EXPECT_TRUE(cache.give(0x9000));
  // 1.5 MiB rounds to 2 MiB: the 4 MiB buffer is at most twice that, the
  // 1 MiB one too small.
  EXPECT_EQ(cache.take(3 << 19), 0x1000u);
  EXPECT_TRUE(cache.give(0x1000));
  // 1 MiB takes the 1 MiB buffer, the smallest that fits.
  EXPECT_EQ(cache.take(1 << 20), 0x9000u);
  // 1 KiB may not take 4 MiB.
  EXPECT_EQ(cache.take(1024), 0u);
}

TEST(CudaBufferCacheTest, RefusesBuffersItDidNotHandOut) {
  CudaBufferCache cache;
  EXPECT_FALSE(cache.give(0x1000));
  cache.adopt(0x1000, 64);
  EXPECT_TRUE(cache.give(0x1000));
  EXPECT_FALSE(cache.give(0x1000));
}

TEST(CudaBufferCacheTest, GivesUpItsBuffers) {
  CudaBufferCache cache;
  cache.adopt(0x1000, 64);
  cache.adopt(0x2000, 64);
  cache.adopt(0x3000, 64);
  EXPECT_TRUE(cache.give(0x1000));
  EXPECT_TRUE(cache.give(0x2000));
  std::vector<uint64_t> free = cache.takeAllFree();
  std::sort(free.begin(), free.end());
  EXPECT_EQ(free, (std::vector<uint64_t>{0x1000, 0x2000}));
  EXPECT_EQ(cache.freeBuffers(), 0u);
  EXPECT_EQ(cache.takeAll(), (std::vector<uint64_t>{0x3000}));
  EXPECT_EQ(cache.buffersInUse(), 0u);
}

} // namespace
