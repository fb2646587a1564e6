//===- Workloads.cpp - The cases kiln-bench measures ----------------------===//
//
// GEMM inputs are uniform in [-1, 1) and weights in [-1/√K, 1/√K), so the
// outputs are O(1) and the reported difference reads as a relative error;
// attention inputs are uniform in [-1, 1).
//
//===----------------------------------------------------------------------===//

#include "bench/Workloads.h"

#include "bench/Anchors.h"
#include "bench/Buffer.h"
#include "bench/KilnKernel.h"

#include <cmath>
#include <cstdio>
#include <tuple>

namespace kiln::bench {

namespace {

using json = nlohmann::json;

json tensorDecl(const std::string &name, const json &shape) {
  return {{"name", name}, {"dtype", "f32"}, {"shape", shape}};
}

/// Allocates every buffer or reports which one failed.
bool allocate(std::initializer_list<std::pair<Buffer *, int64_t>> buffers,
              std::string &error) {
  for (auto [buffer, count] : buffers) {
    *buffer = Buffer(count);
    if (!buffer->data()) {
      error = "cannot allocate " + std::to_string(count) + " floats";
      return false;
    }
  }
  return true;
}

class GemmWorkload : public Workload {
public:
  explicit GemmWorkload(const BenchCase &benchCase) : shape(benchCase) {}

  bool init(const std::filesystem::path &library, std::string &error) {
    if (!allocate({{&x, shape.m * shape.k},
                   {&w, shape.n * shape.k},
                   {&kilnY, shape.m * shape.n},
                   {&anchorY, shape.m * shape.n}},
                  error))
      return false;
    x.fillRandom(1, 1.0f);
    w.fillRandom(2, 1.0f / std::sqrt(static_cast<float>(shape.k)));
    return kernel.open(library, error) &&
           kernel.bindParams({w.view({shape.n, shape.k})}, error);
  }
  bool setThreads(int threads, std::string &error) override {
    setBlasThreads(threads);
    return kernel.setThreads(threads, error);
  }
  bool runKiln(std::string &error) override {
    return kernel.run({x.view({shape.m, shape.k})},
                      {kilnY.view({shape.m, shape.n})}, error);
  }
  bool runAnchor(std::string &) override {
    gemmAnchor(x, w, anchorY, shape.m, shape.k, shape.n);
    return true;
  }
  double maxDiff() const override { return maxAbsDiff(kilnY, anchorY); }

private:
  BenchCase shape;
  Buffer x, w, kilnY, anchorY;
  KilnKernel kernel;
};

class AttentionWorkload : public Workload {
public:
  explicit AttentionWorkload(const BenchCase &benchCase)
      : shape(benchCase), anchor(benchCase.t, kAttentionHeads,
                                 kAttentionHeadDim, benchCase.causal) {}

  bool init(const std::filesystem::path &library, std::string &error) {
    int64_t count = shape.t * kAttentionHeads * kAttentionHeadDim;
    if (!allocate({{&q, count},
                   {&k, count},
                   {&v, count},
                   {&kilnO, count},
                   {&anchorO, count}},
                  error))
      return false;
    q.fillRandom(3, 1.0f);
    k.fillRandom(4, 1.0f);
    v.fillRandom(5, 1.0f);
    return kernel.open(library, error);
  }
  bool setThreads(int threads, std::string &error) override {
    // The anchor parallelizes over heads; each sgemm runs on one thread.
    setBlasThreads(1);
    anchorThreads = threads;
    return kernel.setThreads(threads, error);
  }
  bool runKiln(std::string &error) override {
    return kernel.run({view(q), view(k), view(v)}, {view(kilnO)}, error);
  }
  bool runAnchor(std::string &error) override {
    if (anchor.run(q, k, v, anchorO, anchorThreads))
      return true;
    error = "cannot allocate the anchor's score blocks";
    return false;
  }
  double maxDiff() const override { return maxAbsDiff(kilnO, anchorO); }

private:
  kiln_tensor view(const Buffer &buffer) const {
    return buffer.view({1, shape.t, kAttentionHeads, kAttentionHeadDim});
  }

