//===- AttentionOps.cpp - Reference attention ops and rope ----------------===//
//
// Softmax / power attention with masks, GQA, additive bias and packed
// variable-length sequences; kernelized linear attention in its state (scan)
// form; rotary position embedding. Everything is computed per query row from
// the textbook formula, accumulating in double.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::reference::detail {

/// Member `key` of a JSON object, or nullptr.
static const nlohmann::json *field(const nlohmann::json &obj, const char *key) {
  if (!obj.is_object())
    return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

/// Flat index of x[b, t, h, 0] in a [B, T, H, D] tensor.
static int64_t rowStart(const Tensor &x, int64_t b, int64_t t, int64_t h) {
  return ((b * x.shape[1] + t) * x.shape[2] + h) * x.shape[3];
}

namespace {

/// The attention mask; positions are relative to the start of the sequence.
struct Mask {
  std::string kind;
  int64_t window = 0, block = 0;
  bool causal = false;

  /// Whether query t sees key s.
  bool visible(int64_t t, int64_t s) const {
    if (kind == "causal")
      return s <= t;
    if (kind == "sliding_window")
      return t - window < s && s <= t;
    if (kind == "block_diagonal")
      return s / block == t / block && (!causal || s <= t);
    return true;
  }
};

/// The attention normalizer: softmax, or s^p / Σ s^p when `power`.
struct Normalizer {
  bool power = false;
  int64_t p = 0;
};

} // namespace

/// Reads `mask` ({kind, window | block, causal}).
/// q, k and v shaped by the attention rule; `groupedHeads` admits fewer k/v
/// heads (GQA).
static bool checkQKV(OpContext &ctx, const Tensor &q, const Tensor &k,
                     const Tensor &v, bool groupedHeads) {
  Dims out;
  return ctx.applyRule(shapes::attentionShape(shapeOf(q), shapeOf(k),
                                              shapeOf(v), groupedHeads,
                                              shapes::Naming{{"q", "k", "v"}}),
                       out);
}

static bool parseMask(OpContext &ctx, Mask &mask) {
  const nlohmann::json *m = field(ctx.node.attrs, "mask");
  const nlohmann::json *kind = m ? field(*m, "kind") : nullptr;
  if (!kind || !kind->is_string())
    return ctx.fail("attribute 'mask' missing or without a string 'kind'");
  mask.kind = kind->get<std::string>();
  auto positive = [&](const char *key, int64_t &out) {
    const nlohmann::json *v = field(*m, key);
    if (v && v->is_number_integer() && v->get<int64_t>() > 0) {
      out = v->get<int64_t>();
      return true;
    }
    return ctx.fail(std::string("mask '") + key + "' must be a positive integer");
  };
  if (mask.kind == "none" || mask.kind == "causal")
    return true;
  if (mask.kind == "sliding_window")
    return positive("window", mask.window);
  if (mask.kind == "block_diagonal") {
    const nlohmann::json *causal = field(*m, "causal");
    if (!causal || !causal->is_boolean())
      return ctx.fail("mask 'causal' missing or not a bool");
    mask.causal = causal->get<bool>();
    return positive("block", mask.block);
  }
  return ctx.fail("unknown mask kind '" + mask.kind + "'");
}

/// Reads `normalizer` ({kind: softmax} or {kind: power, p}).
static bool parseNormalizer(OpContext &ctx, Normalizer &norm) {
  const nlohmann::json *n = field(ctx.node.attrs, "normalizer");
  const nlohmann::json *kind = n ? field(*n, "kind") : nullptr;
  if (kind && *kind == "softmax")
    return true;
  if (!kind || *kind != "power")
    return ctx.fail("attribute 'normalizer' must have kind softmax or power");
  const nlohmann::json *p = field(*n, "p");
  if (!p || !p->is_number_integer() || p->get<int64_t>() <= 0 ||
      p->get<int64_t>() % 2 != 0)
    return ctx.fail("normalizer 'p' must be a positive even integer");
  norm.power = true;
  norm.p = p->get<int64_t>();
  return true;
}

bool evalAttention(OpContext &ctx) {
  const Tensor *q, *k, *v;
  const Tensor *bias = ctx.input(3), *offsets = ctx.input(4);
  double scale;
  Mask mask;
  Normalizer norm;
  if (!ctx.require(0, "q", q) || !ctx.require(1, "k", k) ||
      !ctx.require(2, "v", v) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrNumber("scale", scale) || !parseMask(ctx, mask) ||
      !parseNormalizer(ctx, norm) || !checkQKV(ctx, *q, *k, *v, true))
    return false;
  int64_t nb = q->shape[0], nt = q->shape[1], nh = q->shape[2],
          d = q->shape[3];
  int64_t ns = k->shape[1], nhkv = k->shape[2], dv = v->shape[3];
  Dims scores{nb, nh, nt, ns}, biasStrides(4, 0);
  if (bias) {
    Dims broadcast;
    if (!ctx.applyRule(shapes::broadcastToShape(
                           shapeOf(*bias), shapes::staticShape(scores), 3,
                           "[B, H, T, S]",
                           shapes::Naming{{"q", "k", "v", "bias"}}),
                       broadcast))
      return false;
    biasStrides = broadcastStrides(bias->shape, scores);
  }
  // Gemma 2's soft cap of the scaled scores (a Kiln addition to v1).
  double softcap = 0;
  if (const nlohmann::json *cap = field(ctx.node.attrs, "softcap")) {
    if (!cap->is_number() || !(cap->get<double>() > 0))
      return ctx.fail("attribute 'softcap' must be a positive number");
    if (norm.power)
      return ctx.fail("attribute 'softcap' applies only to softmax");
    softcap = cap->get<double>();
  }
  if (offsets && nt != ns)
    return ctx.fail("seq_offsets needs as many keys as queries");
  if (offsets && !checkSeqOffsets(ctx, *offsets, nt))
    return false;

  Tensor out = zeros(q->dtype, {nb, nt, nh, dv});
  std::vector<double> score(ns);
  std::vector<bool> seen(ns);
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        // The keys of t's sequence; a query outside every sequence is 0.
        int64_t begin = 0, end = ns;
        if (offsets) {
          begin = end = -1;
          for (int64_t i = 0; i + 1 < offsets->numel(); ++i)
            if (offsets->data[i] <= t && t < offsets->data[i + 1]) {
              begin = static_cast<int64_t>(offsets->data[i]);
              end = static_cast<int64_t>(offsets->data[i + 1]);
            }
          if (begin < 0)
            continue;
        }
        int64_t kvh = h / (nh / nhkv);
        const double *qr = &q->data[rowStart(*q, b, t, h)];
        double maxScore = -std::numeric_limits<double>::infinity();
        bool any = false;
        for (int64_t s = begin; s < end; ++s) {
          seen[s] = mask.visible(t - begin, s - begin);
          if (!seen[s])
            continue;
          const double *kr = &k->data[rowStart(*k, b, s, kvh)];
          double dot = 0;
          for (int64_t i = 0; i < d; ++i)
            dot += qr[i] * kr[i];
          score[s] = scale * dot;
          if (softcap)
            score[s] = softcap * std::tanh(score[s] / softcap);
          if (bias)
            score[s] += bias->data[b * biasStrides[0] + h * biasStrides[1] +
                                   t * biasStrides[2] + s * biasStrides[3]];
          maxScore = std::max(maxScore, score[s]);
          any = true;
        }
        // No visible key, or (softmax) every score is -inf through the bias:
        // the row is 0, as in FlashAttention (docs/json-ir.md).
        if (!any || (!norm.power && std::isinf(maxScore) && maxScore < 0))
          continue;
        double denom = 0;
        double *o = &out.data[rowStart(out, b, t, h)];
        for (int64_t s = begin; s < end; ++s) {
          if (!seen[s])
            continue;
          double w = norm.power ? std::pow(score[s], static_cast<double>(norm.p))
                                : std::exp(score[s] - maxScore);
          denom += w;
          const double *vr = &v->data[rowStart(*v, b, s, kvh)];
          for (int64_t i = 0; i < dv; ++i)
            o[i] += w * vr[i];
        }
        // A power normalizer can sum to 0 (every score 0): the output is 0.
        for (int64_t i = 0; i < dv; ++i)
          o[i] = denom == 0 ? 0.0 : o[i] / denom;
      }
  ctx.results.push_back(std::move(out));
  return true;
}

