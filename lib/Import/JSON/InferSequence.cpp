//===- InferSequence.cpp - Shape rules of the sequence-mixing ops ---------===//
//
// Validation, attr normalization and shape inference for the ops that mix
// information along the sequence: attention (masks, power normalizer, GQA,
// packed sequences), linear_attention, selective_scan, linear_recurrence,
// rope and the causal depthwise conv1d. Their shapes come from
// lib/ShapeRules.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::model::detail {
namespace {

/// Reads a positive integer (or, with `even`, a positive even integer).
bool readPositiveInt(Diag &diag, const json &value, const std::string &pointer,
                     bool even, int64_t &out) {
  std::optional<int64_t> number = asInt(value);
  if (!number || *number <= 0 || (even && *number % 2))
    return diag.fail(pointer, std::string("expected a positive ") +
                                  (even ? "even " : "") + "integer, got " +
                                  brief(value));
  out = *number;
  return true;
}

/// Checks the keys of a nested attr object such as `mask`.
bool checkNestedKeys(Diag &diag, const json &object, const std::string &pointer,
                     const char *what, const std::vector<std::string> &allowed) {
  if (!object.is_object())
    return diag.fail(pointer, std::string("expected a ") + what +
                                  " object, got " + jsonTypeName(object));
  for (const auto &item : object.items())
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end())
      return diag.fail(pointer + "/" + escapePointer(item.key()),
                       "unknown key '" + item.key() + "' in " + what +
                           "; expected one of " + join(allowed));
  if (!object.contains("kind"))
    return diag.fail(pointer + "/kind",
                     std::string("missing required key 'kind' in ") + what);
  return true;
}

/// Reads `kind` of a nested attr object; `kindPointer` locates it in the
/// file (the attr itself for a shorthand string).
bool readKind(Diag &diag, const json &object, const std::string &kindPointer,
              const char *what, const std::vector<std::string> &kinds,
              std::string &out) {
  const json &kind = object["kind"];
  if (kind.is_string()) {
    out = kind.get<std::string>();
    if (std::find(kinds.begin(), kinds.end(), out) != kinds.end())
      return true;
    return diag.fail(kindPointer, std::string("unknown ") + what + " kind '" +
                                      out + "'; expected one of " +
                                      join(kinds));
  }
  return diag.fail(kindPointer, "expected one of " + join(kinds) + ", got " +
                                    jsonTypeName(kind));
}

/// `window` and `block` belong to one mask kind each.
bool checkOnlyFor(Diag &diag, const json &mask, const std::string &pointer,
                  const char *key, const std::string &kind, const char *owner) {
  if (!mask.contains(key) || kind == owner)
    return true;
  return diag.fail(pointer + "/" + key, std::string("'") + key +
                                            "' applies only to mask kind " +
                                            owner + ", not " + kind);
}

bool readMask(OpContext &c, json &out) {
  const json *raw = c.rawAttr("mask");
  out = {{"kind", "none"}};
  if (!raw)
    return true;
  // `"mask": "causal"` is shorthand for `{"kind": "causal"}`.
  json shorthand;
  if (raw->is_string())
    shorthand = {{"kind", *raw}};
  const json *mask = raw->is_string() ? &shorthand : raw;
  std::string pointer = c.attrPointer("mask");
  std::string kind;
  Diag &diag = c.diag;
  if (!checkNestedKeys(diag, *mask, pointer, "mask",
                       {"kind", "window", "block", "causal"}) ||
      !readKind(diag, *mask, raw->is_string() ? pointer : pointer + "/kind",
                "mask", {"none", "causal", "sliding_window", "block_diagonal"},
                kind) ||
      !checkOnlyFor(diag, *mask, pointer, "window", kind, "sliding_window") ||
      !checkOnlyFor(diag, *mask, pointer, "block", kind, "block_diagonal"))
    return false;
  // `causal` adds s <= t to any mask: it turns `none` into `causal`, is
  // implied by `causal` and `sliding_window`, and restricts `block_diagonal`.
  bool causal = false;
  if (mask->contains("causal")) {
    if (!(*mask)["causal"].is_boolean())
      return diag.fail(pointer + "/causal",
                       "expected a boolean, got " +
                           jsonTypeName((*mask)["causal"]));
    causal = (*mask)["causal"].get<bool>();
    if (!causal && (kind == "causal" || kind == "sliding_window"))
      return diag.fail(pointer + "/causal",
                       "mask kind " + kind + " is always causal; drop "
                       "'causal' or set it to true");
  }
  if (kind == "none" && causal)
    kind = "causal";
  out["kind"] = kind;
  if (kind == "sliding_window" || kind == "block_diagonal") {
    const char *key = kind == "sliding_window" ? "window" : "block";
    if (!mask->contains(key))
      return diag.fail(pointer + "/" + key, std::string("missing required key '") +
                                                key + "' for mask kind " + kind);
    int64_t size;
    if (!readPositiveInt(diag, (*mask)[key], pointer + "/" + key, false, size))
      return false;
    out[key] = size;
  }
  if (kind == "block_diagonal")
    out["causal"] = causal;
  return true;
}

