/*===- FakeCudaDriver.c - A CUDA driver over host memory, for tests -------===*\
|*                                                                            *|
|* Built as libcuda.so.1 in a folder of its own and loaded by the runtime     *|
|* through $KILN_CUDA_DRIVER, it implements the driver entry points the       *|
|* runtime uses without a GPU: device memory is host memory (cuMemAlloc is    *|
|* calloc, copies are memcpy), a module keeps a copy of its image (PTX text   *|
|* or an ELF cubin) and finds a kernel only when its name is in the image,    *|
|* and cuLaunchKernel checks its arguments and records the launch but runs    *|
|* nothing: the fake cannot execute PTX, so it checks the runtime's driver    *|
|* calls, not the numbers.                                                    *|
|*                                                                            *|
|* It checks what a driver would refuse: calls without a current context,     *|
|* copies outside a live allocation, unknown or freed pointers, handles that  *|
|* are not live. Environment variables steer it:                              *|
|*   KILN_FAKE_CUDA_LOG      a file to which every call is appended, one line *|
|*                           each, and at exit the resources still held       *|
|*   KILN_FAKE_CUDA_DEVICES  the device count (default 1)                     *|
|*   KILN_FAKE_CUDA_CC       the compute capability, e.g. 80 (default 90);    *|
|*                           PTX for a newer sm_XY is refused, as a driver    *|
|*                           refuses it                                       *|
|*   KILN_FAKE_CUDA_FAIL     NAME or NAME@N: call NAME (e.g. cuMemAlloc_v2)   *|
|*                           fails, every time or only its Nth time           *|
|*   KILN_FAKE_CUDA_MEMORY   the device's memory in bytes: cuMemAlloc_v2      *|
|*                           fails with out of memory beyond it (default: no  *|
|*                           limit)                                           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <elf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  SUCCESS = 0,
  ERROR_INVALID_VALUE = 1,
  ERROR_OUT_OF_MEMORY = 2,
  ERROR_INVALID_PTX = 218,
  ERROR_INVALID_CONTEXT = 201,
  ERROR_NO_BINARY_FOR_GPU = 209,
  ERROR_INVALID_HANDLE = 400,
  ERROR_NOT_FOUND = 500,
  ERROR_ILLEGAL_ADDRESS = 700,
  JIT_ERROR_LOG_BUFFER = 5,
  JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  MAX_ALLOCATIONS = 4096,
};

typedef struct Allocation {
  char *data;
  size_t bytes;
} Allocation;

typedef struct Module {
  char *image;
  size_t bytes;
} Module;

/* One lock for all state: sessions on several threads call in at once. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Allocation allocations[MAX_ALLOCATIONS];
static int contextReferences;
static int liveModules, liveStreams;
/* Their addresses are the handles: one context, and one stream handle
   shared by every stream created (liveStreams counts them). */
static int primaryContext;
static int stream;
static _Thread_local void *currentContext;

typedef struct CallCount {
  char name[64];
  int count;
} CallCount;
static CallCount callCounts[64];

__attribute__((format(printf, 1, 2))) static void logLine(const char *format,
                                                          ...) {
  const char *path = getenv("KILN_FAKE_CUDA_LOG");
  if (!path)
    return;
  FILE *file = fopen(path, "a");
  if (!file)
    return;
  va_list args;
  va_start(args, format);
  vfprintf(file, format, args);
  va_end(args);
  fputc('\n', file);
  fclose(file);
}

/* Counts a call to `name` and says whether KILN_FAKE_CUDA_FAIL makes it
   fail. Called with the lock held. */
static int injectedFailure(const char *name) {
  int count = 0;
  for (int i = 0; i < 64; ++i) {
    if (callCounts[i].name[0] == 0) {
      snprintf(callCounts[i].name, sizeof(callCounts[i].name), "%s", name);
    }
    if (strcmp(callCounts[i].name, name) == 0) {
      count = ++callCounts[i].count;
      break;
    }
  }
  const char *fail = getenv("KILN_FAKE_CUDA_FAIL");
  if (!fail)
    return 0;
  size_t length = strlen(name);
  if (strncmp(fail, name, length) != 0)
    return 0;
  if (fail[length] == 0)
    return 1;
  return fail[length] == '@' && atoi(fail + length + 1) == count;
}

