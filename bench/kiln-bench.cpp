//===- kiln-bench.cpp - Kiln kernels against OpenBLAS anchors -------------===//
//
// kiln-bench [--threads 1,2] [--reps N] [--case SUBSTRING]...
//            [--gemm MxKxN,...] [--markdown | --csv]
//
// For each case: write a JSON IR model to a temporary folder, compile it with
// kiln-compile, load it through the runtime, then time the Kiln kernel and its
// OpenBLAS anchor in this process on the same data, one thread count at a
// time. Each side gets warm-up runs and then N timed runs; the table gives
// medians (these machines are shared and noisy), GFLOP/s of the useful work,
// the speed ratio anchor time / Kiln time (above 1: Kiln is faster), and the
// largest absolute difference between the two outputs.
//
//===----------------------------------------------------------------------===//

#include "bench/KilnKernel.h"
#include "bench/Workloads.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <thread>
#include <unistd.h>

using namespace kiln::bench;
namespace fs = std::filesystem;

#ifndef KILN_BENCH_COMPILE_PATH
#define KILN_BENCH_COMPILE_PATH ""
#endif

namespace {

struct Options {
  std::string kilnCompile;
  std::vector<int> threads = {1, 2};
  int reps = 10;
  int warmup = 2;
  std::vector<std::string> filters;
  /// GEMM shapes that replace the default ones ("MxKxN").
  std::vector<std::string> gemmShapes;
  bool markdown = false;
  /// One comma-separated line a row, for scripts (bench/suite.py).
  bool csv = false;
};

/// Pause between the two sides so that the spinning worker threads of one
/// (libomp's 200 ms block time, OpenBLAS's idle spin) have gone to sleep
/// before the other is timed.
constexpr std::chrono::milliseconds kSettle(300);

int fail(const std::string &message) {
  std::cerr << "kiln-bench: error: " << message << "\n";
  return 1;
}

/// A temporary folder, removed with everything in it on destruction.
class TempDir {
public:
  bool create(std::string &error) {
    std::string pattern =
        (fs::temp_directory_path() / "kiln-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      error = "cannot create a temporary folder from " + pattern;
      return false;
    }
    path = pattern;
    return true;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty() && !keep)
      fs::remove_all(path, ec);
  }
  fs::path path;
  /// Leave the folder in place, e.g. for a model that failed to compile.
  bool keep = false;
};

/// The kiln-compile to run: --kiln-compile, else the one this build made,
/// else one beside this executable.
bool findCompiler(const Options &options, std::string &compiler,
                  std::string &error) {
  std::error_code ec;
  std::vector<fs::path> candidates;
  if (!options.kilnCompile.empty())
    candidates = {options.kilnCompile};
  else
    candidates = {KILN_BENCH_COMPILE_PATH,
                  fs::read_symlink("/proc/self/exe", ec).parent_path() /
                      "kiln-compile"};
  for (const fs::path &candidate : candidates) {
    if (!candidate.empty() && fs::is_regular_file(candidate, ec)) {
      compiler = candidate.string();
      return true;
    }
  }
  error = options.kilnCompile.empty()
              ? "kiln-compile not found (build it, or give --kiln-compile PATH)"
              : "--kiln-compile " + options.kilnCompile + " is not a file";
  return false;
}

/// Median in ms of `reps` runs of `once` after `warmup` untimed ones.
bool medianMs(int warmup, int reps,
              const std::function<bool(std::string &)> &once, double &median,
              std::string &error) {
  for (int i = 0; i < warmup; ++i)
    if (!once(error))
      return false;
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!once(error))
      return false;
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  std::sort(times.begin(), times.end());
  size_t n = times.size();
  median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  return true;
}

struct Row {
  std::string name;
  int threads;
  double kilnMs, anchorMs, flops, diff;
};

