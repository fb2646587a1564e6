//===- Convert.cpp - Element access across dtypes -------------------------===//
//
// Reads and writes single elements of any Kiln dtype as double, so that
// callers without 16-bit float support (C programs, tools printing summaries,
// data generators) can fill and inspect f16 and bf16 tensors. The 16-bit
// encodings are computed directly from the double, rounding once.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_runtime.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace {

/// Encodes `x` in a binary float format with `expBits` exponent bits and
/// `manBits` mantissa bits (IEEE layout), rounding to nearest even.
uint16_t encodeFloat(double x, int expBits, int manBits) {
  const int bias = (1 << (expBits - 1)) - 1;
  const uint32_t expMax = (1u << expBits) - 1;
  uint32_t sign = std::signbit(x) ? 1u << (expBits + manBits) : 0;
  if (std::isnan(x))
    return static_cast<uint16_t>(sign | expMax << manBits |
                                 1u << (manBits - 1));
  double a = std::fabs(x);
  if (std::isinf(a))
    return static_cast<uint16_t>(sign | expMax << manBits);
  if (a == 0)
    return static_cast<uint16_t>(sign);
  int k;
  std::frexp(a, &k);
  int exponent = k - 1;
  if (exponent < 1 - bias) {
    // Subnormal; rounding up to 2^manBits yields the smallest normal's bits.
    double m = std::nearbyint(std::ldexp(a, bias - 1 + manBits));
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(m));
  }
  double m = std::nearbyint(std::ldexp(a, manBits - exponent));
  if (m == std::ldexp(1.0, manBits + 1)) {
    m /= 2;
    ++exponent;
  }
  if (exponent + bias >= static_cast<int>(expMax))
    return static_cast<uint16_t>(sign | expMax << manBits);
  return static_cast<uint16_t>(
      sign | static_cast<uint32_t>(exponent + bias) << manBits |
      (static_cast<uint32_t>(m) - (1u << manBits)));
}

double decodeFloat(uint16_t bits, int expBits, int manBits) {
  const int bias = (1 << (expBits - 1)) - 1;
  const uint32_t expMax = (1u << expBits) - 1;
  double sign = bits >> (expBits + manBits) ? -1.0 : 1.0;
  uint32_t exponent = (bits >> manBits) & expMax;
  uint32_t mantissa = bits & ((1u << manBits) - 1);
  if (exponent == expMax)
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  if (exponent == 0)
    return sign * std::ldexp(mantissa, 1 - bias - manBits);
  return sign * std::ldexp(mantissa + (1u << manBits),
                           static_cast<int>(exponent) - bias - manBits);
}

template <typename T> T saturate(double value) {
  if (std::isnan(value))
    return 0;
  double truncated = std::trunc(value);
  if (truncated <= static_cast<double>(std::numeric_limits<T>::min()))
    return std::numeric_limits<T>::min();
  if (truncated >= static_cast<double>(std::numeric_limits<T>::max()))
    return std::numeric_limits<T>::max();
  return static_cast<T>(truncated);
}

} // namespace

extern "C" {

double kiln_tensor_get(const kiln_tensor *tensor, int64_t index) {
  const char *data = static_cast<const char *>(tensor->data);
  switch (tensor->dtype) {
  case KILN_F32: {
    float value;
    std::memcpy(&value, data + 4 * index, 4);
    return value;
  }
  case KILN_F16:
  case KILN_BF16: {
    uint16_t bits;
    std::memcpy(&bits, data + 2 * index, 2);
    return tensor->dtype == KILN_F16 ? decodeFloat(bits, 5, 10)
                                     : decodeFloat(bits, 8, 7);
  }
  case KILN_I32: {
    int32_t value;
    std::memcpy(&value, data + 4 * index, 4);
    return value;
  }
  case KILN_I64: {
    int64_t value;
    std::memcpy(&value, data + 8 * index, 8);
    return static_cast<double>(value);
  }
  case KILN_BOOL:
    return data[index] != 0 ? 1.0 : 0.0;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void kiln_tensor_set(kiln_tensor *tensor, int64_t index, double value) {
  char *data = static_cast<char *>(tensor->data);
  switch (tensor->dtype) {
  case KILN_F32: {
    float stored = static_cast<float>(value);
    std::memcpy(data + 4 * index, &stored, 4);
    return;
  }
  case KILN_F16:
  case KILN_BF16: {
    uint16_t bits = tensor->dtype == KILN_F16 ? encodeFloat(value, 5, 10)
                                              : encodeFloat(value, 8, 7);
    std::memcpy(data + 2 * index, &bits, 2);
    return;
  }
  case KILN_I32: {
    int32_t stored = saturate<int32_t>(value);
    std::memcpy(data + 4 * index, &stored, 4);
    return;
  }
  case KILN_I64: {
    int64_t stored = saturate<int64_t>(value);
    std::memcpy(data + 8 * index, &stored, 8);
    return;
  }
  case KILN_BOOL:
    data[index] = value != 0 ? 1 : 0;
    return;
  }
}

} // extern "C"
