//===- LinearOps.cpp - Reference dense ops --------------------------------===//
//
// linear (y = x·wᵀ + b), batched broadcasting matmul, the mlp and glu
// feed-forward blocks, and embedding lookup. Weights follow PyTorch:
// w[out, in].
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Ops.h"

#include <algorithm>

namespace kiln::reference::detail {

/// y[r, o] = Σ_i x[r, i]·w[o, i] + bias[o] for `rows` rows of `in` features;
/// `w` is [out, in].
static std::vector<double> dense(const std::vector<double> &x, int64_t rows,
                                 const Tensor &w, const Tensor *bias) {
  int64_t out = w.shape[0], in = w.shape[1];
  std::vector<double> y(static_cast<size_t>(rows * out));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double acc = bias ? bias->data[o] : 0.0;
      for (int64_t i = 0; i < in; ++i)
        acc += x[r * in + i] * w.data[o * in + i];
      y[r * out + o] = acc;
    }
  return y;
}

/// Checks that `w` is a [*, in] matrix and `bias`, when given, is [rows of w].
static bool checkWeight(OpContext &ctx, const Tensor &w, const char *what,
                        int64_t in, const Tensor *bias, const char *biasWhat) {
  if (!ctx.expectRank(w, what, 2) || !ctx.expectDim(w, what, 1, in))
    return false;
  return !bias || (ctx.expectRank(*bias, biasWhat, 1) &&
                   ctx.expectDim(*bias, biasWhat, 0, w.shape[0]));
}

/// The input x [..., in] of a dense op; fails on a scalar.
static bool denseInput(OpContext &ctx, const Tensor *&x) {
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1))
    return false;
  return !x->shape.empty() || ctx.fail("x must have at least one dim");
}

/// A tensor shaped like `x` with its last dim replaced by `size`.
static Tensor withLastDim(const Tensor &x, int64_t size,
                          std::vector<double> data) {
  Tensor y;
  y.dtype = x.dtype;
  y.shape = x.shape;
  y.shape.back() = size;
  y.data = std::move(data);
  return y;
}

bool evalLinear(OpContext &ctx) {
  const Tensor *x, *w;
  const Tensor *bias = ctx.input(2);
  if (!denseInput(ctx, x) || !ctx.require(1, "w", w) ||
      !checkWeight(ctx, *w, "w", x->shape.back(), bias, "bias"))
    return false;
  int64_t rows = x->numel() / x->shape.back();
  ctx.results.push_back(withLastDim(*x, w->shape[0], dense(x->data, rows, *w, bias)));
  return true;
}

/// The activation of an mlp node, or of a glu node when `glu` (which allows
/// only silu, gelu and relu), by its attribute name.
static bool activation(OpContext &ctx, bool glu, double (*&f)(double)) {
  static const std::map<std::string, double (*)(double)> table = {
      {"relu", relu}, {"gelu", gelu}, {"gelu_tanh", geluTanh},
      {"silu", silu}, {"relu2", relu2}};
  std::string name;
  if (!ctx.attrString("activation", name))
    return false;
  auto it = table.find(name);
  if (it == table.end() || (glu && name != "silu" && name != "gelu" &&
                            name != "relu"))
    return ctx.fail("unknown activation '" + name + "'");
  f = it->second;
  return true;
}

bool evalMlp(OpContext &ctx) {
  const Tensor *x, *wIn, *wOut;
  const Tensor *bIn = ctx.input(2), *bOut = ctx.input(4);
  double (*act)(double);
  if (!denseInput(ctx, x) || !ctx.require(1, "w_in", wIn) ||
      !ctx.require(3, "w_out", wOut) || !activation(ctx, false, act) ||
      !checkWeight(ctx, *wIn, "w_in", x->shape.back(), bIn, "b_in") ||
      !checkWeight(ctx, *wOut, "w_out", wIn->shape[0], bOut, "b_out"))
    return false;
  int64_t rows = x->numel() / x->shape.back();
  std::vector<double> hidden = dense(x->data, rows, *wIn, bIn);
  for (double &h : hidden)
    h = act(h);
  ctx.results.push_back(
      withLastDim(*x, wOut->shape[0], dense(hidden, rows, *wOut, bOut)));
  return true;
}

