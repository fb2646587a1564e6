//===- ShapeOps.cpp - Reference data-movement ops and reductions ----------===//
//
// reshape, transpose, slice, concat, split and reduce_sum / reduce_mean /
// reduce_max. All of them move or combine elements through the row-major
// index helpers of Ops.h.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::reference::detail {

/// Splits `shape` around `axis` into (outer, size, inner) extents.
static void aroundAxis(const Dims &shape, size_t axis, int64_t &outer,
                       int64_t &inner) {
  outer = product(Dims(shape.begin(), shape.begin() + axis));
  inner = product(Dims(shape.begin() + axis + 1, shape.end()));
}

bool evalReshape(OpContext &ctx) {
  const Tensor *x;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1))
    return false;
  // The target is the output value's declared type; a symbolic dim that no
  // tensor has bound yet is inferred from the element count.
  const model::Shape &decl = ctx.model.value(ctx.node.outputs[0]).type.shape;
  shapes::Shape target;
  std::optional<size_t> unbound;
  for (size_t i = 0; i < decl.size(); ++i) {
    int64_t size = decl[i].isStatic() ? decl[i].size
                   : decl[i].symbol < static_cast<int>(ctx.dimValues.size())
                       ? ctx.dimValues[decl[i].symbol]
                       : -1;
    if (size < 0 && unbound)
      return ctx.fail("output shape " + model::formatShape(ctx.model, decl) +
                      " has more than one unbound dim");
    if (size < 0)
      unbound = i;
    target.push_back(shapes::Dim::fixed(size < 0 ? 1 : size));
  }
  Dims shape;
  if (!ctx.applyRule(shapes::reshapeShape(shapeOf(*x), target, unbound,
                                          shapes::Naming{{"x"}}),
                     shape))
    return false;
  Tensor y = *x;
  y.shape = shape;
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalTranspose(OpContext &ctx) {
  const Tensor *x;
  std::vector<int64_t> perm;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrInts("perm", perm))
    return false;
  Dims shape;
  if (!ctx.applyRule(shapes::transposeShape(shapeOf(*x), perm,
                                            shapes::Naming{{"x"}}),
                     shape))
    return false;
  // Output dim i is input dim perm[i]: walk the output in order and read the
  // input through permuted strides.
  Dims inStrides = stridesOf(x->shape), strides;
  for (int64_t axis : perm)
    strides.push_back(inStrides[axis]);
  Tensor y = zeros(x->dtype, shape);
  for (int64_t i = 0; i < y.numel(); ++i)
    y.data[i] = x->data[offsetOf(i, shape, strides)];
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalSlice(OpContext &ctx) {
  const Tensor *x;
  int64_t axis, start, end;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrInt("axis", axis) || !ctx.attrInt("start", start))
    return false;
  if (std::optional<shapes::RuleError> error =
          shapes::checkAxis(axis, x->shape.size(), "axis"))
    return ctx.fail(error->message);
  int64_t size = x->shape[axis];
  // On a symbolic axis a negative start counts both bounds from the end, and
  // a null end is the end of the axis: resolved here against its size.
  if (ctx.node.attrs.value("end", nlohmann::json()).is_null())
    end = size;
  else if (!ctx.attrInt("end", end))
    return false;
  else if (start < 0)
    end += size;
  if (start < 0)
    start += size;
  Dims shape;
  if (!ctx.applyRule(shapes::sliceShape(shapeOf(*x), axis, start, end,
                                        shapes::Naming{{"x"}}),
                     shape))
    return false;
  int64_t outer, inner;
  aroundAxis(x->shape, axis, outer, inner);
  Tensor y = zeros(x->dtype, shape);
  for (int64_t o = 0; o < outer; ++o)
    std::copy_n(&x->data[(o * size + start) * inner], (end - start) * inner,
                &y.data[o * (end - start) * inner]);
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalConcat(OpContext &ctx) {
  const Tensor *first;
  int64_t axis;
  if (!ctx.require(0, "x0", first) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrInt("axis", axis))
    return false;
  shapes::Naming naming;
  std::vector<shapes::Shape> inputs;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor *x;
    std::string what = "x" + std::to_string(i);
    if (!ctx.require(i, what.c_str(), x))
      return false;
    if (x->dtype != first->dtype)
      return ctx.fail(what + " is " + model::dtypeName(x->dtype) +
                      ", expected " + model::dtypeName(first->dtype) +
                      ", the dtype of x0");
    naming.roles.push_back(what);
    inputs.push_back(shapeOf(*x));
  }
  Dims shape;
  if (!ctx.applyRule(shapes::concatShape(inputs, axis, naming), shape))
    return false;
  int64_t outer, inner;
  aroundAxis(shape, axis, outer, inner);
  Tensor y = zeros(first->dtype, shape);
  int64_t at = 0; // Running offset along the axis.
  for (const Tensor *x : ctx.inputs) {
    int64_t n = x->shape[axis];
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(&x->data[o * n * inner], n * inner,
                  &y.data[(o * shape[axis] + at) * inner]);
    at += n;
  }
  ctx.results.push_back(std::move(y));
  return true;
}

