/* peak.c - the machine's fp32 FMA throughput, the "100%" of bench/run.sh.
 *
 *   peak THREADS  ->  prints "peak_gflops THREADS GFLOP/s"
 *
 * Each thread runs independent chains of vector FMAs (acc = acc * a + b) on
 * 12 accumulators, enough to cover the FMA latency of an x86-64 core with two
 * FMA pipes; nothing touches memory. Built with -O3 -march=native, the
 * vectors are as wide as the CPU's registers (16 floats with AVX-512, else 8:
 * a GCC vector wider than the registers is split through memory). The best
 * of kRuns runs of about 20 ms is printed: the machine is shared, and the
 * peak is an upper bound. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __AVX512F__
enum { kLanes = 16 };
#else
enum { kLanes = 8 };
#endif
typedef float vec __attribute__((vector_size(kLanes * 4)));
enum { kAcc = 12, kIters = 10 * 1000 * 1000, kRuns = 20 };

static float chains(float a, float b) {
  vec acc[kAcc];
  for (int i = 0; i < kAcc; ++i)
    acc[i] = (vec){0} + (float)i;
  vec va = (vec){0} + a, vb = (vec){0} + b;
  for (long it = 0; it < kIters; ++it)
    for (int i = 0; i < kAcc; ++i)
      acc[i] = acc[i] * va + vb; /* contracted to one FMA (-ffp-contract=fast) */
  float sum = 0;
  for (int i = 0; i < kAcc; ++i)
    for (int j = 0; j < kLanes; ++j)
      sum += acc[i][j];
  return sum;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  float a = argc > 2 ? 0.0f : 0.999999f, b = 1e-7f; /* unknown to the compiler */
  double best = 0, flopsPerThread = 2.0 * kLanes * kAcc * (double)kIters;
  volatile float sink = 0;
  for (int run = 0; run < kRuns; ++run) {
    double start = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += chains(a, b);
    double seconds = omp_get_wtime() - start;
    double gflops = flopsPerThread * threads / seconds * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  printf("peak_gflops %d %.1f\n", threads, best);
  return 0;
}
