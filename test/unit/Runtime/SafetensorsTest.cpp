//===- SafetensorsTest.cpp - Safetensors reading, writing, validation -----===//
//
// Builds broken safetensors files byte by byte and checks that each rule of
// the format is enforced with a message naming the tensor and the rule.
//
//===----------------------------------------------------------------------===//

#include "runtime/Safetensors.h"

#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <numeric>
#include <unistd.h>
#include <vector>

using namespace kiln::runtime;
using namespace kiln::runtime::test;

namespace {

class SafetensorsTest : public ::testing::Test {
protected:
  /// Writes `bytes` and returns the message of kiln_weights_open ("" = ok).
  std::string openBytes(const std::string &bytes) {
    std::string path = dir.path("w.safetensors");
    writeFile(path, bytes);
    kiln_weights *weights = nullptr;
    std::string text = message(kiln_weights_open(path.c_str(), &weights));
    kiln_weights_close(weights);
    return text;
  }
  std::string openHeader(const std::string &header, size_t dataBytes) {
    return openBytes(safetensorsBytes(header, dataBytes));
  }

  TempDir dir;
};

TEST_F(SafetensorsTest, WriteThenReadRoundTrips) {
  float a[6] = {1, 2, 3, 4, 5, 6};
  int64_t b[2] = {7, -8};
  kiln_tensor tensors[2] = {{a, KILN_F32, 2, {2, 3}}, {b, KILN_I64, 1, {2}}};
  const char *names[2] = {"a", "b"};
  std::string path = dir.path("rt.safetensors");
  ASSERT_EQ(message(kiln_safetensors_write(path.c_str(), 2, names, tensors)),
            "");

  kiln_weights *weights = nullptr;
  ASSERT_EQ(message(kiln_weights_open(path.c_str(), &weights)), "");
  ASSERT_EQ(kiln_weights_count(weights), 2);
  EXPECT_STREQ(kiln_weights_name(weights, 0), "a");
  EXPECT_STREQ(kiln_weights_dtype_string(weights, 1), "I64");
  EXPECT_EQ(kiln_weights_find(weights, "b"), 1);
  EXPECT_EQ(kiln_weights_find(weights, "c"), -1);
  kiln_tensor read;
  ASSERT_EQ(message(kiln_weights_tensor(weights, 0, &read)), "");
  EXPECT_EQ(read.dtype, KILN_F32);
  EXPECT_EQ(read.rank, 2);
  EXPECT_EQ(read.shape[1], 3);
  EXPECT_EQ(std::memcmp(read.data, a, sizeof(a)), 0);
  ASSERT_EQ(message(kiln_weights_tensor(weights, 1, &read)), "");
  EXPECT_EQ(std::memcmp(read.data, b, sizeof(b)), 0);
  kiln_weights_close(weights);
}

TEST_F(SafetensorsTest, AcceptsMetadataAndEmptyFiles) {
  std::string header = R"({"__metadata__": {"format": "pt"},
    "w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})";
  std::string path = dir.path("m.safetensors");
  writeFile(path, safetensorsBytes(header, 4));
  kiln_weights *weights = nullptr;
  ASSERT_EQ(message(kiln_weights_open(path.c_str(), &weights)), "");
  EXPECT_STREQ(kiln_weights_metadata(weights, "format"), "pt");
  EXPECT_EQ(kiln_weights_metadata(weights, "other"), nullptr);
  EXPECT_EQ(kiln_weights_count(weights), 1);
  kiln_weights_close(weights);
  EXPECT_EQ(openHeader("{}", 0), "");
}

TEST_F(SafetensorsTest, RejectsShortFile) {
  EXPECT_NE(openBytes("abc").find("fewer than the 8-byte header length"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsOversizedHeaderLength) {
  std::string bytes(16, '\0');
  bytes[5] = 1; // 2^40
  EXPECT_NE(openBytes(bytes).find("header length 1099511627776 exceeds the "
                                  "limit of 104857600 bytes"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsHeaderBeyondFile) {
  std::string bytes = safetensorsBytes("{}", 0);
  bytes[0] = 100;
  EXPECT_NE(openBytes(bytes).find(
                "header length 100 runs past the end of the file (10 bytes)"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsBadJSON) {
  EXPECT_NE(openHeader("{\"a\": ", 0).find("header is not valid JSON"),
            std::string::npos);
  EXPECT_NE(openHeader("{\"a\": 1e999}", 0).find("header is not valid JSON"),
            std::string::npos);
  EXPECT_NE(openHeader("[1, 2]", 0).find("header must be a JSON object"),
            std::string::npos);
  EXPECT_NE(openHeader(R"({"a": {"dtype": "F32", "shape": [], "data_offsets":
                          [0, 4]}, "a": 1})",
                       4)
                .find("duplicate key 'a'"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsBadMetadata) {
  EXPECT_NE(openHeader(R"({"__metadata__": {"n": 3}})", 0)
                .find("__metadata__ value 'n' must be a string"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsMalformedEntries) {
  EXPECT_NE(openHeader(R"({"w": {"dtype": "Q7", "shape": [1],
                          "data_offsets": [0, 1]}})",
                       1)
                .find("tensor 'w': unknown dtype 'Q7'"),
            std::string::npos);
  EXPECT_NE(openHeader(R"({"w": {"dtype": "F32", "shape": [-1],
                          "data_offsets": [0, 4]}})",
                       4)
                .find("tensor 'w': shape entries must be non-negative"),
            std::string::npos);
  EXPECT_NE(openHeader(R"({"w": {"dtype": "F32", "shape": [1]}})", 4)
                .find("tensor 'w': data_offsets must be [begin, end]"),
            std::string::npos);
  EXPECT_NE(openHeader(R"({"w": {"dtype": "F32", "shape": [1],
                          "data_offsets": [4, 0]}})",
                       4)
                .find("tensor 'w': data_offsets [4, 0] has begin > end"),
            std::string::npos);
  EXPECT_NE(openHeader(R"({"w": {"dtype": "F32", "shape": [1], "x": 1,
                          "data_offsets": [0, 4]}})",
                       4)
                .find("tensor 'w': unknown key 'x'"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsWrongByteSize) {
  EXPECT_NE(openHeader(R"({"w": {"dtype": "F32", "shape": [2, 3],
                          "data_offsets": [0, 20]}})",
                       20)
                .find("tensor 'w': data_offsets [0, 20] hold 20 bytes but "
                      "F32 [2, 3] needs 24"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsTruncatedFile) {
  EXPECT_NE(openHeader(R"({"w": {"dtype": "F32", "shape": [4],
                          "data_offsets": [0, 16]}})",
                       10)
                .find("tensor 'w': data_offsets [0, 16] run past the end of "
                      "the data section (10 bytes); the file may be truncated"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsOverlap) {
  EXPECT_NE(openHeader(R"({"a": {"dtype": "F32", "shape": [2],
                          "data_offsets": [0, 8]},
                          "b": {"dtype": "F32", "shape": [2],
                          "data_offsets": [4, 12]}})",
                       12)
                .find("tensor 'b': data_offsets [4, 12] overlap tensor 'a' "
                      "[0, 8]"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsGapAndTrailingData) {
  EXPECT_NE(openHeader(R"({"a": {"dtype": "F32", "shape": [1],
                          "data_offsets": [0, 4]},
                          "b": {"dtype": "F32", "shape": [1],
                          "data_offsets": [8, 12]}})",
                       12)
                .find("tensor 'b': data begins at offset 8 but tensor 'a' "
                      "ends at 4"),
            std::string::npos);
  EXPECT_NE(openHeader(R"({"a": {"dtype": "F32", "shape": [1],
                          "data_offsets": [4, 8]}})",
                       8)
                .find("the data section starts at 0"),
            std::string::npos);
  EXPECT_NE(openHeader(R"({"a": {"dtype": "F32", "shape": [1],
                          "data_offsets": [0, 4]}})",
                       6)
                .find("data section has 2 bytes after the last tensor 'a'"),
            std::string::npos);
}

