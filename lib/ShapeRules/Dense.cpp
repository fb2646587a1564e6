//===- Dense.cpp - Shape rules of the ops on features ---------------------===//
//
// matmul, linear, mlp, glu, the norms and embedding. Weights follow PyTorch,
// `[out, in]`; the features of x are its last dim.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/Checks.h"

namespace kiln::shapes {
namespace {

/// `x` with its last dim replaced by `last`.
Shape withLastDim(Shape x, const Dim &last) {
  x.back() = last;
  return x;
}

} // namespace

ShapeResult matmulShape(const Shape &a, const Shape &b, const Naming &naming) {
  Checks checks(naming);
  const char *layout = "[..., M, K] / [..., K, N]";
  checks.minRank(0, a, 2, layout).minRank(1, b, 2, layout);
  if (checks.ok())
    checks.dim(1, b, b.size() - 2, a.back(),
               "K, the last dim of " + naming.role(0));
  if (!checks.ok())
    return checks.takeError();
  ShapeResult batch = broadcastShapes(Shape(a.begin(), a.end() - 2),
                                      Shape(b.begin(), b.end() - 2), naming);
  if (!batch)
    return RuleError{
        "batch dims of " + naming.subject(1) + ": " + batch.error().message, 1};
  Shape out = *batch;
  out.push_back(a[a.size() - 2]);
  out.push_back(b.back());
  return out;
}

ShapeResult linearShape(const Shape &x, const Shape &w, const Shape *bias,
                        const Naming &naming) {
  Checks checks(naming);
  checks.minRank(0, x, 1, "[..., D]");
  if (checks.ok())
    checks.weight(1, w, x.back(), "D of " + naming.role(0));
  if (checks.ok())
    checks.bias(2, bias, w[0], "rows of " + naming.role(1));
  if (!checks.ok())
    return checks.takeError();
  return withLastDim(x, w[0]);
}

ShapeResult mlpShape(const Shape &x, const Shape &wIn, const Shape *bIn,
                     const Shape &wOut, const Shape *bOut,
                     const Naming &naming) {
  Checks checks(naming);
  checks.minRank(0, x, 1, "[..., D]");
  if (checks.ok())
    checks.weight(1, wIn, x.back(), "D of " + naming.role(0));
  if (checks.ok())
    checks.bias(2, bIn, wIn[0], "rows of " + naming.role(1))
        .weight(3, wOut, wIn[0], "rows of " + naming.role(1));
  if (checks.ok())
    checks.bias(4, bOut, wOut[0], "rows of " + naming.role(3));
  if (!checks.ok())
    return checks.takeError();
  return withLastDim(x, wOut[0]);
}

ShapeResult gluShape(const Shape &x, const Shape &wGate, const Shape &wUp,
                     const Shape &wDown, const Naming &naming) {
  Checks checks(naming);
  checks.minRank(0, x, 1, "[..., D]");
  if (checks.ok())
    checks.weight(1, wGate, x.back(), "D of " + naming.role(0));
  if (!checks.ok())
    return checks.takeError();
  if (!compatible(wUp, wGate))
    return sameShapeError(naming, 2, wUp, 1, wGate);
  checks.weight(3, wDown, wGate[0], "rows of " + naming.role(1));
  if (!checks.ok())
    return checks.takeError();
  return withLastDim(x, wDown[0]);
}

ShapeResult normShape(const Shape &x, const Shape &weight, const Shape *bias,
                      const Naming &naming) {
  Checks checks(naming);
  checks.minRank(0, x, 1, "[..., D]");
  if (checks.ok()) {
    std::string what = "D of " + naming.role(0);
    checks.vector(1, &weight, x.back(), "[D]", what)
        .vector(2, bias, x.back(), "[D]", what);
  }
  if (!checks.ok())
    return checks.takeError();
  return x;
}

ShapeResult embeddingShape(const Shape &ids, const Shape &table,
                           const Naming &naming) {
  if (table.size() != 2)
    return rankError(naming, 1, table, 2, "[V, D]");
  Shape out = ids;
  out.push_back(table[1]);
  return out;
}

} // namespace kiln::shapes
