//===- Buffer.cpp - Aligned fp32 buffers for kiln-bench -------------------===//
//
// Allocation, the deterministic random fill and the result comparison.
//
//===----------------------------------------------------------------------===//

#include "bench/Buffer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kiln::bench {

Buffer::Buffer(int64_t count) {
  // aligned_alloc wants a size that is a multiple of the alignment.
  size_t bytes =
      (static_cast<size_t>(count) * sizeof(float) + 63) & ~size_t(63);
  values.reset(static_cast<float *>(std::aligned_alloc(64, bytes)));
  if (!values)
    return;
  std::memset(values.get(), 0, bytes);
  this->count = count;
}

void Buffer::fillRandom(uint64_t seed, float scale) {
  uint64_t state = seed * 0x9E3779B97F4A7C15ull;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    double unit = static_cast<double>(z >> 11) * 0x1p-53;
    values[i] = static_cast<float>((2 * unit - 1) * scale);
  }
}

kiln_tensor Buffer::view(std::initializer_list<int64_t> shape) const {
  kiln_tensor tensor = {};
  tensor.data = values.get();
  tensor.dtype = KILN_F32;
  tensor.rank = static_cast<int32_t>(shape.size());
  std::copy(shape.begin(), shape.end(), tensor.shape);
  return tensor;
}

double maxAbsDiff(const Buffer &a, const Buffer &b) {
  double worst = 0;
  int64_t n = std::min(a.size(), b.size());
  for (int64_t i = 0; i < n; ++i) {
    double diff = std::fabs(static_cast<double>(a.data()[i]) -
                            static_cast<double>(b.data()[i]));
    // A NaN on either side must show, not vanish in std::max.
    if (std::isnan(diff))
      return diff;
    worst = std::max(worst, diff);
  }
  return worst;
}

} // namespace kiln::bench
