//===- KilnKernel.cpp - A Kiln-compiled kernel for kiln-bench -------------===//
//
// kiln-compile runs with posix_spawn (no shell, so paths need no quoting);
// its diagnostics go straight to our stderr.
//
//===----------------------------------------------------------------------===//

#include "bench/KilnKernel.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

namespace fs = std::filesystem;

namespace kiln::bench {

namespace {

/// Runs argv[0] with `args` and waits; false with a message unless it exits 0.
bool runProcess(const std::vector<std::string> &args, std::string &error) {
  std::vector<char *> argv;
  for (const std::string &arg : args)
    argv.push_back(const_cast<char *>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (int code =
          posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ)) {
    error = "cannot start '" + args[0] + "': " + std::strerror(code);
    return false;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) {
    error = "waiting for '" + args[0] + "' failed: " + std::strerror(errno);
    return false;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return true;
  error = "'" + args[0] + "' " +
          (WIFEXITED(status)
               ? "exited with status " + std::to_string(WEXITSTATUS(status))
               : "was killed by signal " + std::to_string(WTERMSIG(status))) +
          " on " + args[1];
  return false;
}

} // namespace

bool compileModel(const std::string &compiler, const nlohmann::json &model,
                  const fs::path &dir, fs::path &library, std::string &error) {
  std::string name = model.at("name").get<std::string>();
  fs::path source = dir / (name + ".json");
  {
    std::ofstream out(source);
    out << model.dump(1) << "\n";
    if (!out.flush()) {
      error = "cannot write " + source.string();
      return false;
    }
  }
  fs::path output = dir / (name + ".so");
  if (!runProcess(
          {compiler, source.string(), "-o", output.string(), "--no-progress"},
          error))
    return false;
  library = output;
  return true;
}

bool KilnKernel::open(const fs::path &library, std::string &error) {
  kiln_model *rawModel = nullptr;
  if (rt::failed(kiln_model_open(library.c_str(), &rawModel), error))
    return false;
  model.reset(rawModel);
  kiln_session *rawSession = nullptr;
  if (rt::failed(kiln_session_create(rawModel, "cpu", &rawSession), error))
    return false;
  session.reset(rawSession);
  return true;
}

bool KilnKernel::bindParams(const std::vector<kiln_tensor> &params,
                            std::string &error) {
  return !rt::failed(
      kiln_session_bind_params(
          session.get(), static_cast<int32_t>(params.size()), params.data()),
      error);
}

bool KilnKernel::setThreads(int threads, std::string &error) {
  if (rt::failed(kiln_session_set_threads(session.get(), threads), error))
    return false;
  if (kiln_session_num_threads(session.get()) != threads) {
    error = "the model runs on " +
            std::to_string(kiln_session_num_threads(session.get())) +
            " thread(s), not " + std::to_string(threads) +
            " (built without OpenMP?)";
    return false;
  }
  return true;
}

bool KilnKernel::run(const std::vector<kiln_tensor> &inputs,
                     const std::vector<kiln_tensor> &outputs,
                     std::string &error) {
  return !rt::failed(
      kiln_session_run(session.get(), static_cast<int32_t>(inputs.size()),
                       inputs.data(), static_cast<int32_t>(outputs.size()),
                       outputs.data()),
      error);
}

} // namespace kiln::bench
