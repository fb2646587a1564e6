/*===- FakeModel.c - A hand-written model implementing the Kiln ABI -------===*\
|*                                                                            *|
|* A stand-in for a compiled model, built as a MODULE library, so that the    *|
|* runtime's whole session path and kiln-run can be tested without the        *|
|* compiler. It implements docs/abi.md by hand:                               *|
|*                                                                            *|
|*   y[b,s,f]  = x[b,s,f] + bias[f] + table[tokens[b,s], f]                   *|
|*   total[b]  = sum over s, f of y[b,s,f]                                    *|
|*                                                                            *|
|* with symbolic dims batch and seq and an index check on tokens (bound 16).  *|
|* Two environment variables let tests provoke failures: KILN_FAKE_ABI_VERSION *|
|* overrides the ABI version and KILN_FAKE_OFFSET is added to every y so that *|
|* `kiln-run --check` has a wrong result to catch. It also exports a fake     *|
|* omp_set_num_threads/omp_get_max_threads so thread settings are observable. *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdlib.h>

#define FEATURES 4
#define VOCAB 16

/* Per thread, as OpenMP's nthreads-var ICV is: sessions on different threads
   each set their own count without racing. */
static _Thread_local int fakeThreads = 1;

void omp_set_num_threads(int threads) { fakeThreads = threads; }
int omp_get_max_threads(void) { return fakeThreads; }

int32_t kiln_compiled_abi_version(void) {
  const char *version = getenv("KILN_FAKE_ABI_VERSION");
  return version ? (int32_t)atoi(version) : 2;
}

const char *kiln_compiled_signature(void) {
  return "{\"abi\": 2, \"name\": \"fake\", \"dims\": [\"batch\", \"seq\"],"
         " \"inputs\": ["
         "{\"name\": \"tokens\", \"dtype\": \"i32\", \"shape\": [\"batch\", \"seq\"]},"
         "{\"name\": \"x\", \"dtype\": \"f32\", \"shape\": [\"batch\", \"seq\", 4]}],"
         " \"params\": ["
         "{\"name\": \"table\", \"dtype\": \"f32\", \"shape\": [16, 4]},"
         "{\"name\": \"bias\", \"dtype\": \"f32\", \"shape\": [4]}],"
         " \"packed\": [{\"dtype\": \"f32\", \"shape\": [4], \"params\": [\"bias\"]}],"
         " \"outputs\": ["
         "{\"name\": \"y\", \"dtype\": \"f32\", \"shape\": [\"batch\", \"seq\", 4]},"
         "{\"name\": \"total\", \"dtype\": \"f32\", \"shape\": [\"batch\"]}],"
         " \"index_checks\": [{\"input\": \"tokens\", \"bound\": 16}]}";
}

const char *kiln_compiled_source(void) {
  return "{\"kiln\": 1, \"name\": \"fake\", \"dims\": [\"batch\", \"seq\"],"
         " \"inputs\": ["
         "{\"name\": \"tokens\", \"dtype\": \"i32\", \"shape\": [\"batch\", \"seq\"]},"
         "{\"name\": \"x\", \"dtype\": \"f32\", \"shape\": [\"batch\", \"seq\", 4]}],"
         " \"params\": ["
         "{\"name\": \"table\", \"dtype\": \"f32\", \"shape\": [16, 4]},"
         "{\"name\": \"bias\", \"dtype\": \"f32\", \"shape\": [4]}],"
         " \"weights\": \"fake.safetensors\","
         " \"nodes\": ["
         "{\"op\": \"embedding\", \"inputs\": [\"tokens\", \"table\"], \"outputs\": [\"e\"]},"
         "{\"op\": \"add\", \"inputs\": [\"x\", \"bias\"], \"outputs\": [\"xb\"]},"
         "{\"op\": \"add\", \"inputs\": [\"xb\", \"e\"], \"outputs\": [\"y\"]},"
         "{\"op\": \"reduce_sum\", \"inputs\": [\"y\"], \"outputs\": [\"total\"],"
         " \"attrs\": {\"axes\": [1, 2]}}],"
         " \"outputs\": [\"y\", \"total\"]}";
}

/* The packed copy of `bias` is what the entry reads, so a runtime that does
   not pack at bind time, or passes the buffers in another order, fails. */
void kiln_compiled_pack(void *const *buffers) {
  const float *bias = (const float *)buffers[1];
  float *packed = (float *)buffers[2];
  for (int f = 0; f < FEATURES; ++f)
    packed[f] = bias[f];
}

void kiln_compiled_entry(void *const *buffers, const int64_t *dims) {
  const int32_t *tokens = (const int32_t *)buffers[0];
  const float *x = (const float *)buffers[1];
  const float *table = (const float *)buffers[2];
  const float *bias = (const float *)buffers[4];
  float *y = (float *)buffers[5];
  float *total = (float *)buffers[6];
  const char *offsetText = getenv("KILN_FAKE_OFFSET");
  float offset = offsetText ? (float)atof(offsetText) : 0.0f;
  int64_t batch = dims[0], seq = dims[1];
  for (int64_t b = 0; b < batch; ++b) {
    float sum = 0.0f;
    for (int64_t s = 0; s < seq; ++s) {
      int64_t row = b * seq + s;
      /* Clamp like generated code does, even though the runtime checked. */
      int32_t id = tokens[row];
      id = id < 0 ? 0 : id >= VOCAB ? VOCAB - 1 : id;
      for (int f = 0; f < FEATURES; ++f) {
        float value = x[row * FEATURES + f] + bias[f] +
                      table[id * FEATURES + f] + offset;
        y[row * FEATURES + f] = value;
        sum += value;
      }
    }
    total[b] = sum;
  }
}
