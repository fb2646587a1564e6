//===- IndexingOps.cpp - Reference generation glue ops --------------------===//
//
// constant, arange, gather, take_along_axis, argmax, top_k, cumsum and
// where, written as the NumPy/PyTorch definitions of docs/json-ir.md. Index
// inputs out of range are errors here (the compiled code clamps them).
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Ops.h"

#include <algorithm>
#include <cmath>

namespace kiln::reference::detail {
namespace {

/// Splits a shape around `axis` into (outer, size, inner) extents.
struct AxisView {
  int64_t outer = 1, size = 1, inner = 1;
  AxisView(const Dims &shape, int64_t axis) {
    for (int64_t d = 0; d < (int64_t)shape.size(); ++d)
      (d < axis ? outer : d > axis ? inner : size) *= shape[d];
  }
  int64_t at(int64_t o, int64_t k, int64_t i) const {
    return (o * size + k) * inner + i;
  }
};

/// Resolves a possibly negative index against `size`; false when it is out
/// of range.
bool resolveIndex(OpContext &ctx, double raw, int64_t size, int64_t &out) {
  auto index = static_cast<int64_t>(raw);
  out = index < 0 ? index + size : index;
  if (out >= 0 && out < size)
    return true;
  return ctx.fail("index " + std::to_string(index) +
                  " out of range for an "
                  "axis of size " +
                  std::to_string(size));
}

/// `a` before `b` in descending order: larger, NaN the largest (PyTorch).
bool greater(double a, double b) {
  return a > b || (std::isnan(a) && !std::isnan(b));
}

} // namespace

bool evalConstant(OpContext &ctx) {
  std::string dtype;
  std::vector<int64_t> shape;
  if (!ctx.expectOutputs(1, 1) || !ctx.attrString("dtype", dtype) ||
      !ctx.attrInts("shape", shape))
    return false;
  const nlohmann::json &value = ctx.node.attrs["value"];
  Tensor y = zeros(*model::parseDType(dtype), shape);
  if (value.is_number()) {
    std::fill(y.data.begin(), y.data.end(), value.get<double>());
  } else if (value.is_array() && (int64_t)value.size() == y.numel()) {
    for (size_t i = 0; i < value.size(); ++i)
      y.data[i] = value[i].get<double>();
  } else {
    return ctx.fail("attribute 'value' does not fill shape " +
                    formatDims(shape));
  }
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalArange(OpContext &ctx) {
  const Tensor *x;
  int64_t axis;
  double start;
  std::string dtype;
  std::optional<shapes::Shape> offsets;
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrInt("axis", axis) || !ctx.attrNumber("start", start) ||
      !ctx.attrString("dtype", dtype) ||
      !ctx.applyRule(shapes::arangeShape(shapeOf(*x),
                                         shapeOf(ctx.input(1), offsets), axis,
                                         shapes::Naming{{"x", "seq_offsets"}}),
                     shape))
    return false;
  std::vector<std::pair<int64_t, int64_t>> sequences;
  if (!sequenceRanges(ctx, ctx.input(1), shape[0], sequences))
    return false;
  // Positions count from each packed sequence's start; outside, 0.
  Tensor y = zeros(*model::parseDType(dtype), shape);
  for (auto [begin, end] : sequences)
    for (int64_t i = begin; i < end; ++i)
      y.data[i] = start + (double)(i - begin);
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalGather(OpContext &ctx) {
  const Tensor *x, *indices;
  int64_t axis;
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.require(1, "indices", indices) ||
      !ctx.expectOutputs(1, 1) || !ctx.attrInt("axis", axis) ||
      !ctx.applyRule(shapes::gatherShape(shapeOf(*x), shapeOf(*indices), axis,
                                         shapes::Naming{{"x", "indices"}}),
                     shape))
    return false;
  AxisView in(x->shape, axis);
  Tensor y = zeros(x->dtype, shape);
  int64_t count = indices->numel();
  for (int64_t o = 0; o < in.outer; ++o)
    for (int64_t j = 0; j < count; ++j) {
      int64_t k;
      if (!resolveIndex(ctx, indices->data[j], in.size, k))
        return false;
      for (int64_t i = 0; i < in.inner; ++i)
        y.data[(o * count + j) * in.inner + i] = x->data[in.at(o, k, i)];
    }
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalTakeAlongAxis(OpContext &ctx) {
  const Tensor *x, *indices;
  int64_t axis;
  if (!ctx.require(0, "x", x) || !ctx.require(1, "indices", indices) ||
      !ctx.expectOutputs(1, 1) || !ctx.attrInt("axis", axis))
    return false;
  Dims shape;
  if (!ctx.applyRule(
          shapes::takeAlongAxisShape(shapeOf(*x), shapeOf(*indices), axis,
                                     shapes::Naming{{"x", "indices"}}),
          shape))
    return false;
  Dims xShape = x->shape;
  xShape[axis] = 1;
  // x's own strides, 0 on `axis` (added per index) and on broadcast dims.
  Dims xStrides = stridesOf(x->shape);
  int64_t axisStride = xStrides[axis];
  for (size_t d = 0; d < xShape.size(); ++d)
    if (xShape[d] == 1)
      xStrides[d] = 0;
  Dims indexStrides = broadcastStrides(indices->shape, shape);
  Tensor y = zeros(x->dtype, shape);
  for (int64_t flat = 0; flat < y.numel(); ++flat) {
    int64_t k;
    if (!resolveIndex(ctx, indices->data[offsetOf(flat, shape, indexStrides)],
                      x->shape[axis], k))
      return false;
    y.data[flat] = x->data[offsetOf(flat, shape, xStrides) + k * axisStride];
  }
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalArgmax(OpContext &ctx) {
  const Tensor *x;
  int64_t axis;
  bool keepdims;
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrInt("axis", axis) || !ctx.attrBool("keepdims", keepdims) ||
      !ctx.applyRule(shapes::argmaxShape(shapeOf(*x), axis, keepdims,
                                         shapes::Naming{{"x"}}),
                     shape))
    return false;
  AxisView in(x->shape, axis);
  Tensor y = zeros(model::DType::I64, shape);
  for (int64_t o = 0; o < in.outer; ++o)
    for (int64_t i = 0; i < in.inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < in.size; ++k)
        if (greater(x->data[in.at(o, k, i)], x->data[in.at(o, best, i)]))
          best = k;
      y.data[o * in.inner + i] = (double)best;
    }
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalTopK(OpContext &ctx) {
  const Tensor *x;
  int64_t axis, k;
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 2) ||
      !ctx.attrInt("axis", axis) || !ctx.attrInt("k", k) ||
      !ctx.applyRule(
          shapes::topKShape(shapeOf(*x), axis, k, shapes::Naming{{"x"}}),
          shape))
    return false;
  AxisView in(x->shape, axis), out(shape, axis);
  Tensor values = zeros(x->dtype, shape);
  Tensor indices = zeros(model::DType::I64, shape);
  std::vector<int64_t> order(in.size);
  for (int64_t o = 0; o < in.outer; ++o)
    for (int64_t i = 0; i < in.inner; ++i) {
      for (int64_t j = 0; j < in.size; ++j)
        order[j] = j;
      // Ties keep the lower index first.
      std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        double u = x->data[in.at(o, a, i)], v = x->data[in.at(o, b, i)];
        return greater(u, v) || (!greater(v, u) && a < b);
      });
      for (int64_t j = 0; j < k; ++j) {
        values.data[out.at(o, j, i)] = x->data[in.at(o, order[j], i)];
        indices.data[out.at(o, j, i)] = (double)order[j];
      }
    }
  ctx.results.push_back(std::move(values));
  if (ctx.node.outputs.size() == 2)
    ctx.results.push_back(std::move(indices));
  return true;
}

