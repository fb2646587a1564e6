//===- Workloads.h - The cases kiln-bench measures --------------*- C++ -*-===//
//
// A case names one kernel and its shape. Its workload owns the random data,
// the Kiln session and the anchor, and runs either side on demand; both
// sides read the same inputs and write separate outputs, which are compared
// after timing as a sanity check.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BENCH_WORKLOADS_H
#define KILN_BENCH_WORKLOADS_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kiln::bench {

/// One benchmark: `linear` as a GEMM, or single-batch attention.
struct BenchCase {
  enum class Kind { Gemm, Attention };
  std::string name;
  Kind kind = Kind::Gemm;
  int64_t m = 0, k = 0, n = 0; ///< GEMM: x [M, K] · w [N, K]ᵀ.
  int64_t t = 0;               ///< Attention: sequence length.
  bool causal = false;         ///< Attention: causal mask, else none.
};

/// Heads and head size of every attention case ([1, T, 8, 64]).
constexpr int64_t kAttentionHeads = 8;
constexpr int64_t kAttentionHeadDim = 64;

/// The cases of a default run, in order.
std::vector<BenchCase> defaultCases();

/// A GEMM case x [M, K] · w [N, K]ᵀ named gemm-MxKxN.
BenchCase gemmCase(int64_t m, int64_t k, int64_t n);

/// Parses "MxKxN" (positive integers) into a GEMM case.
bool parseGemmCase(const std::string &text, BenchCase &out);

/// The JSON IR model Kiln compiles for a case. The sequence dim is symbolic
/// (`seq`), so cases that differ only in length share one compiled model.
nlohmann::json kilnModel(const BenchCase &benchCase);

/// The useful floating-point work of one run: 2·M·N·K for a GEMM,
/// 4·H·D·(visible query-key pairs) for attention.
double caseFlops(const BenchCase &benchCase);

/// Data, Kiln session and anchor of one case.
class Workload {
public:
  virtual ~Workload() = default;
  /// Sets the thread count of both sides.
  virtual bool setThreads(int threads, std::string &error) = 0;
  virtual bool runKiln(std::string &error) = 0;
  virtual bool runAnchor(std::string &error) = 0;
  /// max |kiln - anchor| over the outputs of the latest runs.
  virtual double maxDiff() const = 0;
};

/// Allocates and fills the case's data, opens `library` (compiled from
/// kilnModel(benchCase)) and binds its parameters.
std::unique_ptr<Workload> makeWorkload(const BenchCase &benchCase,
                                       const std::filesystem::path &library,
                                       std::string &error);

} // namespace kiln::bench

#endif // KILN_BENCH_WORKLOADS_H
