//===- ElementwiseOps.cpp - Reference elementwise and norm ops ------------===//
//
// Unary activations, broadcasting binary arithmetic, softmax along an axis,
// layer_norm / rms_norm over the last dim, and cast.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace kiln::reference::detail {

/// The scalar function of a unary op, or nullptr for another name.
static double (*unaryFunction(const std::string &op))(double) {
  if (std::optional<Activation> activation = parseActivation(op))
    return activationFunction(*activation);
  static const std::map<std::string, double (*)(double)> table = {
      {"exp", [](double x) { return std::exp(x); }},
      {"softplus", softplus},
      {"neg", [](double x) { return -x; }},
      {"rsqrt", [](double x) { return 1.0 / std::sqrt(x); }},
      {"log", [](double x) { return std::log(x); }},
      {"sqrt", [](double x) { return std::sqrt(x); }},
      {"abs", [](double x) { return std::fabs(x); }},
      {"square", [](double x) { return x * x; }},
      {"erf", [](double x) { return std::erf(x); }},
      {"sin", [](double x) { return std::sin(x); }},
      {"cos", [](double x) { return std::cos(x); }},
  };
  auto it = table.find(op);
  return it == table.end() ? nullptr : it->second;
}

bool evalUnary(OpContext &ctx) {
  double (*f)(double) = unaryFunction(ctx.node.op);
  const Tensor *x;
  if (!f)
    return ctx.fail("not a unary op");
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1))
    return false;
  Tensor y = *x;
  for (double &v : y.data)
    v = f(v);
  ctx.results.push_back(std::move(y));
  return true;
}

/// The scalar function of a binary op, or nullptr for another name.
static double (*binaryFunction(const std::string &op))(double, double) {
  static const std::map<std::string, double (*)(double, double)> table = {
      {"add", [](double u, double v) { return u + v; }},
      {"sub", [](double u, double v) { return u - v; }},
      {"mul", [](double u, double v) { return u * v; }},
      {"div", [](double u, double v) { return u / v; }},
      // NaN propagates, as torch.maximum and torch.minimum.
      {"maximum",
       [](double u, double v) { return std::isnan(v) ? v : std::max(u, v); }},
      {"minimum",
       [](double u, double v) { return std::isnan(v) ? v : std::min(u, v); }},
      {"pow", [](double u, double v) { return std::pow(u, v); }},
      {"equal", [](double u, double v) { return double(u == v); }},
      {"not_equal", [](double u, double v) { return double(u != v); }},
      {"less", [](double u, double v) { return double(u < v); }},
      {"less_equal", [](double u, double v) { return double(u <= v); }},
      {"greater", [](double u, double v) { return double(u > v); }},
      {"greater_equal", [](double u, double v) { return double(u >= v); }},
  };
  auto it = table.find(op);
  return it == table.end() ? nullptr : it->second;
}

bool evalBinary(OpContext &ctx) {
  double (*f)(double, double) = binaryFunction(ctx.node.op);
  const Tensor *a, *b;
  if (!f)
    return ctx.fail("not a binary op");
  if (!ctx.require(0, "a", a) || !ctx.require(1, "b", b) ||
      !ctx.expectOutputs(1, 1))
    return false;
  if (a->dtype != b->dtype)
    return ctx.fail(std::string("a is ") + model::dtypeName(a->dtype) +
                    " but b is " + model::dtypeName(b->dtype));
  Dims shape;
  if (!ctx.applyRule(shapes::elementwiseShape(shapeOf(*a), shapeOf(*b),
                                              shapes::Naming{{"a", "b"}}),
                     shape))
    return false;
  Dims sa = broadcastStrides(a->shape, shape);
  Dims sb = broadcastStrides(b->shape, shape);
  static const std::set<std::string> comparisons = {
      "equal", "not_equal", "less", "less_equal", "greater", "greater_equal"};
  Tensor y = zeros(
      comparisons.count(ctx.node.op) ? model::DType::Bool : a->dtype, shape);
  for (int64_t i = 0; i < y.numel(); ++i)
    y.data[i] = f(a->data[offsetOf(i, shape, sa)],
                  b->data[offsetOf(i, shape, sb)]);
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalSoftmax(OpContext &ctx) {
  const Tensor *x;
  int64_t axis;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrInt("axis", axis))
    return false;
  Dims shape;
  if (!ctx.applyRule(
          shapes::softmaxShape(shapeOf(*x), axis, shapes::Naming{{"x"}}),
          shape))
    return false;
  int64_t n = x->shape[axis];
  int64_t inner = stridesOf(x->shape)[axis];
  int64_t outer = x->numel() / (n * inner);
  Tensor y = *x;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t k) -> double & {
        return y.data[(o * n + k) * inner + in];
      };
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < n; ++k)
        mx = std::max(mx, at(k));
      double sum = 0;
      for (int64_t k = 0; k < n; ++k)
        sum += std::exp(at(k) - mx);
      for (int64_t k = 0; k < n; ++k)
        at(k) = std::exp(at(k) - mx) / sum;
    }
  }
  ctx.results.push_back(std::move(y));
  return true;
}

