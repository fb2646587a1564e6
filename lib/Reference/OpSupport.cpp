//===- OpSupport.cpp - Shared helpers of the reference op kernels ---------===//
//
// Index arithmetic (strides, NumPy broadcasting), dtype rounding, the scalar
// activation functions and the OpContext diagnostics and attribute accessors
// that every op implementation uses.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace kiln::reference {

int64_t Tensor::numel() const { return detail::product(shape); }

/// Rounds to a binary floating-point format with `sigBits` significant bits,
/// smallest normal exponent `minExp` and largest finite value `maxFinite`.
static double roundToFormat(double x, int sigBits, int minExp,
                            double maxFinite) {
  if (!std::isfinite(x) || x == 0)
    return x;
  int e = 0;
  std::frexp(x, &e); // |x| in [2^(e-1), 2^e).
  // Below the normal range the quantum stays that of the smallest normal.
  int exponent = std::max(e - 1, minExp);
  double quantum = std::ldexp(1.0, exponent - (sigBits - 1));
  // Division by a power of two is exact; nearbyint rounds to nearest even.
  double r = std::nearbyint(x / quantum) * quantum;
  if (std::fabs(r) > maxFinite)
    return std::copysign(std::numeric_limits<double>::infinity(), x);
  return r;
}

std::optional<double> roundToDType(double x, model::DType type) {
  switch (type) {
  case model::DType::F32:
    return static_cast<double>(static_cast<float>(x));
  case model::DType::F16:
    return roundToFormat(x, 11, -14, 65504.0);
  case model::DType::BF16:
    return roundToFormat(x, 8, -126, std::ldexp(255.0, 120));
  case model::DType::Bool:
    return x != 0 ? 1.0 : 0.0;
  case model::DType::I32:
  case model::DType::I64: {
    // 2^63 is INT64_MAX as a double holds it (2^63 - 1 rounds up), so the
    // largest i64 survives the evaluator's double storage as its image.
    double limit = std::ldexp(1.0, 63);
    if (!std::isfinite(x) || x < -limit || x > limit)
      return std::nullopt;
    if (x == limit)
      return type == model::DType::I64 ? std::optional<double>(x)
                                       : std::nullopt;
    auto v = static_cast<int64_t>(std::trunc(x));
    if (type == model::DType::I32)
      v = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
    return static_cast<double>(v);
  }
  }
  return std::nullopt;
}

