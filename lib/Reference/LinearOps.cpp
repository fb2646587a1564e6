//===- LinearOps.cpp - Reference dense ops --------------------------------===//
//
// linear (y = x·wᵀ + b), batched broadcasting matmul, the mlp and glu
// feed-forward blocks, and embedding lookup. Weights follow PyTorch:
// w[out, in].
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Ops.h"

#include <algorithm>
#include <optional>

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

/// The result of a dense op on x: `shape`, x's dtype, `data`.
static Tensor denseResult(const Tensor &x, Dims shape,
                          std::vector<double> data) {
  Tensor y;
  y.dtype = x.dtype;
  y.shape = std::move(shape);
  y.data = std::move(data);
  return y;
}

bool evalLinear(OpContext &ctx) {
  const Tensor *x, *w;
  const Tensor *bias = ctx.input(2);
  std::optional<shapes::Shape> biasShape;
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.require(1, "w", w) ||
      !ctx.expectOutputs(1, 1) ||
      !ctx.applyRule(shapes::linearShape(shapeOf(*x), shapeOf(*w),
                                         shapeOf(bias, biasShape),
                                         shapes::Naming{{"x", "w", "bias"}}),
                     shape))
    return false;
  int64_t rows = x->numel() / x->shape.back();
  ctx.results.push_back(denseResult(*x, shape, dense(x->data, rows, *w, bias)));
  return true;
}

/// The scalar function of the node's `activation`, one that `allowed`
/// accepts.
static bool activation(OpContext &ctx, bool (*allowed)(Activation),
                       double (*&f)(double)) {
  std::string name;
  if (!ctx.attrString("activation", name))
    return false;
  std::optional<Activation> act = parseActivation(name);
  if (!act || !allowed(*act))
    return ctx.fail("unknown activation '" + name + "'");
  f = activationFunction(*act);
  return true;
}

bool evalMlp(OpContext &ctx) {
  const Tensor *x, *wIn, *wOut;
  const Tensor *bIn = ctx.input(2), *bOut = ctx.input(4);
  std::optional<shapes::Shape> bInShape, bOutShape;
  double (*act)(double);
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.require(1, "w_in", wIn) ||
      !ctx.require(3, "w_out", wOut) || !ctx.expectOutputs(1, 1) ||
      !activation(ctx, isMlpActivation, act) ||
      !ctx.applyRule(
          shapes::mlpShape(
              shapeOf(*x), shapeOf(*wIn), shapeOf(bIn, bInShape),
              shapeOf(*wOut), shapeOf(bOut, bOutShape),
              shapes::Naming{{"x", "w_in", "b_in", "w_out", "b_out"}}),
          shape))
    return false;
  int64_t rows = x->numel() / x->shape.back();
  std::vector<double> hidden = dense(x->data, rows, *wIn, bIn);
  for (double &h : hidden)
    h = act(h);
  ctx.results.push_back(
      denseResult(*x, shape, dense(hidden, rows, *wOut, bOut)));
  return true;
}

bool evalGlu(OpContext &ctx) {
  const Tensor *x, *wGate, *wUp, *wDown;
  double (*act)(double);
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.require(1, "w_gate", wGate) ||
      !ctx.require(2, "w_up", wUp) || !ctx.require(3, "w_down", wDown) ||
      !ctx.expectOutputs(1, 1) || !activation(ctx, isGluActivation, act) ||
      !ctx.applyRule(
          shapes::gluShape(shapeOf(*x), shapeOf(*wGate), shapeOf(*wUp),
                           shapeOf(*wDown),
                           shapes::Naming{{"x", "w_gate", "w_up", "w_down"}}),
          shape))
    return false;
  int64_t rows = x->numel() / x->shape.back();
  std::vector<double> gate = dense(x->data, rows, *wGate, nullptr);
  std::vector<double> up = dense(x->data, rows, *wUp, nullptr);
  for (size_t i = 0; i < gate.size(); ++i)
    gate[i] = act(gate[i]) * up[i];
  ctx.results.push_back(
      denseResult(*x, shape, dense(gate, rows, *wDown, nullptr)));
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
  Dims shape;
  if (!ctx.applyRule(shapes::matmulShape(shapes::staticShape(as),
                                         shapes::staticShape(bs),
                                         shapes::Naming{{"a", "b"}}),
                     shape))
    return false;
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  Dims aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  Dims batch(shape.begin(), shape.end() - 2);
  Dims aStrides = broadcastStrides(aBatch, batch);
  Dims bStrides = broadcastStrides(bBatch, batch);
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
  Dims shape;
  if (!ctx.require(0, "ids", ids) || !ctx.require(1, "table", table) ||
      !ctx.expectOutputs(1, 1) ||
      !ctx.applyRule(shapes::embeddingShape(shapeOf(*ids), shapeOf(*table),
                                            shapes::Naming{{"ids", "table"}}),
                     shape))
    return false;
  int64_t vocab = table->shape[0], width = table->shape[1];
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
