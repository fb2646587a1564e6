//===- Anchors.h - OpenBLAS reference kernels for kiln-bench ----*- C++ -*-===//
//
// The anchors a Kiln kernel is measured against: cblas_sgemm for `linear`,
// and attention built from cblas_sgemm (Q·Kᵀ and P·V per head) around a
// plain C++ masked softmax. OpenBLAS is used only here, in bench/.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BENCH_ANCHORS_H
#define KILN_BENCH_ANCHORS_H

#include "bench/Buffer.h"

#include <cstdint>
#include <vector>

namespace kiln::bench {

/// Sets OpenBLAS's thread count (openblas_set_num_threads).
void setBlasThreads(int threads);

/// y[M, N] = x[M, K] · w[N, K]ᵀ, the layout of `linear`, on OpenBLAS's
/// current thread count.
void gemmAnchor(const Buffer &x, const Buffer &w, Buffer &y, int64_t m,
                int64_t k, int64_t n);

/// Softmax attention over q, k, v, o of shape [1, T, H, D] (the JSON IR
/// layout), scale 1/√D, with a causal mask or none.
class AttentionAnchor {
public:
  AttentionAnchor(int64_t t, int64_t heads, int64_t headDim, bool causal);

  /// Runs on `threads` threads, each taking whole heads and calling OpenBLAS
  /// single-threaded (the caller sets setBlasThreads(1)). Returns false when
  /// the score scratch cannot be allocated.
  bool run(const Buffer &q, const Buffer &k, const Buffer &v, Buffer &o,
           int threads);

private:
  void runHead(const float *q, const float *k, const float *v, float *o,
               int64_t head, float *scores) const;

  int64_t t, heads, headDim;
  bool causal;
  /// One [rowBlock, T] score block per thread.
  std::vector<Buffer> scratch;
};

} // namespace kiln::bench

#endif // KILN_BENCH_ANCHORS_H