bool evalSplit(OpContext &ctx) {
  const Tensor *x;
  int64_t axis;
  std::vector<int64_t> sizes;
  std::vector<Dims> parts;
  if (!ctx.require(0, "x", x) || !ctx.attrInt("axis", axis) ||
      !ctx.attrInts("sizes", sizes) ||
      !ctx.expectOutputs(sizes.size(), sizes.size()) ||
      !ctx.applyRule(shapes::splitShapes(shapeOf(*x), axis, sizes, sizes.size(),
                                         shapes::Naming{{"x"}}),
                     parts))
    return false;
  int64_t outer, inner, at = 0;
  aroundAxis(x->shape, axis, outer, inner);
  for (const Dims &shape : parts) {
    int64_t n = shape[axis];
    Tensor y = zeros(x->dtype, shape);
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(&x->data[(o * x->shape[axis] + at) * inner], n * inner,
                  &y.data[o * n * inner]);
    at += n;
    ctx.results.push_back(std::move(y));
  }
  return true;
}

bool evalReduce(OpContext &ctx) {
  const Tensor *x;
  std::vector<int64_t> axes;
  bool keepdims;
  if (!ctx.require(0, "x", x) || !ctx.expectOutputs(1, 1) ||
      !ctx.attrInts("axes", axes) || !ctx.attrBool("keepdims", keepdims))
    return false;
  Dims shape;
  if (!ctx.applyRule(shapes::reduceShape(shapeOf(*x), axes, keepdims,
                                         shapes::Naming{{"x"}}),
                     shape))
    return false;
  size_t rank = x->shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes)
    reduced[a] = true;
  // Accumulate into the keepdims-shaped result: each input element goes to
  // the output element with the reduced coordinates set to 0.
  Dims kept = x->shape;
  for (size_t i = 0; i < rank; ++i)
    if (reduced[i])
      kept[i] = 1;
  Dims strides = broadcastStrides(kept, x->shape);
  const std::string &op = ctx.node.op;
  bool isMax = op == "reduce_max";
  Tensor y = zeros(x->dtype, kept);
  if (isMax)
    y.data.assign(y.data.size(), -std::numeric_limits<double>::infinity());
  for (int64_t i = 0; i < x->numel(); ++i) {
    double &acc = y.data[offsetOf(i, x->shape, strides)];
    double v = x->data[i];
    acc = !isMax ? acc + v : std::isnan(v) || v > acc ? v : acc;
  }
  if (op == "reduce_mean") {
    double count = static_cast<double>(x->numel() / y.numel());
    for (double &v : y.data)
      v /= count;
  }
  y.shape = shape;
  ctx.results.push_back(std::move(y));
  return true;
}

} // namespace kiln::reference::detail
