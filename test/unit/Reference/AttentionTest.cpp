//===- AttentionTest.cpp - Reference attention, linear attention, rope ----===//
//
// Attention against a naive formula written here (explicit visibility
// predicate, full [B,H,T,S] bias), mask equivalences, GQA as repeated kv
// heads, the power normalizer, packed sequences; linear attention against
// its quadratic form; rope against hand-computed rotations.
//
//===----------------------------------------------------------------------===//

#include "test/unit/Reference/TestUtil.h"

#include <cmath>
#include <functional>

namespace kiln::reference::test {
namespace {

using Visible = std::function<bool(int64_t t, int64_t s)>;

double at4(const Tensor &x, int64_t a, int64_t b, int64_t c, int64_t d) {
  return x.data[((a * x.shape[1] + b) * x.shape[2] + c) * x.shape[3] + d];
}

/// Attention written out: weights over the visible keys, softmax or s^p.
/// `bias` is nullptr or a full [B, H, T, S] tensor.
Tensor naiveAttention(const Tensor &q, const Tensor &k, const Tensor &v,
                      const Visible &visible, double scale, int power = 0,
                      const Tensor *bias = nullptr) {
  int64_t nb = q.shape[0], nt = q.shape[1], nh = q.shape[2], d = q.shape[3];
  int64_t ns = k.shape[1], nhkv = k.shape[2], dv = v.shape[3];
  Tensor out = tensor({nb, nt, nh, dv}, std::vector<double>(nb * nt * nh * dv, 0));
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        std::vector<double> w(ns, 0);
        double mx = -1e300, sum = 0;
        for (int64_t s = 0; s < ns; ++s) {
          if (!visible(t, s))
            continue;
          double dot = 0;
          for (int64_t i = 0; i < d; ++i)
            dot += at4(q, b, t, h, i) * at4(k, b, s, h * nhkv / nh, i);
          w[s] = scale * dot + (bias ? at4(*bias, b, h, t, s) : 0);
          mx = std::max(mx, w[s]);
        }
        for (int64_t s = 0; s < ns; ++s) {
          if (!visible(t, s))
            continue;
          w[s] = power ? std::pow(w[s], power) : std::exp(w[s] - mx);
          sum += w[s];
        }
        for (int64_t s = 0; s < ns; ++s)
          for (int64_t j = 0; j < dv && visible(t, s) && sum != 0; ++j)
            out.data[((b * nt + t) * nh + h) * dv + j] += w[s] / sum * at4(v, b, s, h * nhkv / nh, j);
      }
  return out;
}

json maskAttrs(json mask, double scale, json normalizer = {{"kind", "softmax"}}) {
  return {{"scale", scale}, {"mask", mask}, {"normalizer", normalizer}};
}

Tensor attention(const Tensor &q, const Tensor &k, const Tensor &v, const json &attrs,
                 std::optional<Tensor> bias = std::nullopt,
                 std::optional<Tensor> offsets = std::nullopt) {
  Dims shape = q.shape;
  shape[3] = v.shape[3];
  return runOp("attention", {q, k, v, bias, offsets}, attrs, shape);
}

const json none = {{"kind", "none"}}, causal = {{"kind", "causal"}};
json window(int w) { return {{"kind", "sliding_window"}, {"window", w}}; }
json block(int b, bool c) { return {{"kind", "block_diagonal"}, {"block", b}, {"causal", c}}; }

TEST(ReferenceAttention, HandValues) {
  // One query, two keys: weights softmax(1, 0) = (e, 1) / (e + 1).
  Tensor q = tensor({1, 1, 1, 2}, {1, 0});
  Tensor k = tensor({1, 2, 1, 2}, {1, 0, 0, 1});
  Tensor v = tensor({1, 2, 1, 2}, {1, 2, 3, 4});
  double e = std::exp(1.0), w0 = e / (e + 1), w1 = 1 / (e + 1);
  expectNear(attention(q, k, v, maskAttrs(none, 1.0)),
             tensor({1, 1, 1, 2}, {w0 + 3 * w1, 2 * w0 + 4 * w1}));
  // Power normalizer p = 2: weights (1, 0) / 1.
  expectNear(attention(q, k, v, maskAttrs(none, 1.0, {{"kind", "power"}, {"p", 2}})),
             tensor({1, 1, 1, 2}, {1, 2}));
}

TEST(ReferenceAttention, MasksMatchTheNaiveFormula) {
  Tensor q = random({2, 6, 2, 3}, 51), k = random({2, 6, 2, 3}, 52),
         v = random({2, 6, 2, 4}, 53);
  struct Case {
    json mask;
    Visible visible;
  };
  std::vector<Case> cases = {
      {none, [](int64_t, int64_t) { return true; }},
      {causal, [](int64_t t, int64_t s) { return s <= t; }},
      {window(2), [](int64_t t, int64_t s) { return t - 2 < s && s <= t; }},
      {block(4, false), [](int64_t t, int64_t s) { return s / 4 == t / 4; }},
      {block(2, true), [](int64_t t, int64_t s) { return s / 2 == t / 2 && s <= t; }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.mask.dump());
    expectNear(attention(q, k, v, maskAttrs(c.mask, 0.7)),
               naiveAttention(q, k, v, c.visible, 0.7), 1e-6);
  }
}

TEST(ReferenceAttention, MaskEquivalences) {
  Tensor q = random({1, 5, 2, 4}, 61), k = random({1, 5, 2, 4}, 62),
         v = random({1, 5, 2, 4}, 63);
  Tensor causalOut = attention(q, k, v, maskAttrs(causal, 0.5));
  Tensor noneOut = attention(q, k, v, maskAttrs(none, 0.5));
  expectNear(attention(q, k, v, maskAttrs(window(5), 0.5)), causalOut, 0);
  expectNear(attention(q, k, v, maskAttrs(window(9), 0.5)), causalOut, 0);
  expectNear(attention(q, k, v, maskAttrs(block(5, false), 0.5)), noneOut, 0);
  expectNear(attention(q, k, v, maskAttrs(block(8, true), 0.5)), causalOut, 0);
  // A window of 1 sees only itself: the output is v.
  expectNear(attention(q, k, v, maskAttrs(window(1), 0.5)), v, 1e-7);
}

TEST(ReferenceAttention, GqaEqualsRepeatedKvHeads) {
  Tensor q = random({2, 4, 6, 3}, 71), k = random({2, 4, 2, 3}, 72),
         v = random({2, 4, 2, 3}, 73);
  // Query head h uses kv head h / 3: repeat each kv head 3 times.
  auto repeat = [](const Tensor &x) {
    Tensor r = tensor({2, 4, 6, 3}, {});
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t t = 0; t < 4; ++t)
        for (int64_t h = 0; h < 6; ++h)
          for (int64_t i = 0; i < 3; ++i)
            r.data.push_back(at4(x, b, t, h / 3, i));
    return r;
  };
  Tensor gqa = attention(q, k, v, maskAttrs(causal, 0.6));
  expectNear(gqa, attention(q, repeat(k), repeat(v), maskAttrs(causal, 0.6)), 0);
  std::string error;
  EXPECT_FALSE(tryOp("attention", {q, random({2, 4, 4, 3}, 1), random({2, 4, 4, 3}, 2)},
                     maskAttrs(none, 1.0), {{2, 4, 6, 3}}, error));
  EXPECT_EQ(error, "attention at /nodes/0: k has 4 heads and q has 6; expected "
                   "the heads of q to be a multiple of the heads of k and v "
                   "(GQA)");
}