void printHeader(const Options &options) {
  if (options.csv) {
    std::printf("case,threads,kiln_ms,openblas_ms,flops,max_abs_diff\n");
    return;
  }
  if (options.markdown) {
    std::printf("| case | threads | Kiln ms | Kiln GFLOP/s | OpenBLAS ms | "
                "OpenBLAS GFLOP/s | speed (OpenBLAS ms / Kiln ms) | max abs "
                "diff |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    return;
  }
  std::printf("%-20s %3s %10s %8s %10s %8s %8s %9s\n", "case", "thr", "kiln ms",
              "GFLOP/s", "blas ms", "GFLOP/s", "speed", "max|diff|");
}

void printRow(const Row &row, const Options &options) {
  if (options.csv) {
    std::printf("%s,%d,%.6g,%.6g,%.6g,%.3g\n", row.name.c_str(), row.threads,
                row.kilnMs, row.anchorMs, row.flops, row.diff);
    std::fflush(stdout);
    return;
  }
  bool markdown = options.markdown;
  double kilnRate = row.flops / row.kilnMs * 1e-6;
  double anchorRate = row.flops / row.anchorMs * 1e-6;
  double speed = row.anchorMs / row.kilnMs;
  const char *format =
      markdown ? "| %s | %d | %.2f | %.1f | %.2f | %.1f | %.3f | %.1e |\n"
               : "%-20s %3d %10.2f %8.1f %10.2f %8.1f %8.3f %9.1e\n";
  std::printf(format, row.name.c_str(), row.threads, row.kilnMs, kilnRate,
              row.anchorMs, anchorRate, speed, row.diff);
  std::fflush(stdout);
}

bool selected(const BenchCase &benchCase, const Options &options) {
  if (options.filters.empty())
    return true;
  return std::any_of(options.filters.begin(), options.filters.end(),
                     [&](const std::string &filter) {
                       return benchCase.name.find(filter) != std::string::npos;
                     });
}

/// Times both sides of one case at every thread count and prints a row each.
bool runCase(const BenchCase &benchCase, const fs::path &library,
             const Options &options, std::string &error) {
  auto workload = makeWorkload(benchCase, library, error);
  if (!workload)
    return false;
  for (int threads : options.threads) {
    Row row{benchCase.name, threads, 0, 0, caseFlops(benchCase), 0};
    if (!workload->setThreads(threads, error))
      return false;
    std::this_thread::sleep_for(kSettle);
    if (!medianMs(
            options.warmup, options.reps,
            [&](std::string &e) { return workload->runKiln(e); }, row.kilnMs,
            error))
      return false;
    std::this_thread::sleep_for(kSettle);
    if (!medianMs(
            options.warmup, options.reps,
            [&](std::string &e) { return workload->runAnchor(e); },
            row.anchorMs, error))
      return false;
    row.diff = workload->maxDiff();
    printRow(row, options);
  }
  return true;
}

int runBench(const Options &options) {
  std::string error, compiler;
  if (!findCompiler(options, compiler, error))
    return fail(error);
  std::vector<BenchCase> all;
  if (options.gemmShapes.empty()) {
    all = defaultCases();
  } else {
    for (const std::string &shape : options.gemmShapes) {
      BenchCase gemm;
      if (!parseGemmCase(shape, gemm))
        return fail("--gemm " + shape + ": expected MxKxN, e.g. 128x768x3072");
      all.push_back(gemm);
    }
    for (const BenchCase &benchCase : defaultCases())
      if (benchCase.kind != BenchCase::Kind::Gemm)
        all.push_back(benchCase);
  }
  std::vector<BenchCase> cases;
  for (const BenchCase &benchCase : all)
    if (selected(benchCase, options))
      cases.push_back(benchCase);
  if (cases.empty())
    return fail("no case matches --case; the cases are gemm-MxKxN and "
                "attn-{causal,none}-T{1024,2048}");
  TempDir dir;
  if (!dir.create(error))
    return fail(error);

  if (!options.csv)
    std::printf("kiln-bench: %d warm-up + %d timed runs per side, medians; "
                "speed = OpenBLAS ms / Kiln ms (> 1: Kiln faster); %ld CPUs; "
                "compiler %s\n",
                options.warmup, options.reps, sysconf(_SC_NPROCESSORS_ONLN),
                compiler.c_str());
  printHeader(options);
  // Cases that differ only in the symbolic length share a library.
  std::map<std::string, fs::path> libraries;
  for (const BenchCase &benchCase : cases) {
    nlohmann::json model = kilnModel(benchCase);
    fs::path &library = libraries[model.dump()];
    if (library.empty() &&
        !compileModel(compiler, model, dir.path, library, error)) {
      dir.keep = true;
      return fail(benchCase.name + ": " + error + " (model kept in " +
                  dir.path.string() + ")");
    }
    if (!runCase(benchCase, library, options, error))
      return fail(benchCase.name + ": " + error);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"kiln-bench: Kiln kernels against OpenBLAS anchors, same "
               "process, medians and ratios"};
  Options options;
  app.add_option("--kiln-compile", options.kilnCompile,
                 "kiln-compile binary (default: the one of this build)");
  app.add_option("--threads", options.threads,
                 "Thread counts to measure, e.g. --threads 1,2")
      ->delimiter(',')
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--reps", options.reps, "Timed runs per side")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--warmup", options.warmup, "Untimed runs per side first")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--case", options.filters,
                 "Run only cases whose name contains this (repeatable)");
  app.add_option("--gemm", options.gemmShapes,
                 "GEMM shapes MxKxN replacing the default ones, e.g. "
                 "--gemm 1x4096x4096,128x768x3072")
      ->delimiter(',');
  auto *markdown =
      app.add_flag("--markdown", options.markdown, "Print a Markdown table");
  app.add_flag("--csv", options.csv,
               "Print comma-separated rows (case,threads,kiln_ms,openblas_ms,"
               "flops,max_abs_diff)")
      ->excludes(markdown);
  CLI11_PARSE(app, argc, argv);
  return runBench(options);
}
