//===- Evaluator.cpp - Reference evaluator driver and comparison ----------===//
//
// Binds the graph inputs and parameters (checking dtypes and shapes against
// the declarations, binding symbolic dims), runs the nodes in order through a
// dispatch table of op implementations, checks and rounds every node output
// to its declared type, and compares tensors allclose-style.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Evaluator.h"
#include "lib/Reference/Ops.h"

#include <cmath>
#include <limits>

namespace kiln::reference {

using namespace detail;

/// Op name → implementation: one entry per v1 op.
static const std::map<std::string, OpFn> &opTable() {
  static const std::map<std::string, OpFn> table = {
      {"attention", evalAttention},
      {"linear_attention", evalLinearAttention},
      {"selective_scan", evalSelectiveScan},
      {"linear_recurrence", evalLinearRecurrence},
      {"mlp", evalMlp},
      {"glu", evalGlu},
      {"linear", evalLinear},
      {"matmul", evalMatmul},
      {"add", evalBinary},
      {"sub", evalBinary},
      {"mul", evalBinary},
      {"div", evalBinary},
      {"relu", evalUnary},
      {"gelu", evalUnary},
      {"gelu_tanh", evalUnary},
      {"silu", evalUnary},
      {"quick_gelu", evalUnary},
      {"sigmoid", evalUnary},
      {"tanh", evalUnary},
      {"exp", evalUnary},
      {"softplus", evalUnary},
      {"neg", evalUnary},
      {"rsqrt", evalUnary},
      {"softmax", evalSoftmax},
      {"layer_norm", evalLayerNorm},
      {"rms_norm", evalRmsNorm},
      {"embedding", evalEmbedding},
      {"rope", evalRope},
      {"conv1d", evalConv1d},
      {"reshape", evalReshape},
      {"transpose", evalTranspose},
      {"slice", evalSlice},
      {"concat", evalConcat},
      {"split", evalSplit},
      {"cast", evalCast},
      {"reduce_sum", evalReduce},
      {"reduce_mean", evalReduce},
      {"reduce_max", evalReduce},
      {"constant", evalConstant},
      {"arange", evalArange},
      {"gather", evalGather},
      {"take_along_axis", evalTakeAlongAxis},
      {"argmax", evalArgmax},
      {"top_k", evalTopK},
      {"cumsum", evalCumsum},
      {"log", evalUnary},
      {"sqrt", evalUnary},
      {"abs", evalUnary},
      {"square", evalUnary},
      {"erf", evalUnary},
      {"sin", evalUnary},
      {"cos", evalUnary},
      {"maximum", evalBinary},
      {"minimum", evalBinary},
      {"pow", evalBinary},
      {"equal", evalBinary},
      {"not_equal", evalBinary},
      {"less", evalBinary},
      {"less_equal", evalBinary},
      {"greater", evalBinary},
      {"greater_equal", evalBinary},
      {"where", evalWhere},
  };
  return table;
}

namespace {

/// Binds symbolic dims from the tensors that use them and checks every later
/// use against the binding.
class DimBinder {
public:
  explicit DimBinder(const model::Model &m)
      : m(m), values(m.dims.size(), -1), boundBy(m.dims.size()) {}

  const std::vector<int64_t> &dimValues() const { return values; }

  /// Checks `shape` against `decl`; `what` names the tensor in diagnostics
  /// ("input 'x'") and becomes the binder of any dim bound here.
  bool match(const std::string &what, const model::Shape &decl,
             const Dims &shape, std::string &error) {
    if (decl.size() != shape.size()) {
      error = what + ": shape " + formatDims(shape) + " has rank " +
              std::to_string(shape.size()) + " but the model declares " +
              model::formatShape(m, decl);
      return false;
    }
    for (size_t i = 0; i < decl.size(); ++i) {
      const model::Dim &d = decl[i];
      std::string prefix = what + ": dim " + std::to_string(i) + " is " +
                           std::to_string(shape[i]);
      if (d.isStatic()) {
        if (d.size == shape[i])
          continue;
        error = prefix + ", expected " + std::to_string(d.size);
        return false;
      }
      if (d.symbol >= static_cast<int>(values.size())) {
        error = what + ": dim " + std::to_string(i) +
                " refers to an undeclared symbolic dim";
        return false;
      }
      int64_t &bound = values[d.symbol];
      if (bound < 0) {
        bound = shape[i];
        boundBy[d.symbol] = what;
      } else if (bound != shape[i]) {
        error = prefix + " but '" + m.dims[d.symbol] + "' was bound to " +
                std::to_string(bound) + " by " + boundBy[d.symbol];
        return false;
      }
    }
    return true;
  }

private:
  const model::Model &m;
  std::vector<int64_t> values;
  std::vector<std::string> boundBy;
};

} // namespace

/// Fails on a dim below 1: like the JSON IR, the evaluator has no
/// zero-sized tensors, so no op has to handle them.
static bool checkSizes(const std::string &what, const Dims &shape,
                       std::string &error) {
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] < 1) {
      error = what + ": dim " + std::to_string(i) + " is " +
              std::to_string(shape[i]) + "; sizes must be positive";
      return false;
    }
  return true;
}

