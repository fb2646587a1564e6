/* triad.c - the machine's memory bandwidth, the limit of batch-1 decoding.
 *
 *   triad THREADS  ->  prints "triad_gbs THREADS GB/s"
 *
 * STREAM's triad, a[i] = b[i] + s * c[i], on three arrays of doubles of
 * 512 MiB each: larger than any cache (these VMs report a 480 MiB L3), so
 * every byte comes from memory. Counted as STREAM counts it, 24 bytes per
 * element (two reads and a write; the write-allocate read is not counted).
 * The best of kRuns passes is printed. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

enum { kRuns = 10 };
static const long kElements = 64L * 1024 * 1024; /* 512 MiB per array */

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1) {
    fprintf(stderr, "usage: triad THREADS\n");
    return 2;
  }
  omp_set_num_threads(threads);
  double *a = malloc(kElements * sizeof(double));
  double *b = malloc(kElements * sizeof(double));
  double *c = malloc(kElements * sizeof(double));
  if (!a || !b || !c) {
    fprintf(stderr, "triad: out of memory\n");
    return 1;
  }
  /* First touch by the threads that will use each page. */
#pragma omp parallel for schedule(static)
  for (long i = 0; i < kElements; ++i) {
    a[i] = 0.0;
    b[i] = 1.0;
    c[i] = 2.0;
  }
  double best = 0.0;
  for (int run = 0; run < kRuns; ++run) {
    double start = omp_get_wtime();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < kElements; ++i)
      a[i] = b[i] + 3.0 * c[i];
    double seconds = omp_get_wtime() - start;
    double rate = 24.0 * kElements / seconds / 1e9;
    if (rate > best)
      best = rate;
  }
  /* Reading a keeps the compiler from dropping the loop. */
  printf("triad_gbs %d %.1f\n", threads, a[kElements / 2] == 7.0 ? best : -1);
  free(a);
  free(b);
  free(c);
  return 0;
}