TEST_F(SafetensorsTest, ReportsUnsupportedDTypeOnAccess) {
  std::string path = dir.path("f64.safetensors");
  writeFile(path, safetensorsBytes(R"({"d": {"dtype": "F64", "shape": [1],
                                      "data_offsets": [0, 8]}})",
                                   8));
  kiln_weights *weights = nullptr;
  ASSERT_EQ(message(kiln_weights_open(path.c_str(), &weights)), "");
  kiln_tensor tensor;
  EXPECT_NE(message(kiln_weights_tensor(weights, 0, &tensor))
                .find("tensor 'd': dtype F64 is not supported"),
            std::string::npos);
  kiln_weights_close(weights);
}

TEST_F(SafetensorsTest, ReportsMissingFile) {
  kiln_weights *weights = nullptr;
  kiln_status *status =
      kiln_weights_open(dir.path("none.safetensors").c_str(), &weights);
  EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_IO);
  EXPECT_NE(message(status).find("No such file"), std::string::npos);
}

/// Resident bytes of the mapping that contains `address`, from
/// /proc/self/smaps; -1 if not found.
long residentBytes(const void *address) {
  std::ifstream smaps("/proc/self/smaps");
  auto target = reinterpret_cast<uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2) {
      inside = begin <= target && target < end;
      continue;
    }
    long kib = 0;
    if (inside && std::sscanf(line.c_str(), "Rss: %ld kB", &kib) == 1)
      return kib * 1024;
  }
  return -1;
}

TEST_F(SafetensorsTest, ReleasedPagesReadBackIntact) {
  std::vector<float> values(1 << 18); // 1 MiB
  std::iota(values.begin(), values.end(), 0.0f);
  kiln_tensor tensor = {values.data(), KILN_F32, 1,
                        {static_cast<int64_t>(values.size())}};
  const char *name = "w";
  std::string path = dir.path("big.safetensors");
  ASSERT_EQ(message(kiln_safetensors_write(path.c_str(), 1, &name, &tensor)),
            "");
  std::shared_ptr<SafetensorsFile> file;
  ASSERT_EQ(message(openSafetensors(path, file)), "");
  kiln_tensor read;
  ASSERT_EQ(message(file->tensor(0, read)), "");
  size_t bytes = values.size() * sizeof(float);
  ASSERT_EQ(std::memcmp(read.data, values.data(), bytes), 0);
  EXPECT_GE(residentBytes(read.data), static_cast<long>(bytes));

  file->releasePages(read.data, bytes);
  // Only the pages the tensor shares with the header may stay.
  EXPECT_LE(residentBytes(read.data), 2 * sysconf(_SC_PAGESIZE));
  EXPECT_EQ(std::memcmp(read.data, values.data(), bytes), 0);
  // Ranges outside the mapping are left alone.
  file->releasePages(values.data(), bytes);
  file->releasePages(nullptr, 0);
  EXPECT_EQ(values[12345], 12345.0f);
}

} // namespace
