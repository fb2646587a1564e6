//===- NpyTest.cpp - .npy reading, writing and header validation ----------===//
//
// Round trips every Kiln dtype, reads hand-written v1/v2/v3 files as NumPy
// writes them, and checks each header rule with a broken file.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

using namespace kiln::runtime::test;

namespace {

/// A .npy file with the given version, header dict text and data bytes; the
/// header is padded to 64 bytes and ends in a newline unless `raw`.
std::string npyBytes(int version, std::string dict, const std::string &data,
                     bool raw = false) {
  size_t prefix = version == 1 ? 10 : 12;
  if (!raw) {
    size_t total = prefix + dict.size() + 1;
    dict.append((64 - total % 64) % 64, ' ');
    dict += '\n';
  }
  std::string bytes = "\x93NUMPY";
  bytes.push_back(static_cast<char>(version));
  bytes.push_back(0);
  for (size_t i = 0; i < prefix - 8; ++i)
    bytes.push_back(static_cast<char>(dict.size() >> (8 * i)));
  return bytes + dict + data;
}

class NpyTest : public ::testing::Test {
protected:
  /// Reads `bytes` as a .npy file; returns the error message ("" = ok).
  std::string read(const std::string &bytes, kiln_tensor &out) {
    std::string path = dir.path("t.npy");
    writeFile(path, bytes);
    return message(kiln_npy_read(path.c_str(), &out));
  }
  std::string readError(const std::string &bytes) {
    kiln_tensor tensor = {};
    std::string text = read(bytes, tensor);
    kiln_tensor_free(&tensor);
    return text;
  }

  TempDir dir;
};

TEST_F(NpyTest, RoundTripsEveryDType) {
  const kiln_dtype dtypes[] = {KILN_F32, KILN_F16, KILN_BF16,
                               KILN_I32, KILN_I64, KILN_BOOL};
  for (kiln_dtype dtype : dtypes) {
    kiln_tensor tensor = {nullptr, dtype, 3, {2, 1, 3}};
    ASSERT_EQ(message(kiln_tensor_alloc(&tensor)), "");
    auto *bytes = static_cast<unsigned char *>(tensor.data);
    for (int64_t i = 0; i < kiln_tensor_num_bytes(&tensor); ++i)
      bytes[i] = static_cast<unsigned char>(i * 7 + 1);
    std::string path = dir.path(std::string(kiln_dtype_name(dtype)) + ".npy");
    ASSERT_EQ(message(kiln_npy_write(path.c_str(), &tensor)), "");
    kiln_tensor back = {};
    ASSERT_EQ(message(kiln_npy_read(path.c_str(), &back)), "");
    EXPECT_EQ(back.dtype, dtype);
    ASSERT_EQ(back.rank, 3);
    EXPECT_EQ(back.shape[2], 3);
    EXPECT_EQ(
        std::memcmp(back.data, tensor.data, kiln_tensor_num_bytes(&tensor)), 0);
    kiln_tensor_free(&back);
    kiln_tensor_free(&tensor);
  }
}

TEST_F(NpyTest, WritesNumPyLayout) {
  float values[3] = {1, 2, 3};
  kiln_tensor tensor = {values, KILN_F32, 1, {3}};
  std::string path = dir.path("v.npy");
  ASSERT_EQ(message(kiln_npy_write(path.c_str(), &tensor)), "");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  // NumPy pads the header with spaces so that the data starts at a multiple
  // of 64 bytes.
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  ASSERT_EQ(bytes.size(), 128u + 12u);
  EXPECT_EQ(bytes.substr(10, dict.size()), dict);
  EXPECT_EQ(bytes.substr(10 + dict.size(), 128 - 11 - dict.size()),
            std::string(128 - 11 - dict.size(), ' '));
  EXPECT_EQ(bytes[127], '\n');
}

TEST_F(NpyTest, ReadsVersionsAndScalars) {
  std::string data(8, '\x01');
  kiln_tensor tensor = {};
  for (int version : {1, 2, 3}) {
    ASSERT_EQ(read(npyBytes(version,
                            "{'descr': '<i8', 'fortran_order': False, "
                            "'shape': (), }",
                            data),
                   tensor),
              "");
    EXPECT_EQ(tensor.rank, 0);
    EXPECT_EQ(tensor.dtype, KILN_I64);
    kiln_tensor_free(&tensor);
  }
  // Keys in any order, double quotes, no trailing comma.
  ASSERT_EQ(read(npyBytes(1,
                          "{\"shape\": (2, 1), \"fortran_order\": False, "
                          "\"descr\": \"<i4\"}",
                          data),
                 tensor),
            "");
  EXPECT_EQ(tensor.shape[0], 2);
  kiln_tensor_free(&tensor);
}

TEST_F(NpyTest, RejectsBadPreamble) {
  EXPECT_NE(readError("hello world, not npy").find("no \\x93NUMPY magic"),
            std::string::npos);
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
  std::string bytes = npyBytes(1, dict, "abcd");
  bytes[6] = 4;
  EXPECT_NE(readError(bytes).find("unsupported .npy format version 4.0"),
            std::string::npos);
  bytes = npyBytes(1, dict, "abcd");
  bytes[9] = 0x7f;
  EXPECT_NE(readError(bytes).find("runs past the end of the file"),
            std::string::npos);
}

TEST_F(NpyTest, RejectsBadHeaders) {
  auto dict = [](const std::string &descr, const std::string &order,
                 const std::string &shape) {
    return "{'descr': '" + descr + "', 'fortran_order': " + order +
           ", 'shape': " + shape + ", }";
  };
  EXPECT_NE(readError(npyBytes(1, dict("<f8", "False", "(1,)"), "12345678"))
                .find("unsupported dtype '<f8'"),
            std::string::npos);
  EXPECT_NE(readError(npyBytes(1, dict(">f4", "False", "(1,)"), "1234"))
                .find("big-endian data is not supported"),
            std::string::npos);
  EXPECT_NE(readError(npyBytes(1, dict("<f4", "True", "(1,)"), "1234"))
                .find("Fortran-order arrays are not supported"),
            std::string::npos);
  EXPECT_NE(readError(npyBytes(1, dict("<f4", "False", "(1, -2)"), "1234"))
                .find("non-negative integers"),
            std::string::npos);
  EXPECT_NE(readError(npyBytes(1, dict("<f4", "False", "(1,"), "1234"))
                .find("invalid .npy header"),
            std::string::npos);
  EXPECT_NE(readError(npyBytes(1, "{'descr': '<f4', 'shape': (1,)}", "1234"))
                .find("needs the keys"),
            std::string::npos);
  EXPECT_NE(readError(npyBytes(1, dict("<f4", "False", "(1,)"), "1234", true))
                .find("does not end with a newline"),
            std::string::npos);
}

TEST_F(NpyTest, RejectsWrongDataSize) {
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_NE(readError(npyBytes(1, dict, std::string(20, 'x')))
                .find("file has 20 data bytes but f32 [2, 3] needs 24 "
                      "(truncated file)"),
            std::string::npos);
  EXPECT_NE(readError(npyBytes(1, dict, std::string(28, 'x')))
                .find("file has 28 data bytes"),
            std::string::npos);
}

} // namespace