TEST(ReferenceAttention, AdditiveBiasBroadcasts) {
  Tensor q = random({2, 3, 2, 4}, 81), k = random({2, 5, 2, 4}, 82),
         v = random({2, 5, 2, 4}, 83);
  Tensor bias = random({2, 1, 3, 5}, 84, -2, 2); // [B, 1, T, S]
  Tensor full = tensor({2, 2, 3, 5}, {});
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 15; ++i)
        full.data.push_back(bias.data[b * 15 + i]);
  auto all = [](int64_t, int64_t) { return true; };
  expectNear(attention(q, k, v, maskAttrs(none, 0.5), bias),
             naiveAttention(q, k, v, all, 0.5, 0, &full), 1e-6);
  // A bias over keys only, [S], broadcast everywhere.
  Tensor keyBias = tensor({5}, {0, -1, 2, 0.5, -3});
  Tensor keyFull = tensor({2, 2, 3, 5}, {});
  for (int64_t i = 0; i < 12; ++i)
    keyFull.data.insert(keyFull.data.end(), keyBias.data.begin(), keyBias.data.end());
  auto vis = [](int64_t t, int64_t s) { return s <= t; };
  expectNear(attention(q, k, v, maskAttrs(causal, 0.5), keyBias),
             naiveAttention(q, k, v, vis, 0.5, 0, &keyFull), 1e-6);
}