bool readNormalizer(OpContext &c, json &out) {
  const json *normalizer = c.rawAttr("normalizer");
  out = {{"kind", "softmax"}};
  if (!normalizer || *normalizer == "softmax")
    return true;
  std::string pointer = c.attrPointer("normalizer");
  if (normalizer->is_string())
    return c.diag.fail(pointer, "unknown normalizer '" +
                                    normalizer->get<std::string>() +
                                    "'; expected softmax or an object with "
                                    "kind softmax or power");
  std::string kind;
  if (!checkNestedKeys(c.diag, *normalizer, pointer, "normalizer",
                       {"kind", "p"}) ||
      !readKind(c.diag, *normalizer, pointer + "/kind", "normalizer",
                {"softmax", "power"}, kind))
    return false;
  out["kind"] = kind;
  if (kind == "softmax") {
    if (normalizer->contains("p"))
      return c.diag.fail(pointer + "/p",
                         "'p' applies only to normalizer kind power");
    return true;
  }
  if (!normalizer->contains("p"))
    return c.diag.fail(pointer + "/p",
                       "missing required key 'p' for normalizer kind power");
  int64_t p;
  if (!readPositiveInt(c.diag, (*normalizer)["p"], pointer + "/p", true, p))
    return false;
  out["p"] = p;
  return true;
}

/// q, k and v: floating point of one dtype, shaped by the attention rule.
bool checkQKV(OpContext &c, bool groupedHeads) {
  enum { Q, K, V };
  for (size_t i : {Q, K, V})
    if (!c.expectFloat(i) || !c.expectSameDType(i, Q))
      return false;
  Shape out;
  return c.applyRule(
      shapes::attentionShape(ruleShape(c.shape(Q)), ruleShape(c.shape(K)),
                             ruleShape(c.shape(V)), groupedHeads, c.naming()),
      out);
}

} // namespace

bool checkSeqOffsets(OpContext &c, size_t offsets) {
  if (!c.has(offsets))
    return true;
  if (!c.expectIndex(offsets))
    return false;
  std::optional<shapes::RuleError> error =
      shapes::checkSeqOffsets(ruleShape(c.shape(offsets)), offsets, c.naming());
  return !error || c.failRule(*error);
}

bool inferAttention(OpContext &c) {
  enum { Q, K, V, Bias, Offsets };
  // The JSON IR's v has k's shape (Dv = D): the output has q's type.
  if (!checkQKV(c, /*groupedHeads=*/true) || !c.expectSameShape(V, K))
    return false;
  const Shape &q = c.shape(Q);
  Shape target = {q[0], q[2], q[1], c.shape(K)[1]};
  if (c.has(Bias)) {
    Shape scores;
    if (!c.expectSameDType(Bias, Q) ||
        !c.applyRule(shapes::broadcastToShape(ruleShape(c.shape(Bias)),
                                              ruleShape(target), Bias,
                                              "[B, H, T, S]", c.naming()),
                     scores))
      return false;
  }
  if (c.has(Offsets) && (!checkSeqOffsets(c, Offsets) ||
                         !c.expectDim(K, 1, q[1],
                                      "T of q: packed sequences attend within "
                                      "the same tokens")))
    return false;

  double defaultScale = 0;
  if (q[3].isStatic())
    defaultScale = 1.0 / std::sqrt((double)q[3].size);
  else if (!c.rawAttr("scale"))
    return c.failInput(Q, c.describe(Q) + " has shape " + c.str(q) +
                              "; expected a static head size D, or an "
                              "explicit 'scale' attr");
  double scale;
  json mask, normalizer;
  if (!c.readPositiveNumber("scale", defaultScale, scale) ||
      !readMask(c, mask) || !readNormalizer(c, normalizer))
    return false;
  // The kernels scale f32 scores by it.
  if (scale > std::numeric_limits<float>::max())
    return c.failAttr("scale", "scale " + brief(json(scale)) +
                                   " overflows f32; expected at most 3.4e38");
  c.attrs = {{"scale", scale}, {"mask", mask}, {"normalizer", normalizer}};
  if (c.rawAttr("softcap")) {
    double softcap;
    if (!c.readPositiveNumber("softcap", 0, softcap))
      return false;
    if (softcap < shapes::kMinAttentionSoftCap ||
        softcap > shapes::kMaxAttentionSoftCap)
      return c.failAttr("softcap", "softcap " + brief(json(softcap)) +
                                       " is out of range; expected from "
                                       "1.2e-38 (the smallest normal f32) to "
                                       "1e38");
    if (normalizer["kind"] != "softmax")
      return c.failAttr("softcap",
                        "softcap applies only to the softmax normalizer");
    c.attrs["softcap"] = softcap;
  }
  return c.produce(c.type(Q));
}