  BenchCase shape;
  Buffer q, k, v, kilnO, anchorO;
  KilnKernel kernel;
  AttentionAnchor anchor;
  int anchorThreads = 1;
};

} // namespace

BenchCase gemmCase(int64_t m, int64_t k, int64_t n) {
  BenchCase gemm;
  gemm.kind = BenchCase::Kind::Gemm;
  gemm.name = "gemm-" + std::to_string(m) + "x" + std::to_string(k) + "x" +
              std::to_string(n);
  gemm.m = m, gemm.k = k, gemm.n = n;
  return gemm;
}

bool parseGemmCase(const std::string &text, BenchCase &out) {
  long long m = 0, k = 0, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%lldx%lldx%lld%c", &m, &k, &n, &tail) != 3 ||
      m <= 0 || k <= 0 || n <= 0)
    return false;
  out = gemmCase(m, k, n);
  return true;
}

std::vector<BenchCase> defaultCases() {
  std::vector<BenchCase> cases;
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{512, 2048, 512},
                         {1024, 1024, 1024},
                         {128, 4096, 4096}})
    cases.push_back(gemmCase(m, k, n));
  for (int64_t t : {1024, 2048}) {
    for (bool causal : {true, false}) {
      BenchCase attention;
      attention.kind = BenchCase::Kind::Attention;
      attention.name = std::string("attn-") + (causal ? "causal" : "none") +
                       "-T" + std::to_string(t);
      attention.t = t;
      attention.causal = causal;
      cases.push_back(attention);
    }
  }
  return cases;
}

json kilnModel(const BenchCase &benchCase) {
  if (benchCase.kind == BenchCase::Kind::Gemm) {
    std::string suffix =
        std::to_string(benchCase.k) + "x" + std::to_string(benchCase.n);
    return {{"kiln", 1},
            {"name", "bench_linear_" + suffix},
            {"dims", {"seq"}},
            {"inputs", {tensorDecl("x", {"seq", benchCase.k})}},
            {"params", {tensorDecl("w", {benchCase.n, benchCase.k})}},
            {"nodes", json::array({{{"op", "linear"},
                                    {"inputs", {"x", "w"}},
                                    {"outputs", {"y"}}}})},
            {"outputs", {"y"}}};
  }
  json shape = {1, "seq", kAttentionHeads, kAttentionHeadDim};
  std::string mask = benchCase.causal ? "causal" : "none";
  return {{"kiln", 1},
          {"name", "bench_attention_" + mask},
          {"dims", {"seq"}},
          {"inputs",
           {tensorDecl("q", shape), tensorDecl("k", shape),
            tensorDecl("v", shape)}},
          {"nodes", json::array({{{"op", "attention"},
                                  {"inputs", {"q", "k", "v"}},
                                  {"outputs", {"o"}},
                                  {"attrs", {{"mask", {{"kind", mask}}}}}}})},
          {"outputs", {"o"}}};
}

double caseFlops(const BenchCase &benchCase) {
  if (benchCase.kind == BenchCase::Kind::Gemm)
    return 2.0 * benchCase.m * benchCase.n * benchCase.k;
  double t = static_cast<double>(benchCase.t);
  double pairs = benchCase.causal ? t * (t + 1) / 2 : t * t;
  return 4.0 * kAttentionHeads * kAttentionHeadDim * pairs;
}

std::unique_ptr<Workload> makeWorkload(const BenchCase &benchCase,
                                       const std::filesystem::path &library,
                                       std::string &error) {
  if (benchCase.kind == BenchCase::Kind::Gemm) {
    auto gemm = std::make_unique<GemmWorkload>(benchCase);
    if (!gemm->init(library, error))
      return nullptr;
    return gemm;
  }
  auto attention = std::make_unique<AttentionWorkload>(benchCase);
  if (!attention->init(library, error))
    return nullptr;
  return attention;
}

} // namespace kiln::bench