static double identity(double x) { return x; }

bool evalLinearAttention(OpContext &ctx) {
  const Tensor *q, *k, *v, *offsets = ctx.input(3);
  std::string featureMap, normalize;
  bool causal;
  if (!ctx.require(0, "q", q) || !ctx.require(1, "k", k) ||
      !ctx.require(2, "v", v) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrString("feature_map", featureMap) ||
      !ctx.attrBool("causal", causal) ||
      !ctx.attrString("normalize", normalize) ||
      !checkQKV(ctx, *q, *k, *v, false))
    return false;
  double (*phi)(double) = featureMap == "elu1"       ? elu1
                          : featureMap == "relu"     ? relu
                          : featureMap == "identity" ? identity
                                                     : nullptr;
  if (!phi)
    return ctx.fail("unknown feature_map '" + featureMap + "'");
  if (normalize != "denominator" && normalize != "none")
    return ctx.fail("unknown normalize '" + normalize + "'");
  int64_t nb = q->shape[0], nt = q->shape[1], nh = q->shape[2],
          d = q->shape[3];
  int64_t ns = k->shape[1], dv = v->shape[3];
  if ((causal || offsets) && ns != nt)
    return ctx.fail("causal or packed linear attention needs as many keys "
                    "as queries");
  // Queries [begin, end) see the keys of the same range (keys [0, S) when
  // neither packed nor causal).
  std::vector<std::pair<int64_t, int64_t>> sequences;
  if (!sequenceRanges(ctx, offsets, nt, sequences))
    return false;

  // Tokens outside every packed sequence stay zero.
  Tensor out = zeros(q->dtype, {nb, nt, nh, dv});
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (auto [begin, end] : sequences) {
        // state[i][j] = Σ_s φ(k[s])_i v[s]_j and zsum[i] = Σ_s φ(k[s])_i over
        // the keys seen so far (all of them when not causal).
        std::vector<double> state(d * dv, 0.0), zsum(d, 0.0);
        auto addKey = [&](int64_t s) {
          const double *kr = &k->data[rowStart(*k, b, s, h)];
          const double *vr = &v->data[rowStart(*v, b, s, h)];
          for (int64_t i = 0; i < d; ++i) {
            double fk = phi(kr[i]);
            zsum[i] += fk;
            for (int64_t j = 0; j < dv; ++j)
              state[i * dv + j] += fk * vr[j];
          }
        };
        if (!causal)
          for (int64_t s = begin; s < (offsets ? end : ns); ++s)
            addKey(s);
        for (int64_t t = begin; t < end; ++t) {
          if (causal)
            addKey(t);
          const double *qr = &q->data[rowStart(*q, b, t, h)];
          double *o = &out.data[rowStart(out, b, t, h)];
          double denom = 0;
          for (int64_t i = 0; i < d; ++i) {
            double fq = phi(qr[i]);
            denom += fq * zsum[i];
            for (int64_t j = 0; j < dv; ++j)
              o[j] += fq * state[i * dv + j];
          }
          // A zero denominator (possible with relu or identity) gives 0.
          if (normalize == "denominator")
            for (int64_t j = 0; j < dv; ++j)
              o[j] = denom == 0 ? 0.0 : o[j] / denom;
        }
      }
  ctx.results.push_back(std::move(out));
  return true;
}

