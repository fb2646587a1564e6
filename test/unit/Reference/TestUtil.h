//===- TestUtil.h - Helpers for the reference evaluator tests ---*- C++ -*-===//
//
// Builds kiln::model::Model values by hand (normalized attributes, value ids,
// JSON pointers) so the evaluator can be tested independently of the JSON
// parser, plus small tensor constructors and a one-op runner.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_REFERENCE_TESTUTIL_H
#define KILN_TEST_UNIT_REFERENCE_TESTUTIL_H

#include "lib/Reference/Evaluator.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace kiln::reference::test {

using model::DType;
using Dims = std::vector<int64_t>;
using nlohmann::json;

/// One declared dim: a static size or a symbolic dim name.
struct DimSpec {
  DimSpec(int size) : size(size) {}
  DimSpec(const char *name) : name(name) {}
  int64_t size = 0;
  std::string name;
};

/// A declared tensor: name, dtype, shape.
struct Decl {
  std::string name;
  DType dtype;
  std::vector<DimSpec> shape;
};

/// Builds a validated-looking Model: values are numbered inputs, params,
/// node outputs; nodes get pointers "/nodes/<i>".
class ModelBuilder {
public:
  explicit ModelBuilder(std::vector<std::string> dims = {}) {
    m.name = "test";
    m.dims = std::move(dims);
  }

  ModelBuilder &input(const Decl &d) {
    m.inputs.push_back(add(d, model::ValueKind::Input, -1));
    return *this;
  }
  ModelBuilder &param(const Decl &d) {
    m.params.push_back(add(d, model::ValueKind::Param, -1));
    return *this;
  }
  /// Adds a node; an empty input name is an absent optional input.
  ModelBuilder &node(const std::string &op,
                     const std::vector<std::string> &inputs,
                     const std::vector<Decl> &outputs,
                     const json &attrs = json::object()) {
    model::Node n;
    n.op = op;
    n.attrs = attrs;
    n.pointer = "/nodes/" + std::to_string(m.nodes.size());
    for (const std::string &name : inputs)
      n.inputs.push_back(name.empty() ? -1 : ids.at(name));
    for (const Decl &d : outputs)
      n.outputs.push_back(
          add(d, model::ValueKind::NodeOutput, static_cast<int>(m.nodes.size())));
    m.nodes.push_back(std::move(n));
    return *this;
  }
  ModelBuilder &output(const std::string &name) {
    m.outputs.push_back(ids.at(name));
    return *this;
  }
  const model::Model &model() const { return m; }

private:
  int add(const Decl &d, model::ValueKind kind, int producer) {
    model::Value v;
    v.name = d.name;
    v.type.dtype = d.dtype;
    for (const DimSpec &s : d.shape) {
      if (s.name.empty()) {
        v.type.shape.push_back(model::Dim::fixed(s.size));
        continue;
      }
      int symbol = -1;
      for (size_t i = 0; i < m.dims.size(); ++i)
        if (m.dims[i] == s.name)
          symbol = static_cast<int>(i);
      EXPECT_GE(symbol, 0) << "undeclared dim " << s.name;
      v.type.shape.push_back(model::Dim::symbolic(symbol));
    }
    v.kind = kind;
    v.producer = producer;
    int id = static_cast<int>(m.values.size());
    m.values.push_back(v);
    ids[d.name] = id;
    return id;
  }

  model::Model m;
  std::map<std::string, int> ids;
};

/// A tensor from a shape and row-major data.
inline Tensor tensor(Dims shape, std::vector<double> data,
                     DType dtype = DType::F32) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data = std::move(data);
  return t;
}

/// A tensor of deterministic pseudo-random f32-representable values in
/// [lo, hi).
inline Tensor random(Dims shape, unsigned seed, double lo = -1.0,
                     double hi = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Tensor t = tensor(shape, {});
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  for (int64_t i = 0; i < n; ++i)
    t.data.push_back(static_cast<float>(dist(gen)));
  return t;
}

/// Static decl dims of a concrete shape.
inline std::vector<DimSpec> staticDims(const Dims &shape) {
  std::vector<DimSpec> dims;
  for (int64_t d : shape)
    dims.emplace_back(static_cast<int>(d));
  return dims;
}

/// Runs one op whose inputs are graph inputs "in0", "in1", ... (nullopt: an
/// absent optional input) and whose outputs have the given static shapes and
/// dtype. Returns std::nullopt and sets `error` when evaluation fails.
inline std::optional<std::vector<Tensor>>
tryOp(const std::string &op, const std::vector<std::optional<Tensor>> &inputs,
      const json &attrs, const std::vector<Dims> &outShapes, std::string &error,
      std::optional<DType> outType = std::nullopt) {
  ModelBuilder b;
  std::map<std::string, Tensor> feeds;
  std::vector<std::string> names;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {
      names.push_back("");
      continue;
    }
    std::string name = "in" + std::to_string(i);
    b.input({name, inputs[i]->dtype, staticDims(inputs[i]->shape)});
    feeds[name] = *inputs[i];
    names.push_back(name);
  }
  DType type = outType ? *outType : inputs.at(0)->dtype;
  std::vector<Decl> outs;
  for (size_t i = 0; i < outShapes.size(); ++i)
    outs.push_back({"out" + std::to_string(i), type, staticDims(outShapes[i])});
  b.node(op, names, outs, attrs);
  for (const Decl &d : outs)
    b.output(d.name);
  return evaluate(b.model(), feeds, {}, error);
}

/// Runs a one-output op and expects it to succeed.
inline Tensor runOp(const std::string &op,
                    const std::vector<std::optional<Tensor>> &inputs,
                    const json &attrs, const Dims &outShape,
                    std::optional<DType> outType = std::nullopt) {
  std::string error;
  auto out = tryOp(op, inputs, attrs, {outShape}, error, outType);
  EXPECT_TRUE(out.has_value()) << error;
  return out ? out->at(0) : Tensor{};
}

/// Expects every element of `actual` to be within `tol` of `expected`.
inline void expectNear(const Tensor &actual, const Tensor &expected,
                       double tol = 1e-6) {
  ASSERT_EQ(actual.shape, expected.shape);
  ASSERT_EQ(actual.data.size(), expected.data.size());
  for (size_t i = 0; i < actual.data.size(); ++i)
    EXPECT_NEAR(actual.data[i], expected.data[i], tol) << "at flat index " << i;
}

} // namespace kiln::reference::test

#endif // KILN_TEST_UNIT_REFERENCE_TESTUTIL_H
