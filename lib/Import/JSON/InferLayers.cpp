//===- InferLayers.cpp - Shape rules of the per-token ops -----------------===//
//
// Validation, attr normalization and shape inference for the ops that act
// on each token independently: feed-forward blocks (mlp, glu, linear),
// matmul, element-wise ops with broadcasting, softmax, norms, embedding,
// cast and reductions.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

namespace kiln::model::detail {
namespace {

/// A weight `[out, in]` whose `in` matches `in`; sets `out` to its rows.
bool checkWeight(OpContext &c, size_t w, Dim in, const std::string &what,
                 Dim &out) {
  if (!c.expectSameDType(w, 0) || !c.expectRank(w, 2, "[out, in]") ||
      !c.expectDim(w, 1, in, what))
    return false;
  out = c.shape(w)[0];
  return true;
}

/// An optional bias `[n]`.
bool checkBias(OpContext &c, size_t b, Dim n, const std::string &what) {
  return !c.has(b) || (c.expectSameDType(b, 0) && c.expectRank(b, 1, "[out]") &&
                       c.expectDim(b, 0, n, what));
}

/// x `[..., D]`, floating point; returns D.
bool checkFeatures(OpContext &c, Dim &features) {
  if (!c.expectMinRank(0, 1, "[..., D]") || !c.expectFloat(0))
    return false;
  features = c.shape(0).back();
  return true;
}

/// The type of input 0 with its last dim replaced.
TensorType withLastDim(const OpContext &c, Dim last) {
  TensorType type = c.type(0);
  type.shape.back() = last;
  return type;
}

} // namespace

bool inferMlp(OpContext &c) {
  enum { X, WIn, BIn, WOut, BOut };
  Dim in, hidden, out;
  std::string activation;
  if (!checkFeatures(c, in) || !checkWeight(c, WIn, in, "D of x", hidden) ||
      !checkBias(c, BIn, hidden, "rows of w_in") ||
      !checkWeight(c, WOut, hidden, "rows of w_in", out) ||
      !checkBias(c, BOut, out, "rows of w_out") ||
      !c.readEnum("activation", {"relu", "gelu", "gelu_tanh", "silu", "relu2"},
                  "gelu", activation))
    return false;
  c.attrs = {{"activation", activation}};
  return c.produce(withLastDim(c, out));
}

bool inferGlu(OpContext &c) {
  enum { X, WGate, WUp, WDown };
  Dim in, hidden, out;
  std::string activation;
  if (!checkFeatures(c, in) || !checkWeight(c, WGate, in, "D of x", hidden) ||
      !c.expectSameShape(WUp, WGate) || !c.expectSameDType(WUp, X) ||
      !checkWeight(c, WDown, hidden, "rows of w_gate", out) ||
      !c.readEnum("activation", {"silu", "gelu", "relu"}, "silu", activation))
    return false;
  c.attrs = {{"activation", activation}};
  return c.produce(withLastDim(c, out));
}

bool inferLinear(OpContext &c) {
  enum { X, W, Bias };
  Dim in, out;
  if (!checkFeatures(c, in) || !checkWeight(c, W, in, "D of x", out) ||
      !checkBias(c, Bias, out, "rows of w"))
    return false;
  c.attrs = json::object();
  return c.produce(withLastDim(c, out));
}

bool inferMatmul(OpContext &c) {
  enum { A, B };
  for (size_t i : {A, B})
    if (!c.expectMinRank(i, 2, "[..., M, K] / [..., K, N]") ||
        !c.expectFloat(i) || !c.expectSameDType(i, A))
      return false;
  const Shape &a = c.shape(A), &b = c.shape(B);
  if (!c.expectDim(B, b.size() - 2, a.back(), "K, the last dim of a"))
    return false;
  Shape batch;
  std::string error;
  if (!broadcastShapes(c.model, Shape(a.begin(), a.end() - 2),
                       Shape(b.begin(), b.end() - 2), batch, error))
    return c.failInput(B, "batch dims of " + c.describe(B) + ": " + error);
  batch.push_back(a[a.size() - 2]);
  batch.push_back(b.back());
  c.attrs = json::object();
  return c.produce({c.type(A).dtype, batch});
}

bool inferBinary(OpContext &c) {
  enum { A, B };
  if ((c.spec.floatOnly && !c.expectFloat(A)) ||
      (c.spec.numericOnly && !c.expectNumeric(A)) || !c.expectSameDType(B, A))
    return false;
  Shape shape;
  std::string error;
  if (!broadcastShapes(c.model, c.shape(A), c.shape(B), shape, error))
    return c.failInput(B, c.describe(B) + ": " + error);
  c.attrs = json::object();
  return c.produce({c.type(A).dtype, shape});
}

bool inferUnary(OpContext &c) {
  if ((c.spec.floatOnly && !c.expectFloat(0)) ||
      (c.spec.numericOnly && !c.expectNumeric(0)))
    return false;
  c.attrs = json::object();
  return c.produce(c.type(0));
}

bool inferSoftmax(OpContext &c) {
  int64_t axis;
  if (!c.expectMinRank(0, 1, "[..., D]") || !c.expectFloat(0) ||
      !c.readAxis("axis", c.rank(0), c.rank(0) - 1, axis))
    return false;
  c.attrs = {{"axis", axis}};
  return c.produce(c.type(0));
}

bool inferNorm(OpContext &c) {
  enum { X, Weight, Bias };
  Dim features;
  double eps;
  if (!checkFeatures(c, features) || !c.expectSameDType(Weight, X) ||
      !c.expectRank(Weight, 1, "[D]") ||
      !c.expectDim(Weight, 0, features, "D of x") ||
      (c.has(Bias) &&
       (!c.expectSameDType(Bias, X) || !c.expectRank(Bias, 1, "[D]") ||
        !c.expectDim(Bias, 0, features, "D of x"))) ||
      !c.readPositiveNumber("eps", 1e-5, eps))
    return false;
  c.attrs = {{"eps", eps}};
  return c.produce(c.type(X));
}

bool inferEmbedding(OpContext &c) {
  enum { Ids, Table };
  if (!c.expectIndex(Ids) || !c.expectRank(Table, 2, "[V, D]") ||
      !c.expectStatic(Table, 0, "(the vocabulary size bounds the ids)"))
    return false;
  TensorType type = c.type(Ids);
  type.dtype = c.type(Table).dtype;
  type.shape.push_back(c.shape(Table)[1]);
  c.attrs = json::object();
  return c.produce(type);
}

bool inferCast(OpContext &c) {
  const json *name = c.rawAttr("dtype");
  if (!name)
    return c.failAttr("dtype", "missing required attr 'dtype' of op 'cast'");
  DType dtype;
  if (!readDType(c.diag, *name, c.attrPointer("dtype"), dtype))
    return false;
  c.attrs = {{"dtype", dtypeName(dtype)}};
  return c.produce({dtype, c.shape(0)});
}

bool inferReduce(OpContext &c) {
  if (!c.expectMinRank(0, 1, "[...]") ||
      (c.spec.floatOnly && !c.expectFloat(0)) || !c.expectNumeric(0))
    return false;
  int64_t rank = c.rank(0);
  std::vector<bool> reduced(rank, false);
  const json *axes = c.rawAttr("axes");
  if (!axes) {
    reduced.assign(rank, true);
  } else {
    json list = axes->is_array() ? *axes : json::array({*axes});
    if (list.empty())
      return c.failAttr("axes", "expected an axis or a non-empty array of "
                                "axes, got []");
    for (size_t i = 0; i < list.size(); ++i) {
      std::string pointer =
          c.attrPointer("axes") + (axes->is_array() ? "/" + std::to_string(i) : "");
      std::optional<int64_t> axis = asInt(list[i]);
      if (!axis || *axis < -rank || *axis >= rank)
        return c.diag.fail(pointer, "expected an axis in [" +
                                        std::to_string(-rank) + ", " +
                                        std::to_string(rank) + ") for rank " +
                                        std::to_string(rank) + ", got " +
                                        brief(list[i]));
      int64_t normal = *axis < 0 ? *axis + rank : *axis;
      if (reduced[normal])
        return c.diag.fail(pointer, "axis " + brief(list[i]) +
                                        " is listed twice; expected unique "
                                        "axes");
      reduced[normal] = true;
    }
  }
  bool keepdims;
  if (!c.readBool("keepdims", false, keepdims))
    return false;
  json normalized = json::array();
  Shape shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[d])
      normalized.push_back(d);
    if (!reduced[d])
      shape.push_back(c.shape(0)[d]);
    else if (keepdims)
      shape.push_back(Dim::fixed(1));
  }
  c.attrs = {{"axes", normalized}, {"keepdims", keepdims}};
  return c.produce({c.type(0).dtype, shape});
}

} // namespace kiln::model::detail