bool inferLinearAttention(OpContext &c) {
  enum { Q, K, V, Offsets };
  // The JSON IR's k and v have q's shape (S = T, Dv = D).
  if (!checkQKV(c, /*groupedHeads=*/false) || !c.expectSameShape(K, Q) ||
      !c.expectSameShape(V, Q))
    return false;
  if (!checkSeqOffsets(c, Offsets))
    return false;
  std::string featureMap, normalize;
  bool causal;
  if (!c.readEnum("feature_map", {"elu1", "relu", "identity"}, "elu1",
                  featureMap) ||
      !c.readBool("causal", false, causal) ||
      !c.readEnum("normalize", {"denominator", "none"}, "denominator",
                  normalize))
    return false;
  c.attrs = {{"feature_map", featureMap},
             {"causal", causal},
             {"normalize", normalize}};
  return c.produce(c.type(Q));
}

bool inferSelectiveScan(OpContext &c) {
  enum { U, Delta, A, Bm, Cm, Dskip, Z, DeltaBias, Offsets };
  if (!c.expectFloat(U))
    return false;
  for (size_t i = Delta; i <= DeltaBias; ++i)
    if (c.has(i) && !c.expectSameDType(i, U))
      return false;
  std::optional<shapes::Shape> dskip, z, deltaBias;
  shapes::ShapesResult rule = shapes::selectiveScanShapes(
      ruleShape(c.shape(U)), ruleShape(c.shape(Delta)), ruleShape(c.shape(A)),
      ruleShape(c.shape(Bm)), ruleShape(c.shape(Cm)), c.ruleInput(Dskip, dskip),
      c.ruleInput(Z, z), c.ruleInput(DeltaBias, deltaBias), c.naming());
  if (!rule)
    return c.failRule(rule.error());
  if (!checkSeqOffsets(c, Offsets))
    return false;
  // One final state per batch row cannot hold a state per packed sequence.
  if (c.has(Offsets) && c.numOutputs == 2)
    return c.diag.fail(c.pointer + "/outputs",
                       "selective_scan with seq_offsets has one output (y); "
                       "expected no final state, which is per batch row");
  bool softplus;
  if (!c.readBool("delta_softplus", false, softplus))
    return false;
  c.attrs = {{"delta_softplus", softplus}};
  for (size_t i = 0; i < c.numOutputs; ++i)
    c.outputs.push_back({c.type(U).dtype, modelShape((*rule)[i])});
  return true;
}

bool inferLinearRecurrence(OpContext &c) {
  enum { A, B, H0, Offsets };
  if (!c.expectFloat(A) || !c.expectSameDType(B, A) || (c.has(H0) && !c.expectSameDType(H0, A)))
    return false;
  std::optional<shapes::Shape> h0;
  Shape shape;
  if (!c.applyRule(shapes::linearRecurrenceShape(ruleShape(c.shape(A)),
                                                 ruleShape(c.shape(B)),
                                                 c.ruleInput(H0, h0),
                                                 c.naming()),
                   shape) ||
      !checkSeqOffsets(c, Offsets))
    return false;
  bool reverse;
  if (!c.readBool("reverse", false, reverse))
    return false;
  c.attrs = {{"reverse", reverse}};
  return c.produce({c.type(A).dtype, shape});
}

bool inferRope(OpContext &c) {
  enum { X, Positions };
  if (!c.expectFloat(X) || (c.has(Positions) && !c.expectIndex(Positions)))
    return false;
  double theta;
  bool interleaved;
  if (!c.readPositiveNumber("theta", 10000.0, theta) ||
      !c.readBool("interleaved", false, interleaved))
    return false;
  std::optional<int64_t> rotary;
  if (const json *value = c.rawAttr("rotary_dim")) {
    int64_t size;
    if (!readPositiveInt(c.diag, *value, c.attrPointer("rotary_dim"), true,
                         size))
      return false;
    rotary = size;
  }
  std::optional<shapes::Shape> positions;
  Shape shape;
  if (!c.applyRule(shapes::ropeShape(ruleShape(c.shape(X)),
                                     c.ruleInput(Positions, positions), rotary,
                                     c.naming()),
                   shape))
    return false;
  c.attrs = {{"theta", theta},
             {"rotary_dim", rotary.value_or(c.shape(X)[3].size)},
             {"interleaved", interleaved}};
  return c.produce({c.type(X).dtype, shape});
}

bool inferConv1d(OpContext &c) {
  enum { X, W, Bias, Offsets };
  if (!c.expectFloat(X) || !c.expectSameDType(W, X) ||
      (c.has(Bias) && !c.expectSameDType(Bias, X)))
    return false;
  std::optional<shapes::Shape> bias;
  Shape shape;
  if (!c.applyRule(shapes::conv1dShape(ruleShape(c.shape(X)),
                                       ruleShape(c.shape(W)),
                                       c.ruleInput(Bias, bias), c.naming()),
                   shape) ||
      !checkSeqOffsets(c, Offsets))
    return false;
  c.attrs = json::object();
  return c.produce({c.type(X).dtype, shape});
}

} // namespace kiln::model::detail
