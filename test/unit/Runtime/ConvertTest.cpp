//===- ConvertTest.cpp - Element access across dtypes ---------------------===//
//
// f16 and bf16 encodings at the edges: exact values, ties to even,
// subnormals, overflow to infinity; integer truncation and saturation.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace {

uint16_t bitsOf(kiln_dtype dtype, double value) {
  uint16_t bits = 0;
  kiln_tensor tensor = {&bits, dtype, 0, {}};
  kiln_tensor_set(&tensor, 0, value);
  return bits;
}

double valueOf(kiln_dtype dtype, uint16_t bits) {
  kiln_tensor tensor = {&bits, dtype, 0, {}};
  return kiln_tensor_get(&tensor, 0);
}

TEST(ConvertTest, EncodesHalf) {
  EXPECT_EQ(bitsOf(KILN_F16, 1.0), 0x3C00);
  EXPECT_EQ(bitsOf(KILN_F16, -2.0), 0xC000);
  EXPECT_EQ(bitsOf(KILN_F16, 65504.0), 0x7BFF);
  EXPECT_EQ(bitsOf(KILN_F16, 65519.0), 0x7BFF);
  EXPECT_EQ(bitsOf(KILN_F16, 65520.0), 0x7C00);
  EXPECT_EQ(bitsOf(KILN_F16, std::ldexp(1.0, -24)), 0x0001);
  EXPECT_EQ(bitsOf(KILN_F16, std::ldexp(1.0, -25)), 0x0000); // tie to even
  EXPECT_EQ(bitsOf(KILN_F16, 1.0 + std::ldexp(1.0, -11)), 0x3C00);
  EXPECT_EQ(bitsOf(KILN_F16, 1.0 + 3 * std::ldexp(1.0, -11)), 0x3C02);
  EXPECT_EQ(bitsOf(KILN_F16, -0.0), 0x8000);
  EXPECT_TRUE(std::isnan(valueOf(KILN_F16, bitsOf(KILN_F16, NAN))));
  EXPECT_EQ(valueOf(KILN_F16, 0x3555), 0.333251953125);
  EXPECT_EQ(valueOf(KILN_F16, 0x0001), std::ldexp(1.0, -24));
  EXPECT_EQ(valueOf(KILN_F16, 0xFC00), -INFINITY);
}

TEST(ConvertTest, EncodesBFloat16) {
  EXPECT_EQ(bitsOf(KILN_BF16, 1.0), 0x3F80);
  EXPECT_EQ(bitsOf(KILN_BF16, 3.140625), 0x4049);
  EXPECT_EQ(bitsOf(KILN_BF16, 1.0 + std::ldexp(1.0, -8)), 0x3F80);
  EXPECT_EQ(bitsOf(KILN_BF16, 1e39), 0x7F80);
  EXPECT_EQ(valueOf(KILN_BF16, 0xC040), -3.0);
}

TEST(ConvertTest, TruncatesAndSaturatesIntegers) {
  int32_t value = 0;
  kiln_tensor tensor = {&value, KILN_I32, 0, {}};
  kiln_tensor_set(&tensor, 0, -2.7);
  EXPECT_EQ(value, -2);
  kiln_tensor_set(&tensor, 0, 1e12);
  EXPECT_EQ(value, INT32_MAX);
  kiln_tensor_set(&tensor, 0, NAN);
  EXPECT_EQ(value, 0);
  int64_t wide = 0;
  kiln_tensor longTensor = {&wide, KILN_I64, 0, {}};
  kiln_tensor_set(&longTensor, 0, -1e30);
  EXPECT_EQ(wide, INT64_MIN);
  EXPECT_EQ(kiln_tensor_get(&tensor, 0), 0.0);
}

} // namespace
