//===- ScanTest.cpp - Reference selective_scan, linear_recurrence, conv1d -===//
//
// selective_scan against a step-by-step loop written here (every optional
// input, both delta modes, the final state), linear_recurrence and conv1d on
// hand-computed values.
//
//===----------------------------------------------------------------------===//

#include "test/unit/Reference/TestUtil.h"

#include <cmath>

namespace kiln::reference::test {
namespace {

struct ScanInputs {
  Tensor u, delta, a, bm, cm, dskip, z, deltaBias;
};

ScanInputs scanInputs(int64_t nb, int64_t nt, int64_t nd, int64_t nn) {
  return {random({nb, nt, nd}, 131),        random({nb, nt, nd}, 132, 0.0, 0.5),
          random({nd, nn}, 133, -2.0, -0.1), random({nb, nt, nn}, 134),
          random({nb, nt, nn}, 135),         random({nd}, 136),
          random({nb, nt, nd}, 137),         random({nd}, 138, -0.2, 0.2)};
}

/// The DESIGN.md recurrence, one time step after another. Returns y and
/// fills `state` with h[T-1] as [B, D, N].
Tensor naiveScan(const ScanInputs &in, bool withOptionals, bool softplusDelta,
                 Tensor &state) {
  int64_t nb = in.u.shape[0], nt = in.u.shape[1], nd = in.u.shape[2],
          nn = in.a.shape[1];
  Tensor y = tensor(in.u.shape, std::vector<double>(in.u.data.size(), 0));
  state = tensor({nb, nd, nn}, std::vector<double>(nb * nd * nn, 0));
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t d = 0; d < nd; ++d) {
      std::vector<double> h(nn, 0.0); // h[-1] = 0
      for (int64_t t = 0; t < nt; ++t) {
        int64_t i = (b * nt + t) * nd + d;
        double dt = in.delta.data[i] + (withOptionals ? in.deltaBias.data[d] : 0);
        if (softplusDelta)
          dt = dt > 20 ? dt : std::log1p(std::exp(dt));
        double yt = 0;
        for (int64_t n = 0; n < nn; ++n) {
          double bn = in.bm.data[(b * nt + t) * nn + n], cn = in.cm.data[(b * nt + t) * nn + n];
          h[n] = std::exp(dt * in.a.data[d * nn + n]) * h[n] + dt * bn * in.u.data[i];
          yt += h[n] * cn;
        }
        if (withOptionals) {
          yt += in.dskip.data[d] * in.u.data[i];
          double z = in.z.data[i];
          yt *= z / (1 + std::exp(-z));
        }
        y.data[i] = yt;
      }
      for (int64_t n = 0; n < nn; ++n)
        state.data[(b * nd + d) * nn + n] = h[n];
    }
  return y;
}

TEST(ReferenceSelectiveScan, MatchesStepByStepLoop) {
  ScanInputs in = scanInputs(2, 6, 3, 4);
  for (bool withOptionals : {false, true})
    for (bool softplusDelta : {false, true}) {
      SCOPED_TRACE(std::string(withOptionals ? "optionals" : "plain") +
                   (softplusDelta ? " softplus" : ""));
      std::vector<std::optional<Tensor>> inputs = {in.u, in.delta, in.a, in.bm, in.cm};
      if (withOptionals)
        inputs.insert(inputs.end(), {in.dskip, in.z, in.deltaBias});
      else
        inputs.insert(inputs.end(), {std::nullopt, std::nullopt, std::nullopt});
      std::string error;
      auto out = tryOp("selective_scan", inputs, {{"delta_softplus", softplusDelta}},
                       {{2, 6, 3}, {2, 3, 4}}, error);
      ASSERT_TRUE(out) << error;
      Tensor state;
      Tensor y = naiveScan(in, withOptionals, softplusDelta, state);
      expectNear((*out)[0], y, 1e-6);
      expectNear((*out)[1], state, 1e-6);
    }
}

TEST(ReferenceSelectiveScan, SingleOutputAndShapeErrors) {
  ScanInputs in = scanInputs(1, 3, 2, 2);
  Tensor y = runOp("selective_scan", {in.u, in.delta, in.a, in.bm, in.cm},
                   {{"delta_softplus", false}}, {1, 3, 2});
  Tensor state;
  expectNear(y, naiveScan(in, false, false, state), 1e-6);
  std::string error;
  EXPECT_FALSE(tryOp("selective_scan", {in.u, in.delta, in.a, in.cm, in.bm, random({3}, 1)},
                     {{"delta_softplus", false}}, {{1, 3, 2}}, error));
  EXPECT_EQ(error, "selective_scan at /nodes/0: Dskip has shape [3]; expected dim 0 "
                   "to be 2 (D of u)");
}

TEST(ReferenceLinearRecurrence, ForwardReverseAndInitialState) {
  // h[t] = a[t]·h[t-1] + b[t] on one channel: a = (0.5, 2, -1), b = (1, 1, 1).
  Tensor a = tensor({1, 3, 1}, {0.5, 2, -1}), b = tensor({1, 3, 1}, {1, 1, 1});
  json fwd = {{"reverse", false}}, rev = {{"reverse", true}};
  expectNear(runOp("linear_recurrence", {a, b, std::nullopt}, fwd, {1, 3, 1}),
             tensor({1, 3, 1}, {1, 3, -2}));
  // From h0 = 4: 0.5·4 + 1 = 3, 2·3 + 1 = 7, -7 + 1 = -6.
  Tensor h0 = tensor({1, 1}, {4});
  expectNear(runOp("linear_recurrence", {a, b, h0}, fwd, {1, 3, 1}),
             tensor({1, 3, 1}, {3, 7, -6}));
  // Reverse from the end: h[2] = -1·4 + 1 = -3, h[1] = 2·-3 + 1 = -5,
  // h[0] = 0.5·-5 + 1 = -1.5.
  expectNear(runOp("linear_recurrence", {a, b, h0}, rev, {1, 3, 1}),
             tensor({1, 3, 1}, {-1.5, -5, -3}));
  expectNear(runOp("linear_recurrence", {a, b, std::nullopt}, rev, {1, 3, 1}),
             tensor({1, 3, 1}, {2.5, 3, 1}));
}

TEST(ReferenceConv1d, DepthwiseCausal) {
  // Two channels, K = 3: y[t, c] = bias[c] + Σ_k w[c, k]·x[t-2+k, c].
  Tensor x = tensor({1, 4, 2}, {1, 10, 2, 20, 3, 30, 4, 40});
  Tensor w = tensor({2, 3}, {1, 0, -1, 0.5, 0.25, 2});
  Tensor bias = tensor({2}, {100, 0});
  // Channel 0: w = (1, 0, -1) over (x[t-2], x[t-1], x[t]) = x[t-2] - x[t].
  // Channel 1: 0.5·x[t-2] + 0.25·x[t-1] + 2·x[t].
  expectNear(runOp("conv1d", {x, w, bias}, json::object(), {1, 4, 2}),
             tensor({1, 4, 2}, {100 - 1, 20, 100 - 2, 2.5 + 40, 100 + 1 - 3, 5 + 5 + 60,
                                100 + 2 - 4, 10 + 7.5 + 80}));
  expectNear(runOp("conv1d", {x, w, std::nullopt}, json::object(), {1, 4, 2}),
             tensor({1, 4, 2}, {-1, 20, -2, 42.5, -2, 70, -2, 97.5}));
}

} // namespace
} // namespace kiln::reference::test