/// Checks a caller-provided tensor against its declaration and returns a
/// copy rounded to the dtype (float) or checked to be integral (int).
static std::optional<Tensor> bindTensor(const std::string &what,
                                        const model::TensorType &decl,
                                        const Tensor &t, DimBinder &binder,
                                        std::string &error) {
  if (t.dtype != decl.dtype) {
    error = what + ": dtype is " + model::dtypeName(t.dtype) +
            " but the model declares " + model::dtypeName(decl.dtype);
    return std::nullopt;
  }
  if (!checkSizes(what, t.shape, error))
    return std::nullopt;
  if (static_cast<int64_t>(t.data.size()) != t.numel()) {
    error = what + ": holds " + std::to_string(t.data.size()) +
            " values but its shape " + formatDims(t.shape) + " has " +
            std::to_string(t.numel());
    return std::nullopt;
  }
  if (!binder.match(what, decl.shape, t.shape, error))
    return std::nullopt;
  Tensor copy = t;
  for (size_t i = 0; i < copy.data.size(); ++i) {
    std::optional<double> r = roundToDType(copy.data[i], t.dtype);
    if (model::isFloat(t.dtype)) {
      copy.data[i] = *r;
    } else if (!r || *r != copy.data[i]) {
      error = what + ": element " + std::to_string(i) + " (" +
              formatNumber(copy.data[i]) + ") is not an " +
              model::dtypeName(t.dtype) + " value";
      return std::nullopt;
    }
  }
  return copy;
}

/// Checks an op result against the output value's declaration and rounds it
/// to the declared dtype.
static bool storeResult(const model::Model &m, const model::Node &node,
                        int id, Tensor &t, DimBinder &binder,
                        std::string &error) {
  const model::Value &v = m.value(id);
  std::string what = "output '" + v.name + "' of " + node.op + " at " +
                     node.pointer;
  if (t.dtype != v.type.dtype) {
    error = what + ": dtype is " + model::dtypeName(t.dtype) +
            " but the model declares " + model::dtypeName(v.type.dtype);
    return false;
  }
  if (!checkSizes(what, t.shape, error) ||
      !binder.match(what, v.type.shape, t.shape, error))
    return false;
  for (size_t i = 0; i < t.data.size(); ++i) {
    std::optional<double> r = roundToDType(t.data[i], t.dtype);
    if (!r) {
      error = what + ": element " + std::to_string(i) + " (" +
              formatNumber(t.data[i]) + ") is not representable as " +
              model::dtypeName(t.dtype);
      return false;
    }
    t.data[i] = *r;
  }
  return true;
}

/// Binds every declared tensor of one kind (graph inputs or parameters).
static bool bindAll(const model::Model &m, const std::vector<int> &ids,
                    const char *kind, const std::map<std::string, Tensor> &given,
                    DimBinder &binder, std::vector<std::optional<Tensor>> &values,
                    std::string &error) {
  for (int id : ids) {
    if (id < 0 || id >= static_cast<int>(m.values.size())) {
      error = std::string(kind) + " value " + std::to_string(id) +
              " does not exist";
      return false;
    }
    const model::Value &v = m.value(id);
    std::string what = std::string(kind) + " '" + v.name + "'";
    auto it = given.find(v.name);
    if (it == given.end()) {
      error = "missing " + what + " (" + model::dtypeName(v.type.dtype) + " " +
              model::formatShape(m, v.type.shape) + ")";
      return false;
    }
    values[id] = bindTensor(what, v.type, it->second, binder, error);
    if (!values[id])
      return false;
  }
  return true;
}

