#!/usr/bin/env python3
"""Fits the rational erf of passes/Conversion/ToLLVM/MathApproximation.cpp.

erf(x) ~ x * P(x^2) / Q(x^2) on [0, 4], P and Q of degree 5, Q(0) = 1:
linearized least squares (the residual x * (P - f Q) divided by the previous
Q), iterated, with Lawson weights pulling the error toward equiripple. Prints
the maximum error in exact (f64) arithmetic and the coefficients; then
evaluates them rounded to f32, in f32 with FMAs, with the kernel's clamps,
against math.erf on [-6, 6]. Needs NumPy: /usr/bin/python3 scripts/fit-erf.py
"""
import math

import numpy as np

DEGREE = 5
LIMIT = 4.0


def fit(x, iterations=60):
    t = x * x
    ratio = np.array([math.erf(v) / v if v > 0 else 2 / math.sqrt(math.pi)
                      for v in x])
    target = np.array([math.erf(v) for v in x])
    weights = np.ones_like(t)
    previous_q = np.ones_like(t)
    best = None
    for step in range(iterations):
        columns = [x * t**i for i in range(DEGREE + 1)]
        columns += [-x * ratio * t**j for j in range(1, DEGREE + 1)]
        scale = weights / previous_q
        a = np.stack(columns, 1) * scale[:, None]
        solution, *_ = np.linalg.lstsq(a, x * ratio * scale, rcond=None)
        p = sum(solution[i] * t**i for i in range(DEGREE + 1))
        q = 1 + sum(solution[DEGREE + j] * t**j for j in range(1, DEGREE + 1))
        error = np.abs(x * p / q - target)
        if best is None or error.max() < best[0]:
            best = (error.max(), solution.copy())
        previous_q = q
        if step > 5:
            weights = weights * (error / error.max() + 1e-3) ** 0.5
            weights /= weights.max()
    return best


def evaluate_f32(numerator, denominator, x):
    f32 = np.float32

    def fma(a, b, c):
        return (a.astype(np.float64) * b + c).astype(f32)

    def horner(t, coefficients):
        total = np.full_like(t, f32(coefficients[-1]))
        for c in reversed(coefficients[:-1]):
            total = fma(total, t, f32(c))
        return total

    x = np.clip(x, f32(-LIMIT), f32(LIMIT)).astype(f32)
    t = (x * x).astype(f32)
    value = ((x * horner(t, numerator)).astype(f32) /
             horner(t, denominator)).astype(f32)
    return np.clip(value, f32(-1), f32(1))


def main():
    x = np.unique(np.concatenate([np.linspace(0, LIMIT, 20000),
                                  np.linspace(0, 0.5, 2000)]))
    error, solution = fit(x)
    numerator = [float(np.float32(c)) for c in solution[:DEGREE + 1]]
    denominator = [1.0] + [float(np.float32(c))
                           for c in solution[DEGREE + 1:]]
    print(f"max error, exact arithmetic: {error:.3g}")
    print("numerator:", numerator)
    print("denominator:", denominator)
    points = np.linspace(-6, 6, 2000001).astype(np.float32)
    reference = np.array([math.erf(float(v)) for v in points])
    f32_error = np.abs(evaluate_f32(numerator, denominator, points) - reference)
    print(f"max error, f32 with FMAs on [-6, 6]: {f32_error.max():.3g}")


if __name__ == "__main__":
    main()