/// Shared checks of layer_norm and rms_norm: x [..., D], weight [D],
/// optional bias [D].
static bool normOperands(OpContext &ctx, const Tensor *&x, const Tensor *&w,
                         const Tensor *&bias, double &eps) {
  if (!ctx.require(0, "x", x) || !ctx.require(1, "weight", w) ||
      !ctx.expectOutputs(1, 1) || !ctx.attrNumber("eps", eps))
    return false;
  bias = ctx.input(2);
  std::optional<shapes::Shape> biasShape;
  Dims shape;
  return ctx.applyRule(
      shapes::normShape(shapeOf(*x), shapeOf(*w), shapeOf(bias, biasShape),
                        shapes::Naming{{"x", "weight", "bias"}}),
      shape);
}

bool evalLayerNorm(OpContext &ctx) {
  const Tensor *x, *w, *bias;
  double eps;
  if (!normOperands(ctx, x, w, bias, eps))
    return false;
  int64_t d = x->shape.back();
  Tensor y = *x;
  for (int64_t row = 0; row < x->numel() / d; ++row) {
    const double *in = &x->data[row * d];
    double mean = 0, var = 0;
    for (int64_t i = 0; i < d; ++i)
      mean += in[i];
    mean /= d;
    for (int64_t i = 0; i < d; ++i)
      var += (in[i] - mean) * (in[i] - mean);
    var /= d;
    double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < d; ++i)
      y.data[row * d + i] =
          (in[i] - mean) * inv * w->data[i] + (bias ? bias->data[i] : 0.0);
  }
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalRmsNorm(OpContext &ctx) {
  const Tensor *x, *w, *bias;
  double eps;
  if (!normOperands(ctx, x, w, bias, eps))
    return false;
  if (bias)
    return ctx.fail("rms_norm takes no bias");
  int64_t d = x->shape.back();
  Tensor y = *x;
  for (int64_t row = 0; row < x->numel() / d; ++row) {
    const double *in = &x->data[row * d];
    double meanSquare = 0;
    for (int64_t i = 0; i < d; ++i)
      meanSquare += in[i] * in[i];
    meanSquare /= d;
    double inv = 1.0 / std::sqrt(meanSquare + eps);
    for (int64_t i = 0; i < d; ++i)
      y.data[row * d + i] = in[i] * inv * w->data[i];
  }
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalCast(OpContext &ctx) {
  const Tensor *x;
  std::string name;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrString("dtype", name))
    return false;
  std::optional<model::DType> to = model::parseDType(name);
  if (!to)
    return ctx.fail("unknown dtype '" + name + "'");
  Tensor y = *x;
  y.dtype = *to;
  // Float to int truncates toward zero (PyTorch); values the target cannot
  // hold are errors rather than the platform's undefined result. To bool,
  // anything nonzero is true (rounding the result does it).
  if (model::isFloat(x->dtype) && model::isInteger(*to)) {
    double limit = std::ldexp(1.0, *to == model::DType::I32 ? 31 : 63);
    for (size_t i = 0; i < y.data.size(); ++i) {
      double t = std::trunc(y.data[i]);
      if (!(t >= -limit && t < limit))
        return ctx.fail("element " + std::to_string(i) + " (" +
                        formatNumber(y.data[i]) + ") is out of range of " +
                        name);
      y.data[i] = t;
    }
  }
  ctx.results.push_back(std::move(y));
  return true;
}

} // namespace kiln::reference::detail