TEST(ReferenceAttention, PowerNormalizer) {
  Tensor q = random({1, 5, 2, 3}, 91), k = random({1, 5, 2, 3}, 92),
         v = random({1, 5, 2, 3}, 93);
  auto vis = [](int64_t t, int64_t s) { return s <= t; };
  for (int p : {2, 4}) {
    json norm = {{"kind", "power"}, {"p", p}};
    expectNear(attention(q, k, v, maskAttrs(causal, 1.3, norm)),
               naiveAttention(q, k, v, vis, 1.3, p), 1e-6);
  }
  // All scores 0 (q = 0): a zero denominator gives 0 output, not NaN.
  Tensor zero = tensor({1, 5, 2, 3}, std::vector<double>(30, 0));
  Tensor out = attention(zero, k, v, maskAttrs(causal, 1.0, {{"kind", "power"}, {"p", 2}}));
  expectNear(out, zero, 0);
}

TEST(ReferenceAttention, SoftCap) {
  // One query, two keys, scores (1, 0) capped at 0.5: 0.5 · tanh(2) and 0,
  // before the bias (here -0.25 on the second key).
  Tensor q = tensor({1, 1, 1, 2}, {1, 0});
  Tensor k = tensor({1, 2, 1, 2}, {1, 0, 0, 1});
  Tensor v = tensor({1, 2, 1, 2}, {1, 2, 3, 4});
  json attrs = maskAttrs(none, 1.0);
  attrs["softcap"] = 0.5;
  double e0 = std::exp(0.5 * std::tanh(2.0)), e1 = std::exp(-0.25);
  double w0 = e0 / (e0 + e1), w1 = e1 / (e0 + e1);
  expectNear(attention(q, k, v, attrs, tensor({2}, {0, -0.25})),
             tensor({1, 1, 1, 2}, {w0 + 3 * w1, 2 * w0 + 4 * w1}));
  std::string error;
  attrs["softcap"] = -1;
  EXPECT_FALSE(tryOp("attention", {q, k, v}, attrs, {{1, 1, 1, 2}}, error));
  EXPECT_EQ(error, "attention at /nodes/0: attribute 'softcap' must be a "
                   "positive number");
  json power = maskAttrs(none, 1.0, {{"kind", "power"}, {"p", 2}});
  power["softcap"] = 30;
  EXPECT_FALSE(tryOp("attention", {q, k, v}, power, {{1, 1, 1, 2}}, error));
  EXPECT_EQ(error, "attention at /nodes/0: attribute 'softcap' applies only "
                   "to softmax");
}

