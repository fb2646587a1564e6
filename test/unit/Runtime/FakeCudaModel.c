/*===- FakeCudaModel.c - A hand-written CUDA model for the fake driver ----===*\
|*                                                                            *|
|* A stand-in for a model compiled with --target=cuda (docs/abi.md, "CUDA     *|
|* models"), so that CUDA sessions can be tested without the compiler (the    *|
|* ThreadSanitizer build has none) and with results to check. Its kernels     *|
|* are empty PTX entries that it launches through the runtime's table; since  *|
|* FakeCudaDriver.c's device memory is host memory, it then computes their    *|
|* results itself, on the device pointers it was given:                       *|
|*                                                                            *|
|*   packed[f] = 2 * w[f]                       (kiln_compiled_pack)          *|
|*   y[b,f]    = x[b,f] * packed[f] + ids[b]    (kiln_compiled_entry)         *|
|*                                                                            *|
|* so a runtime that uploads, packs, orders buffers or copies back wrongly    *|
|* gets wrong numbers. The entry also allocates and frees a temporary. Two    *|
|* environment variables make its launch go wrong for the tests:              *|
|* KILN_FAKE_CUDA_KERNEL names another kernel, KILN_FAKE_CUDA_GRID sets the   *|
|* grid size.                                                                 *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define FEATURES 4

struct kiln_compiled_gpu_api {
  void *(*alloc)(void *context, int64_t bytes);
  void (*free)(void *context, void *pointer);
  void (*launch)(void *context, const char *kernel, int64_t grid_x,
                 int64_t block_x, void **params);
};

static const struct kiln_compiled_gpu_api *api;
static void *apiContext;

void kiln_compiled_gpu_bind(const struct kiln_compiled_gpu_api *table,
                            void *context) {
  api = table;
  apiContext = context;
}

const char *kiln_compiled_gpu_ptx(void) {
  return ".version 8.0\n.target sm_80\n.address_size 64\n"
         ".visible .entry fake_pack(.param .u64 packed)\n{\n ret;\n}\n"
         ".visible .entry fake_entry(.param .u64 y)\n{\n ret;\n}\n";
}

const char *kiln_compiled_gpu_arch(void) { return "sm_80"; }

const void *kiln_compiled_gpu_cubin(int64_t *size) {
  *size = 0;
  return NULL;
}

int32_t kiln_compiled_abi_version(void) { return 2; }

const char *kiln_compiled_signature(void) {
  return "{\"abi\": 2, \"name\": \"fake-cuda\", \"devices\": [\"cuda\"],"
         " \"dims\": [\"batch\"],"
         " \"inputs\": ["
         "{\"name\": \"x\", \"dtype\": \"f32\", \"shape\": [\"batch\", 4]},"
         "{\"name\": \"ids\", \"dtype\": \"i32\", \"shape\": [\"batch\"]}],"
         " \"params\": [{\"name\": \"w\", \"dtype\": \"f32\", \"shape\": [4]}],"
         " \"packed\": [{\"dtype\": \"f32\", \"shape\": [4], \"params\": "
         "[\"w\"]}],"
         " \"outputs\": ["
         "{\"name\": \"y\", \"dtype\": \"f32\", \"shape\": [\"batch\", 4]}],"
         " \"index_checks\": [{\"input\": \"ids\", \"bound\": 8}]}";
}

const char *kiln_compiled_source(void) { return ""; }

void kiln_compiled_pack(void *const *buffers) {
  const float *w = (const float *)buffers[0];
  float *packed = (float *)buffers[1];
  void *params[] = {&packed};
  api->launch(apiContext, "fake_pack", 1, FEATURES, params);
  for (int f = 0; f < FEATURES; ++f)
    packed[f] = 2.0f * w[f];
}

void kiln_compiled_entry(void *const *buffers, const int64_t *dims) {
  const float *x = (const float *)buffers[0];
  const int32_t *ids = (const int32_t *)buffers[1];
  const float *packed = (const float *)buffers[3];
  float *y = (float *)buffers[4];
  int64_t batch = dims[0];
  float *scratch = api->alloc(apiContext, batch * FEATURES * 4);
  void *params[] = {&y};
  const char *kernel = getenv("KILN_FAKE_CUDA_KERNEL");
  const char *grid = getenv("KILN_FAKE_CUDA_GRID");
  api->launch(apiContext, kernel ? kernel : "fake_entry",
              grid ? atoll(grid) : batch, FEATURES, params);
  /* After a failed allocation the runtime skips the launch; so does this
     stand-in for the kernel. */
  if (scratch) {
    for (int64_t b = 0; b < batch; ++b)
      for (int f = 0; f < FEATURES; ++f)
        y[b * FEATURES + f] = x[b * FEATURES + f] * packed[f] + (float)ids[b];
  }
  api->free(apiContext, scratch);
}
