//===- KilnRun.cpp - Run a compiled Kiln model from the command line ------===//
//
// kiln-run model.so --weights w.safetensors --input NAME=FILE ... --output F
//
// Loads a compiled model through the runtime C API, binds weights, reads
// inputs (.npy or safetensors), runs once (or --bench N times after a
// warm-up), optionally compares with the reference evaluator (--check), and
// writes the outputs atomically. With --generate N it prefills every row of
// the token input and greedy-decodes N tokens per row (RunGenerate.h). Every error is one line
// "kiln-run: error: <message>" on stderr and exit status 1; no output file is
// written unless everything, the check included, succeeded.
//
//===----------------------------------------------------------------------===//

#include "kiln/Version.h"
#include "tools/kiln-run/RunCheck.h"
#include "tools/kiln-run/RunGenerate.h"
#include "tools/kiln-run/RunInputs.h"
#include "tools/kiln-run/RunOutputs.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include <malloc.h>
#include <sched.h>

using namespace kiln;
using namespace kiln::run;
namespace fs = std::filesystem;

namespace {

struct Options {
  std::string model;
  std::string weights;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::string device = "cpu";
  int threads = -1; ///< -1: the OpenMP default.
  int bench = 0;
  bool check = false;
  CheckTolerance tolerance;
  bool quiet = false;
  int generate = 0;
};

int fail(const std::string &message) {
  std::cerr << "kiln-run: error: " << message << "\n";
  return 1;
}

/// The CPUs this process may run on (its affinity mask, as taskset and
/// containers restrict it).
int availableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return CPU_COUNT(&set);
  return static_cast<int>(std::thread::hardware_concurrency());
}

/// The weights file to use: --weights, else the source's `weights` path,
/// looked up next to the model, in the current directory, and where it was
/// when the model was compiled.
bool resolveWeights(const kiln_model *model, const Options &options,
                    std::string &path, std::string &error) {
  if (!options.weights.empty()) {
    path = options.weights;
    return true;
  }
  int32_t params = kiln_model_num_tensors(model, KILN_ROLE_PARAM);
  if (params == 0)
    return true;
  std::string hint = "give --weights FILE.safetensors";
  auto source = nlohmann::json::parse(kiln_model_source(model), nullptr,
                                      /*allow_exceptions=*/false);
  auto signature = nlohmann::json::parse(kiln_model_signature_json(model),
                                         nullptr, /*allow_exceptions=*/false);
  if (source.is_object() && source.contains("weights") &&
      source["weights"].is_string()) {
    std::string named = source["weights"].get<std::string>();
    // Next to the model, in the current directory, then where the compiler
    // found it next to the JSON file.
    std::vector<fs::path> candidates = {
        fs::path(options.model).parent_path() / named, fs::path(named)};
    if (signature.is_object() && signature.contains("weights") &&
        signature["weights"].is_string())
      candidates.push_back(signature["weights"].get<std::string>());
    std::error_code ec;
    for (const fs::path &candidate : candidates) {
      if (fs::is_regular_file(candidate, ec)) {
        path = candidate.string();
        return true;
      }
    }
    hint += " (the model's source names '" + named +
            "', found neither next to the model, nor in the current "
            "directory, nor next to the JSON it was compiled from)";
  }
  error = "the model has " + std::to_string(params) + " parameters: " + hint;
  return false;
}

/// Runs once to warm up, then `runs` timed runs; prints median, min, max.
bool bench(kiln_session *session, const std::vector<kiln_tensor> &inputs,
           const std::vector<kiln_tensor> &outputs, int runs,
           std::string &error) {
  auto once = [&] {
    return !rt::failed(
        kiln_session_run(session, static_cast<int32_t>(inputs.size()),
                         inputs.data(), static_cast<int32_t>(outputs.size()),
                         outputs.data()),
        error);
  };
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!once())
      return false;
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  std::sort(times.begin(), times.end());
  size_t n = times.size();
  double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  std::printf("median %.4g ms  min %.4g ms  max %.4g ms  (N=%d, after 1 "
              "warm-up run)\n",
              median, times.front(), times.back(), runs);
  return true;
}

