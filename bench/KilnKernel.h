//===- KilnKernel.h - A Kiln-compiled kernel for kiln-bench -----*- C++ -*-===//
//
// Compiles a JSON IR model with the kiln-compile binary (a child process,
// exactly as a user would) and runs the resulting shared library through
// the runtime C API on the CPU.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BENCH_KILNKERNEL_H
#define KILN_BENCH_KILNKERNEL_H

#include "kiln/runtime/kiln_runtime.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::bench {

/// Writes `model` to `dir`/NAME.json (NAME from the model's "name") and runs
/// `compiler` on it to produce `dir`/NAME.so, returned in `library`.
bool compileModel(const std::string &compiler, const nlohmann::json &model,
                  const std::filesystem::path &dir,
                  std::filesystem::path &library, std::string &error);

/// A compiled model loaded in a CPU session.
class KilnKernel {
public:
  /// Opens the library and creates a "cpu" session.
  bool open(const std::filesystem::path &library, std::string &error);
  /// Binds the parameters, in signature order; they must outlive the runs.
  bool bindParams(const std::vector<kiln_tensor> &params, std::string &error);
  /// Sets the session's OpenMP thread count; fails when the model cannot
  /// run on that many (built without OpenMP).
  bool setThreads(int threads, std::string &error);
  /// One run; inputs and outputs in signature order.
  bool run(const std::vector<kiln_tensor> &inputs,
           const std::vector<kiln_tensor> &outputs, std::string &error);

private:
  rt::Model model;
  rt::Session session;
};

} // namespace kiln::bench

#endif // KILN_BENCH_KILNKERNEL_H
