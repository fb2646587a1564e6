//===- Buffer.h - Aligned fp32 buffers for kiln-bench -----------*- C++ -*-===//
//
// Both sides of a benchmark read and write the same 64-byte aligned buffers,
// so neither pays for a misaligned row the other does not. The random fill
// is a fixed-seed SplitMix64 so that every run measures the same data.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BENCH_BUFFER_H
#define KILN_BENCH_BUFFER_H

#include "kiln/runtime/kiln_runtime.h"

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <memory>

namespace kiln::bench {

/// An owned, 64-byte aligned array of floats.
class Buffer {
public:
  Buffer() = default;
  /// Allocates `count` zeroed floats; `data()` is null when that fails.
  explicit Buffer(int64_t count);

  float *data() { return values.get(); }
  const float *data() const { return values.get(); }
  int64_t size() const { return count; }

  /// Fills with uniform values in [-scale, scale) from a stream named by
  /// `seed`.
  void fillRandom(uint64_t seed, float scale);

  /// A runtime tensor view of this buffer with the given shape.
  kiln_tensor view(std::initializer_list<int64_t> shape) const;

private:
  struct Free {
    void operator()(float *pointer) const { std::free(pointer); }
  };
  std::unique_ptr<float[], Free> values;
  int64_t count = 0;
};

/// The largest |a[i] - b[i]|.
double maxAbsDiff(const Buffer &a, const Buffer &b);

} // namespace kiln::bench

#endif // KILN_BENCH_BUFFER_H