/// --generate: the generated ids, written to the one --output .npy.
int runGenerate(kiln_model *model, kiln_session *session,
                const std::vector<rt::OwnedTensor> &inputs,
                const Options &options) {
  std::string error;
  if (options.check)
    return fail("--check compares the full-sequence entry; it does not "
                "apply to --generate");
  if (options.outputs.size() > 1 ||
      (options.outputs.size() == 1 &&
       fs::path(options.outputs[0]).extension() != ".npy"))
    return fail("--generate writes one .npy file of token ids; give one "
                "--output FILE.npy");
  if (inputs.size() != 1)
    return fail("--generate needs the model's one input, the token ids");
  GenerateOptions generateOptions;
  generateOptions.tokens = options.generate;
  generateOptions.bench = options.bench;
  generateOptions.quiet = options.quiet;
  rt::OwnedTensor ids;
  if (!generate(model, session, inputs[0].tensor, generateOptions, ids,
                std::cout, error))
    return fail(error);
  if (!options.outputs.empty() &&
      rt::failed(kiln_npy_write(options.outputs[0].c_str(), &ids.tensor),
                 error))
    return fail(error);
  return 0;
}

int runTool(const Options &options) {
  std::string error;
  kiln_model *rawModel = nullptr;
  if (rt::failed(kiln_model_open(options.model.c_str(), &rawModel), error))
    return fail(error);
  rt::Model model(rawModel);
  // A model that cannot generate is refused before its weights are read.
  if (options.generate > 0 && !checkCanGenerate(rawModel, error))
    return fail(error);

  kiln_session *rawSession = nullptr;
  if (rt::failed(
          kiln_session_create(rawModel, options.device.c_str(), &rawSession),
          error))
    return fail(error);
  rt::Session session(rawSession);
  if (options.threads != -1) {
    if (rt::failed(kiln_session_set_threads(rawSession, options.threads),
                   error))
      return fail(error);
    if (options.device == "cuda")
      std::cerr << "kiln-run: warning: --threads sets CPU threads; the cuda "
                   "device does not use them\n";
    else if (options.threads > 1 && kiln_session_num_threads(rawSession) == 1)
      std::cerr << "kiln-run: warning: the model has no OpenMP runtime; it "
                   "runs on 1 thread\n";
    else if (int cpus = availableCpus(); cpus > 0 && options.threads > cpus)
      std::cerr << "kiln-run: warning: --threads " << options.threads
                << " exceeds the " << cpus << " CPUs available to this "
                << "process; the threads will share them and run slower\n";
  }

  OutputPlan plan;
  if (!options.generate && !planOutputs(rawModel, options.outputs, plan, error))
    return fail(error);

  std::string weightsPath;
  if (!resolveWeights(rawModel, options, weightsPath, error))
    return fail(error);
  rt::Weights weights;
  if (!weightsPath.empty()) {
    kiln_weights *raw = nullptr;
    if (rt::failed(kiln_weights_open(weightsPath.c_str(), &raw), error))
      return fail(error);
    weights.reset(raw);
    if (rt::failed(kiln_session_bind_weights(rawSession, raw), error))
      return fail(error);
  }

  std::vector<rt::OwnedTensor> inputs;
  if (!loadInputs(rawModel, options.inputs, inputs, error))
    return fail(error);
  if (options.generate > 0)
    return runGenerate(rawModel, rawSession, inputs, options);
  std::vector<kiln_tensor> inputViews, outputViews;
  for (const rt::OwnedTensor &input : inputs)
    inputViews.push_back(input.tensor);
  std::vector<rt::OwnedTensor> outputs(
      kiln_model_num_tensors(rawModel, KILN_ROLE_OUTPUT));
  outputViews.resize(outputs.size());
  if (rt::failed(kiln_session_output_shapes(
                     rawSession, static_cast<int32_t>(inputViews.size()),
                     inputViews.data(),
                     static_cast<int32_t>(outputViews.size()),
                     outputViews.data(), nullptr),
                 error))
    return fail(error);
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].tensor = outputViews[i];
    if (rt::failed(kiln_tensor_alloc(&outputs[i].tensor), error))
      return fail(error);
    outputViews[i] = outputs[i].tensor;
  }

  if (rt::failed(kiln_session_run(rawSession,
                                  static_cast<int32_t>(inputViews.size()),
                                  inputViews.data(),
                                  static_cast<int32_t>(outputViews.size()),
                                  outputViews.data()),
                 error))
    return fail(error);
  if (options.bench > 0 &&
      !bench(rawSession, inputViews, outputViews, options.bench, error))
    return fail(error);

  if (!options.quiet)
    for (size_t i = 0; i < outputs.size(); ++i)
      std::cout << summarize(kiln_model_tensor(rawModel, KILN_ROLE_OUTPUT,
                                               static_cast<int32_t>(i))
                                 ->name,
                             outputs[i].tensor)
                << "\n";
  if (options.check &&
      !checkOutputs(rawModel, options.model, weights.get(), inputs, outputs,
                    options.tolerance, std::cout, error)) {
    std::cout.flush();
    return fail(error);
  }
  if (!writeOutputs(rawModel, plan, outputs, error))
    return fail(error);
  return 0;
}