static int envInt(const char *name, int fallback) {
  const char *text = getenv(name);
  return text ? atoi(text) : fallback;
}

#define ENTER(name)                                                            \
  pthread_mutex_lock(&lock);                                                   \
  int failing = injectedFailure(name);                                         \
  (void)failing
#define RETURN(value)                                                          \
  do {                                                                         \
    int result_ = (value);                                                     \
    pthread_mutex_unlock(&lock);                                               \
    return result_;                                                            \
  } while (0)
#define NEED_CONTEXT()                                                         \
  if (currentContext != &primaryContext || contextReferences == 0)             \
  RETURN(ERROR_INVALID_CONTEXT)

int cuGetErrorString(int result, const char **text) {
  switch (result) {
  case ERROR_INVALID_VALUE:
    *text = "invalid argument";
    return SUCCESS;
  case ERROR_OUT_OF_MEMORY:
    *text = "out of memory";
    return SUCCESS;
  case ERROR_INVALID_PTX:
    *text = "a PTX JIT compilation failed";
    return SUCCESS;
  case ERROR_INVALID_CONTEXT:
    *text = "invalid device context";
    return SUCCESS;
  case ERROR_NO_BINARY_FOR_GPU:
    *text = "no kernel image is available for execution on the device";
    return SUCCESS;
  case ERROR_INVALID_HANDLE:
    *text = "invalid resource handle";
    return SUCCESS;
  case ERROR_NOT_FOUND:
    *text = "named symbol not found";
    return SUCCESS;
  case ERROR_ILLEGAL_ADDRESS:
    *text = "an illegal memory access was encountered";
    return SUCCESS;
  default:
    *text = NULL;
    return ERROR_INVALID_VALUE;
  }
}

int cuInit(unsigned flags) {
  ENTER("cuInit");
  logLine("cuInit");
  RETURN(failing || flags ? ERROR_INVALID_VALUE : SUCCESS);
}

int cuDeviceGetCount(int *count) {
  ENTER("cuDeviceGetCount");
  *count = envInt("KILN_FAKE_CUDA_DEVICES", 1);
  RETURN(failing ? ERROR_INVALID_VALUE : SUCCESS);
}

int cuDeviceGet(int *device, int ordinal) {
  ENTER("cuDeviceGet");
  *device = ordinal;
  RETURN(failing || ordinal >= envInt("KILN_FAKE_CUDA_DEVICES", 1)
             ? ERROR_INVALID_VALUE
             : SUCCESS);
}

int cuDeviceGetName(char *name, int length, int device) {
  ENTER("cuDeviceGetName");
  snprintf(name, (size_t)length, "Fake GPU %d", device);
  RETURN(failing ? ERROR_INVALID_VALUE : SUCCESS);
}

int cuDeviceGetAttribute(int *value, int attribute, int device) {
  ENTER("cuDeviceGetAttribute");
  int capability = envInt("KILN_FAKE_CUDA_CC", 90);
  if (attribute == 75)
    *value = capability / 10;
  else if (attribute == 76)
    *value = capability % 10;
  else
    RETURN(ERROR_INVALID_VALUE);
  RETURN(failing || device != 0 ? ERROR_INVALID_VALUE : SUCCESS);
}

int cuDevicePrimaryCtxRetain(void **context, int device) {
  ENTER("cuDevicePrimaryCtxRetain");
  if (failing || device != 0)
    RETURN(ERROR_INVALID_VALUE);
  ++contextReferences;
  *context = &primaryContext;
  logLine("cuDevicePrimaryCtxRetain");
  RETURN(SUCCESS);
}

int cuDevicePrimaryCtxRelease_v2(int device) {
  ENTER("cuDevicePrimaryCtxRelease_v2");
  if (device != 0 || contextReferences == 0)
    RETURN(ERROR_INVALID_CONTEXT);
  --contextReferences;
  logLine("cuDevicePrimaryCtxRelease_v2");
  RETURN(SUCCESS);
}