bool evalCumsum(OpContext &ctx) {
  const Tensor *x;
  int64_t axis;
  bool exclusive, reverse;
  std::optional<shapes::Shape> offsets;
  Dims shape;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrInt("axis", axis) || !ctx.attrBool("exclusive", exclusive) ||
      !ctx.attrBool("reverse", reverse) ||
      !ctx.applyRule(shapes::cumsumShape(shapeOf(*x),
                                         shapeOf(ctx.input(1), offsets), axis,
                                         shapes::Naming{{"x", "seq_offsets"}}),
                     shape))
    return false;
  AxisView in(x->shape, axis);
  std::vector<std::pair<int64_t, int64_t>> sequences;
  if (!sequenceRanges(ctx, ctx.input(1), in.size, sequences))
    return false;
  // Sums restart at every packed sequence; tokens outside stay 0.
  Tensor y =
      zeros(model::isFloat(x->dtype) ? x->dtype : model::DType::I64, shape);
  for (int64_t o = 0; o < in.outer; ++o)
    for (int64_t i = 0; i < in.inner; ++i)
      for (auto [begin, end] : sequences) {
        double sum = 0;
        for (int64_t step = 0; step < end - begin; ++step) {
          int64_t at = in.at(o, reverse ? end - 1 - step : begin + step, i);
          if (exclusive)
            y.data[at] = sum;
          sum += x->data[at];
          if (!exclusive)
            y.data[at] = sum;
        }
      }
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalWhere(OpContext &ctx) {
  const Tensor *cond, *a, *b;
  if (!ctx.require(0, "cond", cond) || !ctx.require(1, "a", a) ||
      !ctx.require(2, "b", b) || !ctx.expectOutputs(1, 1))
    return false;
  Dims shape;
  if (!ctx.applyRule(shapes::whereShape(shapeOf(*cond), shapeOf(*a),
                                        shapeOf(*b),
                                        shapes::Naming{{"cond", "a", "b"}}),
                     shape))
    return false;
  Dims sc = broadcastStrides(cond->shape, shape);
  Dims sa = broadcastStrides(a->shape, shape);
  Dims sb = broadcastStrides(b->shape, shape);
  Tensor y = zeros(a->dtype, shape);
  for (int64_t i = 0; i < y.numel(); ++i)
    y.data[i] = cond->data[offsetOf(i, shape, sc)] != 0
                    ? a->data[offsetOf(i, shape, sa)]
                    : b->data[offsetOf(i, shape, sb)];
  ctx.results.push_back(std::move(y));
  return true;
}

} // namespace kiln::reference::detail