/// Models allocate their intermediates on every run. With glibc's defaults
/// a freed block of a few MiB goes back to the kernel and its pages fault in
/// again on the next run (40% of a BERT-size attention's time here); kept
/// in the heap, they are reused. The peak is unchanged: freed blocks serve
/// later allocations of the same run.
void keepFreedMemory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's largest
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

/// CLI11's PositiveNumber and NonNegativeNumber accept NaN and -1 (the
/// "unset" value of --threads) and describe their range as "0 to 1.8e308";
/// these say what they expect: the whole text read by `read` (std::stoll,
/// std::stod), then `accept`ed.
template <typename Read, typename Accept>
CLI::Validator expecting(const char *name, const char *what, Read read,
                         Accept accept) {
  return CLI::Validator(
      [=](std::string &text) -> std::string {
        size_t end = 0;
        try {
          if (accept(read(text, &end)) && end == text.size())
            return {};
        } catch (const std::exception &) {
        }
        return std::string("expected ") + what + ", got '" + text + "'";
      },
      name);
}

CLI::Validator positiveInteger() {
  return expecting(
      "POSITIVE", "a positive integer",
      [](const std::string &text, size_t *end) {
        return std::stoll(text, end);
      },
      [](long long value) { return value >= 1 && value <= INT32_MAX; });
}

CLI::Validator finiteNonNegative() {
  return expecting(
      "NONNEGATIVE", "a finite number >= 0",
      [](const std::string &text, size_t *end) { return std::stod(text, end); },
      [](double value) { return std::isfinite(value) && value >= 0; });
}

} // namespace

int main(int argc, char **argv) {
  keepFreedMemory();
  Options options;
  CLI::App app{"Runs a compiled Kiln model on .npy or safetensors inputs.",
               "kiln-run"};
  app.set_version_flag("--version", versionText("kiln-run"));
  app.add_option("model", options.model, "Compiled model (.so)")->required();
  app.add_option("--weights", options.weights,
                 "Weights (.safetensors); default: the model's own weights "
                 "file if it is found");
  app.add_option("--input", options.inputs,
                 "NAME=FILE for each model input (.npy or .safetensors)");
  app.add_option("--output", options.outputs,
                 "One .npy per output in order, a directory DIR/ for "
                 "DIR/<name>.npy, or one .safetensors file");
  app.add_option("--device", options.device, "cpu or cuda")
      ->capture_default_str();
  app.add_option("--threads", options.threads,
                 "Threads per run (default: OpenMP's, one per CPU)")
      ->check(positiveInteger());
  app.add_option("--bench", options.bench,
                 "Time N runs after a warm-up and print the median")
      ->check(positiveInteger());
  app.add_flag("--check", options.check,
               "Compare the outputs with the reference evaluator: each "
               "element within atol + rtol * |reference|");
  app.add_option("--rtol", options.tolerance.rtol,
                 "Relative tolerance (default 1e-4; 2e-3 for a model that "
                 "computes in f16, 2e-2 in bf16)")
      ->check(finiteNonNegative());
  app.add_option("--atol", options.tolerance.atol,
                 "Absolute tolerance (default 1e-5; 1e-3 with f16, 1e-2 "
                 "with bf16)")
      ->check(finiteNonNegative());
  app.add_flag("-q,--quiet", options.quiet, "Do not print output summaries");
  app.add_option("--generate", options.generate,
                 "Prefill each row of the token input, then greedy-decode N "
                 "tokens per row and write them (i64 [batch, N]) to --output; "
                 "with --bench, print prefill and decode tokens/s")
      ->check(positiveInteger());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    if (e.get_exit_code() == 0)
      return app.exit(e) == 0 ? 0 : 1;
    return fail(e.what());
  }
  return runTool(options);
}
