//===- Scan.cpp - Shape rules of the scans --------------------------------===//
//
// selective_scan and linear_recurrence run along T of `[B, T, D]`: every
// per-step input has the layout of u (or a), and the per-channel ones `[D]`.
//
//===----------------------------------------------------------------------===//

#include "lib/ShapeRules/Checks.h"

namespace kiln::shapes {

ShapesResult selectiveScanShapes(const Shape &u, const Shape &delta,
                                 const Shape &a, const Shape &bm,
                                 const Shape &cm, const Shape *dskip,
                                 const Shape *z, const Shape *deltaBias,
                                 const Naming &naming) {
  enum { U, Delta, A, Bm, Cm, Dskip, Z, DeltaBias };
  Checks checks(naming);
  checks.rank(U, u, 3, "[B, T, D]")
      .sameShape(Delta, &delta, U, u)
      .rank(A, a, 2, "[D, N]");
  if (!checks.ok())
    return checks.takeError();
  std::string ofU = " of " + naming.role(U);
  checks.dim(A, a, 0, u[2], "D" + ofU).rank(Bm, bm, 3, "[B, T, N]");
  if (!checks.ok())
    return checks.takeError();
  checks.dim(Bm, bm, 0, u[0], "B" + ofU)
      .dim(Bm, bm, 1, u[1], "T" + ofU)
      .dim(Bm, bm, 2, a[1], "N of " + naming.role(A))
      .sameShape(Cm, &cm, Bm, bm)
      .vector(Dskip, dskip, u[2], "[D]", "D" + ofU)
      .vector(DeltaBias, deltaBias, u[2], "[D]", "D" + ofU)
      .sameShape(Z, z, U, u);
  if (!checks.ok())
    return checks.takeError();
  return std::vector<Shape>{u, {u[0], u[2], a[1]}};
}

ShapeResult linearRecurrenceShape(const Shape &a, const Shape &b,
                                  const Shape *h0, const Naming &naming) {
  enum { A, B, H0 };
  Checks checks(naming);
  checks.rank(A, a, 3, "[B, T, D]");
  if (!checks.ok())
    return checks.takeError();
  std::string ofA = " of " + naming.role(A);
  checks.sameShape(B, &b, A, a);
  if (h0)
    checks.rank(H0, *h0, 2, "[B, D]");
  if (checks.ok() && h0)
    checks.dim(H0, *h0, 0, a[0], "B" + ofA).dim(H0, *h0, 1, a[2], "D" + ofA);
  if (!checks.ok())
    return checks.takeError();
  return a;
}

} // namespace kiln::shapes