bool evalRope(OpContext &ctx) {
  const Tensor *x;
  const Tensor *positions = ctx.input(1);
  double theta;
  int64_t rotaryDim;
  bool interleaved;
  std::optional<shapes::Shape> positionShape;
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrNumber("theta", theta) || !ctx.attrInt("rotary_dim", rotaryDim) ||
      !ctx.attrBool("interleaved", interleaved) ||
      !ctx.applyRule(shapes::ropeShape(shapeOf(*x),
                                       shapeOf(positions, positionShape),
                                       rotaryDim,
                                       shapes::Naming{{"x", "positions"}}),
                     shape))
    return false;
  int64_t nb = x->shape[0], nt = x->shape[1], nh = x->shape[2],
          d = x->shape[3];
  int64_t half = rotaryDim / 2;
  Tensor y = *x;
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t t = 0; t < nt; ++t) {
      double pos = positions ? positions->data[b * nt + t]
                             : static_cast<double>(t);
      for (int64_t h = 0; h < nh; ++h) {
        int64_t base = ((b * nt + t) * nh + h) * d;
        const double *in = &x->data[base];
        double *out = &y.data[base];
        for (int64_t i = 0; i < half; ++i) {
          // In f32 as PyTorch's rotary embeddings compute it: 1 / theta^(2i
          // / r) and the position times it, each rounded to f32.
          float exponent = float(2 * i) / float(rotaryDim);
          float power = float(std::exp(double(exponent) * std::log(theta)));
          float angle = float(pos) * (1.0f / power);
          double c = std::cos(double(angle)), s = std::sin(double(angle));
          // Rotate-half pairs (i, i + r/2); interleaved pairs (2i, 2i + 1).
          int64_t lo = interleaved ? 2 * i : i;
          int64_t hi = interleaved ? 2 * i + 1 : i + half;
          out[lo] = in[lo] * c - in[hi] * s;
          out[hi] = in[hi] * c + in[lo] * s;
        }
      }
    }
  ctx.results.push_back(std::move(y));
  return true;
}

} // namespace kiln::reference::detail
