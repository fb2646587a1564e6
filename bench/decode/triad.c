/* triad.c - the machine's memory bandwidth, for bench/decode/run.sh.
 *
 *   triad THREADS  ->  prints "triad_gbs THREADS GB/s"
 *
 * A STREAM-style triad a[i] = b[i] + s * c[i] over three 256 MB arrays
 * (far beyond any cache), split across OpenMP threads; bytes counted as
 * STREAM does (two reads and one write per element). The best of 10 runs
 * is printed: the machine is shared, and the bandwidth is an upper bound. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

enum { kRuns = 10 };
static const long kElements = 64L * 1024 * 1024;

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  omp_set_num_threads(threads);
  float *a = malloc(kElements * sizeof(float));
  float *b = malloc(kElements * sizeof(float));
  float *c = malloc(kElements * sizeof(float));
  if (!a || !b || !c)
    return 1;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < kElements; ++i) {
    a[i] = 0;
    b[i] = 1;
    c[i] = 2;
  }
  double best = 0;
  for (int run = 0; run < kRuns; ++run) {
    double start = omp_get_wtime();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < kElements; ++i)
      a[i] = b[i] + 3.0f * c[i];
    double seconds = omp_get_wtime() - start;
    double rate = 3.0 * kElements * sizeof(float) / seconds / 1e9;
    if (rate > best)
      best = rate;
  }
  printf("triad_gbs %d %.2f\n", threads, best + 0 * a[kElements / 2]);
  free(a);
  free(b);
  free(c);
  return 0;
}