int cuCtxGetCurrent(void **context) {
  ENTER("cuCtxGetCurrent");
  *context = currentContext;
  RETURN(failing ? ERROR_INVALID_CONTEXT : SUCCESS);
}

int cuCtxSetCurrent(void *context) {
  ENTER("cuCtxSetCurrent");
  if (failing || (context && context != &primaryContext))
    RETURN(ERROR_INVALID_CONTEXT);
  currentContext = context;
  RETURN(SUCCESS);
}

/* The image's size: a cubin is an ELF file whose section headers come
   last; PTX is NUL-terminated text. */
static size_t imageSize(const void *image) {
  const Elf64_Ehdr *header = (const Elf64_Ehdr *)image;
  if (memcmp(header->e_ident, ELFMAG, SELFMAG) == 0)
    return header->e_shoff + (size_t)header->e_shnum * header->e_shentsize;
  return strlen((const char *)image) + 1;
}

/* Writes `text` into the CU_JIT_ERROR_LOG_BUFFER option, if given. */
static void writeErrorLog(unsigned numOptions, const int *options,
                          void **values, const char *text) {
  for (unsigned i = 0; i < numOptions; ++i)
    if (options[i] == JIT_ERROR_LOG_BUFFER)
      for (unsigned j = 0; j < numOptions; ++j)
        if (options[j] == JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
          snprintf((char *)values[i], (size_t)(uintptr_t)values[j], "%s", text);
}

int cuModuleLoadDataEx(void **module, const void *image, unsigned numOptions,
                       int *options, void **optionValues) {
  ENTER("cuModuleLoadDataEx");
  NEED_CONTEXT();
  int isCubin = memcmp(image, ELFMAG, SELFMAG) == 0;
  const char *target = isCubin ? NULL : strstr(image, ".target sm_");
  int ptxCapability = target ? atoi(target + strlen(".target sm_")) : 0;
  int capability = envInt("KILN_FAKE_CUDA_CC", 90);
  if (failing || ptxCapability > capability) {
    char text[128];
    if (failing)
      snprintf(text, sizeof(text), "ptxas fatal   : fake JIT failure");
    else
      snprintf(text, sizeof(text),
               "ptxas fatal   : SM %d.%d is older than the PTX target",
               capability / 10, capability % 10);
    writeErrorLog(numOptions, options, optionValues, text);
    RETURN(failing ? ERROR_INVALID_PTX : ERROR_NO_BINARY_FOR_GPU);
  }
  Module *loaded = malloc(sizeof(Module));
  loaded->bytes = imageSize(image);
  loaded->image = malloc(loaded->bytes);
  memcpy(loaded->image, image, loaded->bytes);
  ++liveModules;
  *module = loaded;
  if (isCubin) {
    logLine("cuModuleLoadDataEx cubin");
  } else {
    logLine("cuModuleLoadDataEx ptx sm_%d with %u options", ptxCapability,
            numOptions);
  }
  RETURN(SUCCESS);
}

int cuModuleUnload(void *module) {
  ENTER("cuModuleUnload");
  NEED_CONTEXT();
  Module *loaded = module;
  free(loaded->image);
  free(loaded);
  --liveModules;
  logLine("cuModuleUnload");
  RETURN(SUCCESS);
}

/* The first occurrence of `pattern` in `bytes`, or NULL (memmem is a GNU
   extension). */
static char *findBytes(char *bytes, size_t size, const char *pattern,
                       size_t length) {
  for (size_t i = 0; i + length <= size; ++i)
    if (memcmp(bytes + i, pattern, length) == 0)
      return bytes + i;
  return NULL;
}

int cuModuleGetFunction(void **function, void *module, const char *name) {
  ENTER("cuModuleGetFunction");
  NEED_CONTEXT();
  Module *loaded = module;
  /* PTX declares a kernel as ".entry NAME(", a cubin holds "NAME\0" in its
     string table. */
  int isCubin = memcmp(loaded->image, ELFMAG, SELFMAG) == 0;
  char pattern[256];
  int length =
      snprintf(pattern, sizeof(pattern), isCubin ? "%s" : ".entry %s(", name);
  size_t patternBytes = (size_t)length + (isCubin ? 1 : 0);
  char *found = findBytes(loaded->image, loaded->bytes, pattern, patternBytes);
  logLine("cuModuleGetFunction %s%s", name, found ? "" : " (not found)");
  if (failing || !found)
    RETURN(ERROR_NOT_FOUND);
  /* The handle points at the name inside the image. */
  *function = isCubin ? found : found + strlen(".entry ");
  RETURN(SUCCESS);
}

int cuStreamCreate(void **created, unsigned flags) {
  ENTER("cuStreamCreate");
  NEED_CONTEXT();
  if (failing)
    RETURN(ERROR_OUT_OF_MEMORY);
  ++liveStreams;
  *created = &stream;
  logLine("cuStreamCreate flags %u", flags);
  RETURN(SUCCESS);
}

int cuStreamDestroy_v2(void *destroyed) {
  ENTER("cuStreamDestroy_v2");
  NEED_CONTEXT();
  if (destroyed != &stream || liveStreams == 0)
    RETURN(ERROR_INVALID_HANDLE);
  --liveStreams;
  logLine("cuStreamDestroy_v2");
  RETURN(SUCCESS);
}

int cuStreamSynchronize(void *synchronized) {
  ENTER("cuStreamSynchronize");
  NEED_CONTEXT();
  if (synchronized != &stream || liveStreams == 0)
    RETURN(ERROR_INVALID_HANDLE);
  logLine("cuStreamSynchronize");
  RETURN(failing ? ERROR_ILLEGAL_ADDRESS : SUCCESS);
}

/* The bytes of all live allocations. Called with the lock held. */
static size_t liveBytes(void) {
  size_t bytes = 0;
  for (int i = 0; i < MAX_ALLOCATIONS; ++i)
    if (allocations[i].data)
      bytes += allocations[i].bytes;
  return bytes;
}

int cuMemAlloc_v2(uint64_t *pointer, size_t bytes) {
  ENTER("cuMemAlloc_v2");
  NEED_CONTEXT();
  if (failing)
    RETURN(ERROR_OUT_OF_MEMORY);
  if (bytes == 0)
    RETURN(ERROR_INVALID_VALUE);
  const char *memory = getenv("KILN_FAKE_CUDA_MEMORY");
  if (memory && liveBytes() + bytes > strtoull(memory, NULL, 10)) {
    logLine("cuMemAlloc_v2 %zu bytes: out of memory", bytes);
    RETURN(ERROR_OUT_OF_MEMORY);
  }
  for (int i = 0; i < MAX_ALLOCATIONS; ++i) {
    if (allocations[i].data)
      continue;
    allocations[i].data = calloc(1, bytes);
    allocations[i].bytes = bytes;
    *pointer = (uint64_t)(uintptr_t)allocations[i].data;
    logLine("cuMemAlloc_v2 %zu bytes", bytes);
    RETURN(SUCCESS);
  }
  RETURN(ERROR_OUT_OF_MEMORY);
}

/* The allocation holding [pointer, pointer + bytes), or NULL. */
static Allocation *findAllocation(uint64_t pointer, size_t bytes) {
  char *start = (char *)(uintptr_t)pointer;
  for (int i = 0; i < MAX_ALLOCATIONS; ++i) {
    Allocation *allocation = &allocations[i];
    if (!allocation->data)
      continue;
    /* Allocations may be adjacent: the range starts inside this one. */
    char *end = allocation->data + allocation->bytes;
    if (start >= allocation->data && start < end && start + bytes <= end)
      return allocation;
  }
  return NULL;
}

int cuMemFree_v2(uint64_t pointer) {
  ENTER("cuMemFree_v2");
  NEED_CONTEXT();
  Allocation *allocation = findAllocation(pointer, 1);
  /* Only the start of a live allocation may be freed. */
  if (failing || !allocation || allocation->data != (char *)(uintptr_t)pointer)
    RETURN(ERROR_INVALID_VALUE);
  free(allocation->data);
  allocation->data = NULL;
  logLine("cuMemFree_v2 %zu bytes", allocation->bytes);
  RETURN(SUCCESS);
}

int cuMemcpyHtoDAsync_v2(uint64_t destination, const void *source, size_t bytes,
                         void *onStream) {
  ENTER("cuMemcpyHtoDAsync_v2");
  NEED_CONTEXT();
  if (failing || onStream != &stream || !findAllocation(destination, bytes))
    RETURN(ERROR_INVALID_VALUE);
  memcpy((void *)(uintptr_t)destination, source, bytes);
  logLine("cuMemcpyHtoDAsync_v2 %zu bytes", bytes);
  RETURN(SUCCESS);
}

int cuMemsetD8Async(uint64_t destination, unsigned char value, size_t bytes,
                    void *onStream) {
  ENTER("cuMemsetD8Async");
  NEED_CONTEXT();
  if (failing || onStream != &stream || !findAllocation(destination, bytes))
    RETURN(ERROR_INVALID_VALUE);
  memset((void *)(uintptr_t)destination, value, bytes);
  logLine("cuMemsetD8Async %zu bytes", bytes);
  RETURN(SUCCESS);
}

int cuMemcpyDtoHAsync_v2(void *destination, uint64_t source, size_t bytes,
                         void *onStream) {
  ENTER("cuMemcpyDtoHAsync_v2");
  NEED_CONTEXT();
  if (failing || onStream != &stream || !findAllocation(source, bytes))
    RETURN(ERROR_INVALID_VALUE);
  memcpy(destination, (const void *)(uintptr_t)source, bytes);
  logLine("cuMemcpyDtoHAsync_v2 %zu bytes", bytes);
  RETURN(SUCCESS);
}

int cuLaunchKernel(void *function, unsigned gridX, unsigned gridY,
                   unsigned gridZ, unsigned blockX, unsigned blockY,
                   unsigned blockZ, unsigned sharedBytes, void *onStream,
                   void **params, void **extra) {
  ENTER("cuLaunchKernel");
  NEED_CONTEXT();
  if (failing || !function || onStream != &stream || !params || extra ||
      gridX == 0 || gridY != 1 || gridZ != 1 || blockX == 0 || blockX > 1024 ||
      blockY != 1 || blockZ != 1 || sharedBytes)
    RETURN(ERROR_INVALID_VALUE);
  /* The function handle points at its name inside the module's image. */
  const char *name = function;
  size_t length = strspn(name, "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$");
  logLine("cuLaunchKernel %.*s grid %u block %u", (int)length, name, gridX,
          blockX);
  RETURN(SUCCESS);
}

/* What the process still holds at exit; a runtime that frees everything
   reports zeros. */
__attribute__((destructor)) static void reportLiveResources(void) {
  int liveAllocations = 0;
  for (int i = 0; i < MAX_ALLOCATIONS; ++i)
    liveAllocations += allocations[i].data != NULL;
  logLine("at exit: %d allocations, %d modules, %d streams, %d context "
          "references",
          liveAllocations, liveModules, liveStreams, contextReferences);
}

/* For the unit tests, which look it up with dlsym. */
int kilnFakeCudaLiveAllocations(void) {
  pthread_mutex_lock(&lock);
  int live = 0;
  for (int i = 0; i < MAX_ALLOCATIONS; ++i)
    live += allocations[i].data != NULL;
  pthread_mutex_unlock(&lock);
  return live;
}

size_t kilnFakeCudaLiveBytes(void) {
  pthread_mutex_lock(&lock);
  size_t bytes = liveBytes();
  pthread_mutex_unlock(&lock);
  return bytes;
}

/* How many times `name` has been called in this process. */
int kilnFakeCudaCalls(const char *name) {
  pthread_mutex_lock(&lock);
  int count = 0;
  for (int i = 0; i < 64 && callCounts[i].name[0]; ++i)
    if (strcmp(callCounts[i].name, name) == 0)
      count = callCounts[i].count;
  pthread_mutex_unlock(&lock);
  return count;
}