TEST(ReferenceAttention, PackedSequencesWithOffsets) {
  // Sequences [0, 3) and [3, 5) packed along T = 7; rows 5 and 6 are padding.
  Tensor q = random({1, 7, 2, 3}, 101), k = random({1, 7, 2, 3}, 102),
         v = random({1, 7, 2, 3}, 103);
  Tensor offsets = tensor({3}, {0, 3, 5}, DType::I32);
  auto seqOf = [](int64_t t) { return t < 3 ? 0 : t < 5 ? 1 : -1; };
  auto startOf = [](int64_t t) { return t < 3 ? 0 : 3; };
  for (const json &mask : {none, causal, window(2)}) {
    SCOPED_TRACE(mask.dump());
    Visible vis = [&](int64_t t, int64_t s) {
      if (seqOf(t) < 0 || seqOf(t) != seqOf(s))
        return false;
      int64_t rt = t - startOf(t), rs = s - startOf(s);
      return mask == none ? true : mask == causal ? rs <= rt : rt - 2 < rs && rs <= rt;
    };
    Tensor packed = attention(q, k, v, maskAttrs(mask, 0.8), std::nullopt, offsets);
    expectNear(packed, naiveAttention(q, k, v, vis, 0.8), 1e-6);
    for (int64_t i = 5 * 6; i < 7 * 6; ++i)
      EXPECT_EQ(packed.data[i], 0.0);
  }
  // The second sequence alone, as its own batch, gives the same rows.
  auto rows = [](const Tensor &x, int64_t begin, int64_t end) {
    return tensor({1, end - begin, 2, 3},
                  std::vector<double>(x.data.begin() + begin * 6, x.data.begin() + end * 6));
  };
  Tensor alone = attention(rows(q, 3, 5), rows(k, 3, 5), rows(v, 3, 5), maskAttrs(causal, 0.8));
  Tensor packed = attention(q, k, v, maskAttrs(causal, 0.8), std::nullopt, offsets);
  expectNear(rows(packed, 3, 5), alone, 0);

  std::string error;
  EXPECT_FALSE(tryOp("attention", {q, k, v, std::nullopt, tensor({2}, {4, 2}, DType::I32)},
                     maskAttrs(none, 1.0), {{1, 7, 2, 3}}, error));
  EXPECT_EQ(error, "attention at /nodes/0: seq_offsets must be nondecreasing within "
                   "[0, 7], element 1 is 2");
}

/// Linear attention in its quadratic form: weights φ(q[t])·φ(k[s]).
Tensor naiveLinearAttention(const Tensor &q, const Tensor &k, const Tensor &v,
                            double (*phi)(double), bool causalMask, bool denominator) {
  int64_t nb = q.shape[0], nt = q.shape[1], nh = q.shape[2], d = q.shape[3];
  int64_t dv = v.shape[3];
  Tensor out = tensor({nb, nt, nh, dv}, {});
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t t = 0; t < nt; ++t)
      for (int64_t h = 0; h < nh; ++h) {
        std::vector<double> o(dv, 0);
        double sum = 0;
        for (int64_t s = 0; s < (causalMask ? t + 1 : nt); ++s) {
          double w = 0;
          for (int64_t i = 0; i < d; ++i)
            w += phi(at4(q, b, t, h, i)) * phi(at4(k, b, s, h, i));
          sum += w;
          for (int64_t j = 0; j < dv; ++j)
            o[j] += w * at4(v, b, s, h, j);
        }
        for (double x : o)
          out.data.push_back(denominator ? (sum == 0 ? 0 : x / sum) : x);
      }
  return out;
}

TEST(ReferenceLinearAttention, MatchesQuadraticForm) {
  Tensor q = random({2, 5, 2, 3}, 111), k = random({2, 5, 2, 3}, 112),
         v = random({2, 5, 2, 4}, 113);
  std::map<std::string, double (*)(double)> maps = {
      {"elu1", [](double x) { return x > 0 ? x + 1 : std::exp(x); }},
      {"relu", [](double x) { return x > 0 ? x : 0.0; }},
      {"identity", [](double x) { return x; }},
  };
  for (const auto &[name, phi] : maps)
    for (bool isCausal : {true, false})
      for (std::string normalize : {"denominator", "none"}) {
        SCOPED_TRACE(name + (isCausal ? " causal " : " ") + normalize);
        if (name == "identity" && normalize == "denominator")
          continue; // Denominators near 0 make the comparison meaningless.
        json attrs = {{"feature_map", name}, {"causal", isCausal}, {"normalize", normalize}};
        expectNear(runOp("linear_attention", {q, k, v}, attrs, {2, 5, 2, 4}),
                   naiveLinearAttention(q, k, v, phi, isCausal, normalize == "denominator"),
                   1e-5);
      }
}

