//===- Anchors.cpp - OpenBLAS reference kernels for kiln-bench ------------===//
//
// Attention is computed a block of query rows at a time, so that the score
// block stays small and a causal mask skips the keys after the block's last
// row: per head and row block, S = scale·Q·Kᵀ over the visible keys
// (sgemm), a masked row softmax in plain C++, then O = P·V (sgemm). Only the
// diagonal block of a causal mask computes scores that are then masked.
//
//===----------------------------------------------------------------------===//

#include "bench/Anchors.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

namespace kiln::bench {

namespace {

/// Query rows per score block: 128 rows × 2048 keys is 1 MiB of scores, one
/// Zen 4 L2 (of 64, 128 and 256 rows, 128 was fastest at T=2048).
constexpr int64_t kRowBlock = 128;

/// Softmax of row[0, visible) in place; row[visible, width) becomes 0.
void maskedSoftmaxRow(float *row, int64_t visible, int64_t width) {
  float maximum = row[0];
  for (int64_t s = 1; s < visible; ++s)
    maximum = std::max(maximum, row[s]);
  float sum = 0;
  for (int64_t s = 0; s < visible; ++s) {
    row[s] = std::exp(row[s] - maximum);
    sum += row[s];
  }
  float inverse = 1.0f / sum;
  for (int64_t s = 0; s < visible; ++s)
    row[s] *= inverse;
  for (int64_t s = visible; s < width; ++s)
    row[s] = 0;
}

} // namespace

void setBlasThreads(int threads) { openblas_set_num_threads(threads); }

void gemmAnchor(const Buffer &x, const Buffer &w, Buffer &y, int64_t m,
                int64_t k, int64_t n) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x.data(),
              k, w.data(), k, 0.0f, y.data(), n);
}

AttentionAnchor::AttentionAnchor(int64_t t, int64_t heads, int64_t headDim,
                                 bool causal)
    : t(t), heads(heads), headDim(headDim), causal(causal) {}

void AttentionAnchor::runHead(const float *q, const float *k, const float *v,
                              float *o, int64_t head, float *scores) const {
  const int64_t stride = heads * headDim; // between tokens in [1, T, H, D]
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  const int64_t offset = head * headDim;
  for (int64_t first = 0; first < t; first += kRowBlock) {
    int64_t rows = std::min(kRowBlock, t - first);
    int64_t keys = causal ? first + rows : t;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, keys, headDim,
                scale, q + first * stride + offset, stride, k + offset, stride,
                0.0f, scores, keys);
    for (int64_t r = 0; r < rows; ++r)
      maskedSoftmaxRow(scores + r * keys, causal ? first + r + 1 : keys, keys);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, headDim, keys,
                1.0f, scores, keys, v + offset, stride, 0.0f,
                o + first * stride + offset, stride);
  }
}

bool AttentionAnchor::run(const Buffer &q, const Buffer &k, const Buffer &v,
                          Buffer &o, int threads) {
  threads = static_cast<int>(std::clamp<int64_t>(threads, 1, heads));
  while (static_cast<int>(scratch.size()) < threads) {
    Buffer block(kRowBlock * t);
    if (!block.data())
      return false;
    scratch.push_back(std::move(block));
  }
  auto work = [&](int worker) {
    for (int64_t head = worker; head < heads; head += threads)
      runHead(q.data(), k.data(), v.data(), o.data(), head,
              scratch[worker].data());
  };
  std::vector<std::thread> helpers;
  for (int worker = 1; worker < threads; ++worker)
    helpers.emplace_back(work, worker);
  work(0);
  for (std::thread &helper : helpers)
    helper.join();
  return true;
}

} // namespace kiln::bench
