//===- InferLayers.cpp - Shape rules of the per-token ops -----------------===//
//
// Validation, attr normalization and shape inference for the ops that act
// on each token independently: feed-forward blocks (mlp, glu, linear),
// matmul, element-wise ops with broadcasting, softmax, norms, embedding,
// cast and reductions.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"
#include "lib/ShapeRules/Activation.h"

namespace kiln::model::detail {
namespace {

/// x is floating point and every other given input has its dtype.
bool checkDTypes(OpContext &c) {
  if (!c.expectFloat(0))
    return false;
  for (size_t i = 1; i < c.inputs.size(); ++i)
    if (c.has(i) && !c.expectSameDType(i, 0))
      return false;
  return true;
}

/// Reads the `activation` attr: one of `allowed`, `def` when absent.
bool readActivation(OpContext &c, const std::vector<Activation> &allowed,
                    Activation def) {
  std::string activation;
  if (!c.readEnum("activation", activationNames(allowed), activationName(def),
                  activation))
    return false;
  c.attrs = {{"activation", activation}};
  return true;
}

/// The shape of input i, which must be given.
shapes::Shape inputShape(const OpContext &c, size_t i) {
  return *c.ruleInput(i);
}

} // namespace

bool inferMlp(OpContext &c) {
  enum { X, WIn, BIn, WOut, BOut };
  std::optional<shapes::Shape> bIn, bOut;
  Shape shape;
  if (!checkDTypes(c) ||
      !c.applyRule(
          shapes::mlpShape(inputShape(c, X), inputShape(c, WIn),
                           c.ruleInput(BIn, bIn), inputShape(c, WOut),
                           c.ruleInput(BOut, bOut), c.naming()),
          shape) ||
      !readActivation(c, mlpActivations(), Activation::gelu))
    return false;
  return c.produce({c.type(X).dtype, shape});
}

bool inferGlu(OpContext &c) {
  enum { X, WGate, WUp, WDown };
  Shape shape;
  if (!checkDTypes(c) ||
      !c.applyRule(shapes::gluShape(inputShape(c, X), inputShape(c, WGate),
                                    inputShape(c, WUp), inputShape(c, WDown),
                                    c.naming()),
                   shape) ||
      !readActivation(c, gluActivations(), Activation::silu))
    return false;
  return c.produce({c.type(X).dtype, shape});
}

bool inferLinear(OpContext &c) {
  enum { X, W, Bias };
  std::optional<shapes::Shape> bias;
  Shape shape;
  if (!checkDTypes(c) ||
      !c.applyRule(shapes::linearShape(inputShape(c, X), inputShape(c, W),
                                       c.ruleInput(Bias, bias),
                                       c.naming()),
                   shape))
    return false;
  c.attrs = json::object();
  return c.produce({c.type(X).dtype, shape});
}

bool inferMatmul(OpContext &c) {
  enum { A, B };
  Shape shape;
  if (!checkDTypes(c) ||
      !c.applyRule(
          shapes::matmulShape(inputShape(c, A), inputShape(c, B), c.naming()),
          shape))
    return false;
  c.attrs = json::object();
  return c.produce({c.type(A).dtype, shape});
}

bool inferBinary(OpContext &c) {
  enum { A, B };
  Shape shape;
  if ((c.spec.floatOnly && !c.expectFloat(A)) ||
      (c.spec.numericOnly && !c.expectNumeric(A)) || !c.expectSameDType(B, A) ||
      !c.applyRule(shapes::elementwiseShape(inputShape(c, A), inputShape(c, B),
                                            c.naming()),
                   shape))
    return false;
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
  Shape shape;
  if (!c.expectMinRank(0, 1, "[..., D]") || !c.expectFloat(0) ||
      !c.readAxis("axis", c.rank(0), c.rank(0) - 1, axis) ||
      !c.applyRule(
          shapes::softmaxShape(ruleShape(c.shape(0)), axis, c.naming()), shape))
    return false;
  c.attrs = {{"axis", axis}};
  return c.produce({c.type(0).dtype, shape});
}

bool inferNorm(OpContext &c) {
  enum { X, Weight, Bias };
  std::optional<shapes::Shape> bias;
  Shape shape;
  double eps;
  if (!checkDTypes(c) ||
      !c.applyRule(shapes::normShape(inputShape(c, X), inputShape(c, Weight),
                                     c.ruleInput(Bias, bias),
                                     c.naming()),
                   shape) ||
      !c.readPositiveNumber("eps", 1e-5, eps))
    return false;
  c.attrs = {{"eps", eps}};
  return c.produce({c.type(X).dtype, shape});
}

bool inferEmbedding(OpContext &c) {
  enum { Ids, Table };
  Shape shape;
  if (!c.expectIndex(Ids) ||
      !c.applyRule(shapes::embeddingShape(ruleShape(c.shape(Ids)),
                                          ruleShape(c.shape(Table)),
                                          c.naming()),
                   shape) ||
      !c.expectStatic(Table, 0, "(the vocabulary size bounds the ids)"))
    return false;
  c.attrs = json::object();
  return c.produce({c.type(Table).dtype, shape});
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
  std::vector<int64_t> normalized;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      normalized.push_back(d);
  Shape shape;
  if (!c.applyRule(shapes::reduceShape(ruleShape(c.shape(0)), normalized,
                                       keepdims, c.naming()),
                   shape))
    return false;
  c.attrs = {{"axes", normalized}, {"keepdims", keepdims}};
  return c.produce({c.type(0).dtype, shape});
}

} // namespace kiln::model::detail
