/* scan_ref.c - the hand-fused C selective scan, an anchor of bench/run.sh.
 *
 * The obvious good C implementation of DESIGN.md §4's selective_scan for one
 * batch row: channels in blocks of kBlock, the block's state h[N][kBlock] kept
 * in local arrays across the whole time loop, and every step (softplus of
 * delta + delta_bias, exp(delta·A), the state update, the C contraction, the
 * D skip and the silu(z) gate) fused in one pass over time. The inner loops
 * run over the channels of a block, contiguous in u, delta and z, so GCC
 * vectorizes them, exp and log1p included (glibc's libmvec, -ffast-math).
 * Blocks are independent: OpenMP splits them over the threads.
 *
 * Built by bench/run.sh with gcc -O3 -march=native -ffast-math -fopenmp as a
 * shared library and called through ctypes (bench/anchor_c.py). */
#include <math.h>

/* 64 channels a block: the block's state and A (N = 16: 2 x 4 KiB) stay in
 * L1, the channel loops are 8 AVX2 vectors long, and D = 1536 splits into 24
 * blocks, evenly over 1 or 2 threads. (Blocks of 8 or 16 channels were 2-5x
 * slower here: GCC then vectorizes across states with shuffles.) */
enum { kBlock = 64, kMaxState = 64 };

static inline __attribute__((always_inline)) void
scan_block(int T, int D, int N, int d0, int cb, const float *u,
           const float *delta, const float *A, const float *B, const float *C,
           const float *Dskip, const float *z, const float *dbias, float *y) {
  float At[kMaxState][kBlock], h[kMaxState][kBlock];
  float bias[kBlock], dskip[kBlock];
  for (int c = 0; c < cb; ++c) {
    bias[c] = dbias ? dbias[d0 + c] : 0.0f;
    dskip[c] = Dskip ? Dskip[d0 + c] : 0.0f;
  }
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < cb; ++c) {
      At[n][c] = A[(long)(d0 + c) * N + n];
      h[n][c] = 0.0f;
    }
  for (int t = 0; t < T; ++t) {
    const long row = (long)t * D + d0;
    const float *bt = B + (long)t * N, *ct = C + (long)t * N;
    float dt[kBlock], du[kBlock], acc[kBlock];
    for (int c = 0; c < cb; ++c) {
      float x = delta[row + c] + bias[c];
      dt[c] = x > 20.0f ? x : log1pf(expf(x)); /* softplus */
      du[c] = dt[c] * u[row + c];
      acc[c] = dskip[c] * u[row + c];
    }
    for (int n = 0; n < N; ++n) {
      const float bn = bt[n], cn = ct[n];
      for (int c = 0; c < cb; ++c) {
        h[n][c] = expf(dt[c] * At[n][c]) * h[n][c] + du[c] * bn;
        acc[c] += h[n][c] * cn;
      }
    }
    for (int c = 0; c < cb; ++c) {
      float g = z ? z[row + c] / (1.0f + expf(-z[row + c])) : 1.0f;
      y[row + c] = acc[c] * g;
    }
  }
}

/* u, delta, z, y: [T, D]; A: [D, N]; B, C: [T, N]; Dskip, dbias: [D] or
 * NULL; z may be NULL. Returns 0, or -1 when N exceeds kMaxState. */
int scan_ref(int T, int D, int N, const float *u, const float *delta,
             const float *A, const float *B, const float *C,
             const float *Dskip, const float *z, const float *dbias, float *y,
             int threads) {
  if (N > kMaxState)
    return -1;
  const int blocks = (D + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int b = 0; b < blocks; ++b) {
    const int d0 = b * kBlock;
    if (d0 + kBlock <= D)
      scan_block(T, D, N, d0, kBlock, u, delta, A, B, C, Dskip, z, dbias, y);
    else
      scan_block(T, D, N, d0, D - d0, u, delta, A, B, C, Dskip, z, dbias, y);
  }
  return 0;
}
