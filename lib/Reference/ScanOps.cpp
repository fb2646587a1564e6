//===- ScanOps.cpp - Reference sequence ops: scans and causal conv --------===//
//
// selective_scan (Mamba's S6 recurrence), the generic first-order
// linear_recurrence and the depthwise causal conv1d, each written as the
// step-by-step loop over time of DESIGN.md §4.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Ops.h"

#include <algorithm>
#include <cmath>

namespace kiln::reference::detail {

bool evalSelectiveScan(OpContext &ctx) {
  const Tensor *u, *delta, *a, *bm, *cm;
  const Tensor *dskip = ctx.input(5), *z = ctx.input(6),
               *deltaBias = ctx.input(7), *offsets = ctx.input(8);
  bool deltaSoftplus;
  std::optional<shapes::Shape> dskipShape, zShape, deltaBiasShape;
  std::vector<Dims> results;
  if (!ctx.require(0, "u", u) || !ctx.require(1, "delta", delta) ||
      !ctx.require(2, "A", a) || !ctx.require(3, "Bm", bm) ||
      !ctx.require(4, "Cm", cm) || !ctx.expectOutputs(1, 2) ||
      !ctx.attrBool("delta_softplus", deltaSoftplus) ||
      !ctx.applyRule(
          shapes::selectiveScanShapes(
              shapeOf(*u), shapeOf(*delta), shapeOf(*a), shapeOf(*bm),
              shapeOf(*cm), shapeOf(dskip, dskipShape), shapeOf(z, zShape),
              shapeOf(deltaBias, deltaBiasShape),
              shapes::Naming{{"u", "delta", "A", "Bm", "Cm", "Dskip", "z",
                              "delta_bias"}}),
          results))
    return false;
  int64_t nb = u->shape[0], nt = u->shape[1], nd = u->shape[2],
          nn = a->shape[1];
  std::vector<std::pair<int64_t, int64_t>> sequences;
  if (!sequenceRanges(ctx, offsets, nt, sequences))
    return false;

  // Tokens outside every packed sequence stay zero.
  Tensor y = zeros(u->dtype, results[0]);
  Tensor last = zeros(u->dtype, results[1]);
  std::vector<double> h(nn);
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t d = 0; d < nd; ++d)
      for (auto [begin, end] : sequences) {
        std::fill(h.begin(), h.end(), 0.0);
        for (int64_t t = begin; t < end; ++t) {
          int64_t btd = (b * nt + t) * nd + d, btn = (b * nt + t) * nn;
          double dt = delta->data[btd] + (deltaBias ? deltaBias->data[d] : 0.0);
          if (deltaSoftplus)
            dt = softplus(dt);
          double ut = u->data[btd], out = 0;
          for (int64_t n = 0; n < nn; ++n) {
            h[n] = std::exp(dt * a->data[d * nn + n]) * h[n] +
                   dt * bm->data[btn + n] * ut;
            out += h[n] * cm->data[btn + n];
          }
          if (dskip)
            out += dskip->data[d] * ut;
          if (z)
            out *= silu(z->data[btd]);
          y.data[btd] = out;
        }
        std::copy(h.begin(), h.end(), &last.data[(b * nd + d) * nn]);
      }
  ctx.results.push_back(std::move(y));
  if (ctx.node.outputs.size() == 2)
    ctx.results.push_back(std::move(last));
  return true;
}

bool evalLinearRecurrence(OpContext &ctx) {
  const Tensor *a, *b;
  const Tensor *h0 = ctx.input(2), *offsets = ctx.input(3);
  bool reverse;
  std::optional<shapes::Shape> h0Shape;
  Dims shape;
  if (!ctx.require(0, "a", a) || !ctx.require(1, "b", b) ||
      !ctx.expectOutputs(1, 1) || !ctx.attrBool("reverse", reverse) ||
      !ctx.applyRule(shapes::linearRecurrenceShape(
                         shapeOf(*a), shapeOf(*b), shapeOf(h0, h0Shape),
                         shapes::Naming{{"a", "b", "h0"}}),
                     shape))
    return false;
  int64_t nb = a->shape[0], nt = a->shape[1], nd = a->shape[2];
  std::vector<std::pair<int64_t, int64_t>> sequences;
  if (!sequenceRanges(ctx, offsets, nt, sequences))
    return false;
  Tensor h = zeros(a->dtype, shape);
  for (int64_t bi = 0; bi < nb; ++bi)
    for (int64_t d = 0; d < nd; ++d)
      for (auto [begin, end] : sequences) {
        // h[t] = a[t]·h[t∓1] + b[t], starting from h0 (or 0) before the first
        // step of every sequence in the direction of the scan.
        double state = h0 ? h0->data[bi * nd + d] : 0.0;
        for (int64_t step = 0; step < end - begin; ++step) {
          int64_t t = reverse ? end - 1 - step : begin + step;
          int64_t i = (bi * nt + t) * nd + d;
          state = a->data[i] * state + b->data[i];
          h.data[i] = state;
        }
      }
  ctx.results.push_back(std::move(h));
  return true;
}

bool evalConv1d(OpContext &ctx) {
  const Tensor *x, *w;
  const Tensor *bias = ctx.input(2), *offsets = ctx.input(3);
  std::optional<shapes::Shape> biasShape;
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.require(1, "w", w) ||
      !ctx.expectOutputs(1, 1) ||
      !ctx.applyRule(shapes::conv1dShape(shapeOf(*x), shapeOf(*w),
                                         shapeOf(bias, biasShape),
                                         shapes::Naming{{"x", "w", "bias"}}),
                     shape))
    return false;
  int64_t nb = x->shape[0], nt = x->shape[1], nc = x->shape[2],
          nk = w->shape[1];
  std::vector<std::pair<int64_t, int64_t>> sequences;
  if (!sequenceRanges(ctx, offsets, nt, sequences))
    return false;
  // Tokens outside every packed sequence stay zero.
  Tensor y = zeros(x->dtype, shape);
  for (int64_t b = 0; b < nb; ++b)
    for (auto [begin, end] : sequences)
      for (int64_t t = begin; t < end; ++t)
        for (int64_t c = 0; c < nc; ++c) {
          // y[t, c] = bias[c] + Σ_k w[c, k]·x[t-K+1+k, c], zero before the
          // start of the sequence.
          double acc = bias ? bias->data[c] : 0.0;
          for (int64_t k = 0; k < nk; ++k) {
            int64_t src = t - nk + 1 + k;
            if (src >= begin)
              acc += w->data[c * nk + k] * x->data[(b * nt + src) * nc + c];
          }
          y.data[(b * nt + t) * nc + c] = acc;
        }
  ctx.results.push_back(std::move(y));
  return true;
}

} // namespace kiln::reference::detail