namespace detail {

//===----------------------------------------------------------------------===//
// Index arithmetic
//===----------------------------------------------------------------------===//

int64_t product(const Dims &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Dims stridesOf(const Dims &shape) {
  Dims strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

std::string formatDims(const Dims &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string formatNumber(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

Tensor zeros(model::DType dtype, const Dims &shape) {
  Tensor t;
  t.dtype = dtype;
  t.shape = shape;
  t.data.assign(static_cast<size_t>(product(shape)), 0.0);
  return t;
}

shapes::Shape shapeOf(const Tensor &t) { return shapes::staticShape(t.shape); }

const shapes::Shape *shapeOf(const Tensor *t,
                             std::optional<shapes::Shape> &storage) {
  if (!t)
    return nullptr;
  storage = shapeOf(*t);
  return &*storage;
}

Dims broadcastStrides(const Dims &in, const Dims &out) {
  Dims own = stridesOf(in);
  Dims strides(out.size(), 0);
  size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    strides[lead + i] = in[i] == 1 ? 0 : own[i];
  return strides;
}

int64_t offsetOf(int64_t flat, const Dims &shape, const Dims &strides) {
  int64_t offset = 0;
  for (size_t i = shape.size(); i-- > 0;) {
    offset += (flat % shape[i]) * strides[i];
    flat /= shape[i];
  }
  return offset;
}

//===----------------------------------------------------------------------===//
// Scalar functions
//===----------------------------------------------------------------------===//

// NaN propagates through relu as in PyTorch.
double relu(double x) { return x > 0 || std::isnan(x) ? x : 0.0; }
double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double geluTanh(double x) {
  const double pi = 3.14159265358979323846;
  const double k = std::sqrt(2.0 / pi);
  return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
}
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double silu(double x) { return x * sigmoid(x); }
double quickGelu(double x) { return x * sigmoid(kQuickGeluScale * x); }
double softplus(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }
double relu2(double x) { return relu(x) * relu(x); }
double elu1(double x) { return x > 0 ? x + 1.0 : std::exp(x); }

double (*activationFunction(Activation activation))(double) {
  switch (activation) {
  case Activation::relu:
    return relu;
  case Activation::gelu:
    return gelu;
  case Activation::gelu_tanh:
    return geluTanh;
  case Activation::silu:
    return silu;
  case Activation::relu2:
    return relu2;
  case Activation::sigmoid:
    return sigmoid;
  case Activation::tanh:
    return [](double x) { return std::tanh(x); };
  case Activation::quick_gelu:
    return quickGelu;
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// OpContext
//===----------------------------------------------------------------------===//

bool OpContext::applyRule(const shapes::ShapeResult &rule, Dims &out) {
  if (!rule)
    return fail(rule.error().message);
  out = shapes::sizesOf(*rule);
  return true;
}

bool OpContext::applyRule(const shapes::ShapesResult &rule,
                          std::vector<Dims> &out) {
  if (!rule)
    return fail(rule.error().message);
  out.clear();
  for (const shapes::Shape &shape : *rule)
    out.push_back(shapes::sizesOf(shape));
  return true;
}

bool OpContext::fail(const std::string &message) {
  error = node.op + " at " + node.pointer + ": " + message;
  return false;
}

const Tensor *OpContext::input(size_t i) const {
  return i < inputs.size() ? inputs[i] : nullptr;
}

bool OpContext::require(size_t i, const char *what, const Tensor *&out) {
  out = input(i);
  if (!out)
    return fail(std::string("missing input ") + std::to_string(i) + " (" +
                what + ")");
  return true;
}

bool OpContext::expectOutputs(size_t min, size_t max) {
  size_t n = node.outputs.size();
  if (n >= min && n <= max)
    return true;
  return fail("has " + std::to_string(n) + " outputs, expected " +
              (min == max ? std::to_string(min)
                          : std::to_string(min) + " to " + std::to_string(max)));
}

bool checkSeqOffsets(OpContext &ctx, const Tensor &offsets, int64_t t) {
  if (std::optional<shapes::RuleError> error = shapes::checkSeqOffsets(
          shapeOf(offsets), 0, shapes::Naming{{"seq_offsets"}}))
    return ctx.fail(error->message);
  for (int64_t i = 0; i < offsets.numel(); ++i) {
    double prev = i ? offsets.data[i - 1] : 0.0;
    if (!(offsets.data[i] >= prev && offsets.data[i] <= t))
      return ctx.fail("seq_offsets must be nondecreasing within [0, " +
                      std::to_string(t) + "], element " + std::to_string(i) +
                      " is " + formatNumber(offsets.data[i]));
  }
  return true;
}

bool sequenceRanges(OpContext &ctx, const Tensor *offsets, int64_t t,
                    std::vector<std::pair<int64_t, int64_t>> &ranges) {
  ranges.clear();
  if (!offsets) {
    ranges.push_back({0, t});
    return true;
  }
  if (!checkSeqOffsets(ctx, *offsets, t))
    return false;
  for (int64_t i = 0; i + 1 < offsets->numel(); ++i)
    ranges.push_back({static_cast<int64_t>(offsets->data[i]),
                      static_cast<int64_t>(offsets->data[i + 1])});
  return true;
}

/// The attribute `key`, or nullptr when the node has none by that name.
static const nlohmann::json *findAttr(const model::Node &node,
                                      const char *key) {
  if (!node.attrs.is_object())
    return nullptr;
  auto it = node.attrs.find(key);
  return it == node.attrs.end() ? nullptr : &*it;
}

bool OpContext::attrNumber(const char *key, double &out) {
  const nlohmann::json *v = findAttr(node, key);
  if (!v || !v->is_number())
    return fail(std::string("attribute '") + key + "' missing or not a number");
  out = v->get<double>();
  return true;
}

bool OpContext::attrInt(const char *key, int64_t &out) {
  const nlohmann::json *v = findAttr(node, key);
  if (!v || !v->is_number_integer())
    return fail(std::string("attribute '") + key +
                "' missing or not an integer");
  out = v->get<int64_t>();
  return true;
}

bool OpContext::attrBool(const char *key, bool &out) {
  const nlohmann::json *v = findAttr(node, key);
  if (!v || !v->is_boolean())
    return fail(std::string("attribute '") + key + "' missing or not a bool");
  out = v->get<bool>();
  return true;
}

bool OpContext::attrString(const char *key, std::string &out) {
  const nlohmann::json *v = findAttr(node, key);
  if (!v || !v->is_string())
    return fail(std::string("attribute '") + key + "' missing or not a string");
  out = v->get<std::string>();
  return true;
}

bool OpContext::attrInts(const char *key, std::vector<int64_t> &out) {
  const nlohmann::json *v = findAttr(node, key);
  bool ok = v && v->is_array();
  for (size_t i = 0; ok && i < v->size(); ++i)
    ok = (*v)[i].is_number_integer();
  if (!ok)
    return fail(std::string("attribute '") + key +
                "' missing or not a list of integers");
  out = v->get<std::vector<int64_t>>();
  return true;
}

} // namespace detail
} // namespace kiln::reference