bool evalGlu(OpContext &ctx) {
  const Tensor *x, *wGate, *wUp, *wDown;
  double (*act)(double);
  if (!denseInput(ctx, x) || !ctx.require(1, "w_gate", wGate) ||
      !ctx.require(2, "w_up", wUp) || !ctx.require(3, "w_down", wDown) ||
      !activation(ctx, true, act))
    return false;
  int64_t in = x->shape.back();
  if (!checkWeight(ctx, *wGate, "w_gate", in, nullptr, "") ||
      !checkWeight(ctx, *wUp, "w_up", in, nullptr, "") ||
      !ctx.expectDim(*wUp, "w_up", 0, wGate->shape[0]) ||
      !checkWeight(ctx, *wDown, "w_down", wGate->shape[0], nullptr, ""))
    return false;
  int64_t rows = x->numel() / in;
  std::vector<double> gate = dense(x->data, rows, *wGate, nullptr);
  std::vector<double> up = dense(x->data, rows, *wUp, nullptr);
  for (size_t i = 0; i < gate.size(); ++i)
    gate[i] = act(gate[i]) * up[i];
  ctx.results.push_back(
      withLastDim(*x, wDown->shape[0], dense(gate, rows, *wDown, nullptr)));
  return true;
}

bool evalMatmul(OpContext &ctx) {
  const Tensor *a, *b;
  if (!ctx.require(0, "a", a) || !ctx.require(1, "b", b) ||
      !ctx.expectOutputs(1, 1))
    return false;
  if (a->shape.empty() || b->shape.empty())
    return ctx.fail("operands must have at least one dim");
  // NumPy: a 1-D a is a row [1, K], a 1-D b a column [K, 1]; the unit dim
  // is dropped from the result.
  Dims as = a->shape.size() == 1 ? Dims{1, a->shape[0]} : a->shape;
  Dims bs = b->shape.size() == 1 ? Dims{b->shape[0], 1} : b->shape;
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return ctx.fail("contraction dims differ: a is " + formatDims(a->shape) +
                    ", b is " + formatDims(b->shape));
  Dims aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  Dims batch;
  if (!broadcastShapes(aBatch, bBatch, batch))
    return ctx.fail("batch dims of " + formatDims(a->shape) + " and " +
                    formatDims(b->shape) + " do not broadcast");
  Dims aStrides = broadcastStrides(aBatch, batch);
  Dims bStrides = broadcastStrides(bBatch, batch);
  Dims shape = batch;
  shape.push_back(m);
  shape.push_back(n);
  Tensor y = zeros(a->dtype, shape);
  for (int64_t bi = 0; bi < product(batch); ++bi) {
    const double *pa = &a->data[offsetOf(bi, batch, aStrides) * m * k];
    const double *pb = &b->data[offsetOf(bi, batch, bStrides) * k * n];
    double *py = &y.data[bi * m * n];
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t l = 0; l < k; ++l)
          acc += pa[i * k + l] * pb[l * n + j];
        py[i * n + j] = acc;
      }
  }
  if (b->shape.size() == 1)
    y.shape.pop_back();
  if (a->shape.size() == 1)
    y.shape.erase(y.shape.end() - (b->shape.size() == 1 ? 1 : 2));
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalEmbedding(OpContext &ctx) {
  const Tensor *ids, *table;
  if (!ctx.require(0, "ids", ids) || !ctx.require(1, "table", table) ||
      !ctx.expectOutputs(1, 1) || !ctx.expectRank(*table, "table", 2))
    return false;
  int64_t vocab = table->shape[0], width = table->shape[1];
  Dims shape = ids->shape;
  shape.push_back(width);
  Tensor y = zeros(table->dtype, shape);
  for (int64_t i = 0; i < ids->numel(); ++i) {
    double id = ids->data[i];
    if (!(id >= 0 && id < vocab) || id != static_cast<int64_t>(id))
      return ctx.fail("id " + formatNumber(id) + " out of range [0, " +
                      std::to_string(vocab) + ")");
    std::copy_n(&table->data[static_cast<int64_t>(id) * width], width,
                &y.data[i * width]);
  }
  ctx.results.push_back(std::move(y));
  return true;
}

} // namespace kiln::reference::detail