TEST(ReferenceLinearAttention, ZeroDenominatorGivesZero) {
  // relu(q) = 0 everywhere: numerator and denominator are 0.
  Tensor q = tensor({1, 2, 1, 2}, {-1, -2, -3, -4});
  Tensor k = random({1, 2, 1, 2}, 5), v = random({1, 2, 1, 2}, 6);
  json attrs = {{"feature_map", "relu"}, {"causal", true}, {"normalize", "denominator"}};
  expectNear(runOp("linear_attention", {q, k, v}, attrs, {1, 2, 1, 2}),
             tensor({1, 2, 1, 2}, {0, 0, 0, 0}), 0);
}

json ropeAttrs(int rotaryDim, bool interleaved, double theta = 10000) {
  return {{"theta", theta}, {"rotary_dim", rotaryDim}, {"interleaved", interleaved}};
}

TEST(ReferenceRope, RotateHalfHandValues) {
  // T = 2, D = 4: at t = 1 the angles are 1 (pair 0, 2) and 10000^-0.5 = 0.01
  // (pair 1, 3); t = 0 is the identity.
  Tensor x = tensor({1, 2, 1, 4}, {1, 2, 3, 4, 1, 2, 3, 4});
  double c0 = std::cos(1.0), s0 = std::sin(1.0), c1 = std::cos(0.01), s1 = std::sin(0.01);
  Tensor y = runOp("rope", {x, std::nullopt}, ropeAttrs(4, false), {1, 2, 1, 4});
  expectNear(y, tensor({1, 2, 1, 4}, {1, 2, 3, 4, 1 * c0 - 3 * s0, 2 * c1 - 4 * s1,
                                      3 * c0 + 1 * s0, 4 * c1 + 2 * s1}));
  // Interleaved pairs (0, 1) and (2, 3).
  Tensor yi = runOp("rope", {x, std::nullopt}, ropeAttrs(4, true), {1, 2, 1, 4});
  expectNear(yi, tensor({1, 2, 1, 4}, {1, 2, 3, 4, 1 * c0 - 2 * s0, 2 * c0 + 1 * s0,
                                       3 * c1 - 4 * s1, 4 * c1 + 3 * s1}));
}

TEST(ReferenceRope, PartialRotaryAndPositions) {
  Tensor x = random({2, 3, 2, 6}, 121);
  // rotary_dim 4 leaves dims 4 and 5 untouched.
  Tensor y = runOp("rope", {x, std::nullopt}, ropeAttrs(4, false, 500), {2, 3, 2, 6});
  for (int64_t row = 0; row < 12; ++row) {
    EXPECT_EQ(y.data[row * 6 + 4], x.data[row * 6 + 4]);
    EXPECT_EQ(y.data[row * 6 + 5], x.data[row * 6 + 5]);
  }
  // Explicit positions 0..T-1 equal the default.
  Tensor pos = tensor({2, 3}, {0, 1, 2, 0, 1, 2}, DType::I32);
  expectNear(runOp("rope", {x, pos}, ropeAttrs(4, false, 500), {2, 3, 2, 6}), y, 0);
  // Position 2 placed at t = 0 rotates like t = 2 without positions.
  Tensor shifted = runOp("rope", {x, tensor({2, 3}, {2, 2, 2, 2, 2, 2}, DType::I32)},
                         ropeAttrs(4, false, 500), {2, 3, 2, 6});
  for (int64_t i = 0; i < 12; ++i) // b = 0, t = 2, both heads.
    EXPECT_EQ(shifted.data[24 + i], y.data[24 + i]);
  EXPECT_NE(shifted.data[0], y.data[0]);
}

} // namespace
} // namespace kiln::reference::test
