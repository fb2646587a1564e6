//===- CudaTestUtil.h - Helpers for the tests on the fake driver -*- C++
//-*-===//
//
// The tests of CUDA sessions run on FakeCudaDriver.c. Including this header
// chooses it before main (a process loads its CUDA driver once), and gives
// the tests the fake's entry points that a caller with CUDA code of its own
// would use, its count of live allocations, its call log and a scoped
// environment variable to steer it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_RUNTIME_CUDATESTUTIL_H
#define KILN_TEST_UNIT_RUNTIME_CUDATESTUTIL_H

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace kiln::runtime::test {

inline const bool kFakeCudaDriverChosen =
    setenv("KILN_CUDA_DRIVER", KILN_FAKE_CUDA_DRIVER_PATH, 1) == 0;

/// Sets an environment variable for a scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const std::string &value) : name(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name); }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
  const char *name;
};

/// The fake driver's entry points, its live allocations and call counts.
struct FakeCudaDriver {
  FakeCudaDriver() {
    handle = dlopen(KILN_FAKE_CUDA_DRIVER_PATH, RTLD_NOW | RTLD_LOCAL);
    lookup(liveAllocations, "kilnFakeCudaLiveAllocations");
    lookup(liveBytes, "kilnFakeCudaLiveBytes");
    lookup(calls, "kilnFakeCudaCalls");
    lookup(retainContext, "cuDevicePrimaryCtxRetain");
    lookup(releaseContext, "cuDevicePrimaryCtxRelease_v2");
    lookup(getCurrent, "cuCtxGetCurrent");
    lookup(setCurrent, "cuCtxSetCurrent");
    lookup(memAlloc, "cuMemAlloc_v2");
    lookup(memFree, "cuMemFree_v2");
  }
  ~FakeCudaDriver() {
    if (handle)
      dlclose(handle);
  }
  FakeCudaDriver(const FakeCudaDriver &) = delete;
  FakeCudaDriver &operator=(const FakeCudaDriver &) = delete;

  template <typename T> void lookup(T &function, const char *name) {
    function = handle ? reinterpret_cast<T>(dlsym(handle, name)) : nullptr;
  }

  void *handle;
  int (*liveAllocations)();
  size_t (*liveBytes)();
  /// How many times the process has called a driver entry point.
  int (*calls)(const char *name);
  int (*retainContext)(void **, int);
  int (*releaseContext)(int);
  int (*getCurrent)(void **);
  int (*setCurrent)(void *);
  int (*memAlloc)(uint64_t *, size_t);
  int (*memFree)(uint64_t);
};

/// The text of a file ("" when it does not exist).
inline std::string readText(const std::string &path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

/// How many lines of `text` start with `prefix`.
inline int countLines(const std::string &text, const std::string &prefix) {
  std::istringstream lines(text);
  int count = 0;
  for (std::string line; std::getline(lines, line);)
    count += line.rfind(prefix, 0) == 0;
  return count;
}

} // namespace kiln::runtime::test

#endif // KILN_TEST_UNIT_RUNTIME_CUDATESTUTIL_H