/// Fails on a name in `inputs` that is not a graph input.
static bool checkUnknownInputs(const model::Model &m,
                               const std::map<std::string, Tensor> &inputs,
                               std::string &error) {
  for (const auto &entry : inputs) {
    bool known = false;
    std::string names;
    for (int id : m.inputs) {
      known |= m.value(id).name == entry.first;
      names += (names.empty() ? "'" : ", '") + m.value(id).name + "'";
    }
    if (!known) {
      error = "unknown input '" + entry.first + "' (the model's inputs are " +
              (names.empty() ? "none" : names) + ")";
      return false;
    }
  }
  return true;
}

std::optional<std::vector<Tensor>>
evaluate(const model::Model &m, const std::map<std::string, Tensor> &inputs,
         const std::map<std::string, Tensor> &params, std::string &error) {
  std::vector<std::optional<Tensor>> values(m.values.size());
  DimBinder binder(m);
  if (!checkUnknownInputs(m, inputs, error) ||
      !bindAll(m, m.inputs, "input", inputs, binder, values, error) ||
      !bindAll(m, m.params, "param", params, binder, values, error))
    return std::nullopt;

  auto defined = [&](int id) {
    return id >= 0 && id < static_cast<int>(values.size()) && values[id];
  };
  for (const model::Node &node : m.nodes) {
    auto fn = opTable().find(node.op);
    if (fn == opTable().end()) {
      error = "unknown op '" + node.op + "' at " + node.pointer;
      return std::nullopt;
    }
    for (int id : node.outputs)
      if (id < 0 || id >= static_cast<int>(values.size())) {
        error = node.op + " at " + node.pointer + ": output value " +
                std::to_string(id) + " does not exist";
        return std::nullopt;
      }
    OpContext ctx{m, node, {}, binder.dimValues(), {}, {}};
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      int id = node.inputs[i];
      if (id != -1 && !defined(id)) {
        error = node.op + " at " + node.pointer + ": input " +
                std::to_string(i) + " is not computed before use";
        return std::nullopt;
      }
      ctx.inputs.push_back(id == -1 ? nullptr : &*values[id]);
    }
    if (!fn->second(ctx)) {
      error = ctx.error;
      return std::nullopt;
    }
    if (ctx.results.size() != node.outputs.size()) {
      error = node.op + " at " + node.pointer + ": computed " +
              std::to_string(ctx.results.size()) + " results for " +
              std::to_string(node.outputs.size()) + " outputs";
      return std::nullopt;
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      int id = node.outputs[i];
      if (!storeResult(m, node, id, ctx.results[i], binder, error))
        return std::nullopt;
      values[id] = std::move(ctx.results[i]);
    }
  }

  std::vector<Tensor> outputs;
  for (int id : m.outputs) {
    if (!defined(id)) {
      error = "output " + std::to_string(outputs.size()) + " is never computed";
      return std::nullopt;
    }
    outputs.push_back(*values[id]);
  }
  return outputs;
}

Comparison compare(const Tensor &actual, const Tensor &expected, double rtol,
                   double atol) {
  const double inf = std::numeric_limits<double>::infinity();
  Comparison c;
  bool sameShape = actual.shape == expected.shape &&
                   static_cast<int64_t>(actual.data.size()) == actual.numel() &&
                   static_cast<int64_t>(expected.data.size()) == expected.numel();
  if (!sameShape) {
    c.ok = false;
    c.maxAbsErr = c.maxRelErr = inf;
    c.mismatches = std::max<int64_t>(actual.data.size(), expected.data.size());
    return c;
  }
  double worst = -1; // Largest |a-b| / tolerance seen among mismatches.
  for (size_t i = 0; i < actual.data.size(); ++i) {
    double a = actual.data[i], b = expected.data[i];
    // NaN on both sides matches, as numpy.allclose(equal_nan=True) and
    // torch.allclose(equal_nan=True) count it (pow of a negative base).
    if (a == b || (std::isnan(a) && std::isnan(b)))
      continue;
    // A NaN or an infinity that differs from the other side never matches.
    bool special = !std::isfinite(a) || !std::isfinite(b);
    double abs = special ? inf : std::fabs(a - b);
    double rel = b == 0 || special ? inf : abs / std::fabs(b);
    c.maxAbsErr = std::max(c.maxAbsErr, abs);
    c.maxRelErr = std::max(c.maxRelErr, rel);
    double tol = atol + rtol * std::fabs(b);
    if (!special && abs <= tol)
      continue;
    ++c.mismatches;
    double excess = special || tol <= 0 ? inf : abs / tol;
    if (excess > worst) {
      worst = excess;
      c.worstIndex = static_cast<int64_t>(i);
    }
  }
  c.ok = c.mismatches == 0;
  return c;
}

} // namespace kiln::reference
