//===- GenerationTest.cpp - Prefill + decode equals one prefill -----------===//
//
// Deliverable 6 of the generation work (docs/compiler.md, "Generation"): for
// models compiled by kiln-compile with every stateful op (attention with
// each mask that decodes, GQA, the power normalizer and learned positions;
// causal linear attention; a Mamba block's conv1d and selective scan; a
// linear recurrence; odd-sizes: head dims, state and channel counts that
// no vector width divides), driving the runtime C API with three sequences
// of different lengths, a prefill of k tokens followed by n - k decode
// steps gives the logits of one prefill of n tokens, for k = 0, k = n - 1
// and k differing per sequence, also with the longest sequence filling the
// session's capacity; and one prefill gives the full-sequence entry's
// logits. Also the session API's errors: capacity, sequence numbers,
// missing reserve.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

using namespace kiln::runtime::test;

#ifdef KILN_GENERATION_MODELS_DIR

namespace {

/// Prompt lengths of the three sequences: past the example sliding
/// window's 32 entries and several times round the test models' rings.
const std::vector<int64_t> kLengths = {37, 20, 9};
constexpr int64_t kCapacity = 40;
/// Relative bound, against the larger of |expected| and 1.
constexpr double kTolerance = 1e-5;

struct Owned {
  kiln_tensor tensor{};
  Owned() = default;
  Owned(Owned &&other) noexcept : tensor(other.tensor) {
    other.tensor.data = nullptr;
  }
  Owned(const Owned &) = delete;
  ~Owned() { kiln_tensor_free(&tensor); }
};

class Generation : public testing::TestWithParam<const char *> {
protected:
  void SetUp() override {
    std::string dir = KILN_GENERATION_MODELS_DIR "/";
    std::string name = GetParam();
    ASSERT_EQ(message(kiln_model_open((dir + name + ".so").c_str(), &model)),
              "");
    const char *reason = nullptr;
    ASSERT_TRUE(kiln_model_can_generate(model, &reason)) << reason;
    ASSERT_EQ(message(kiln_weights_open(
                  (dir + name + ".safetensors").c_str(), &weights)),
              "");
    ASSERT_EQ(message(kiln_session_create(model, "cpu", &session)), "");
    ASSERT_EQ(message(kiln_session_bind_weights(session, weights)), "");
    ASSERT_EQ(message(kiln_session_set_threads(session, 2)), "");
    const kiln_tensor_info *input = kiln_model_tensor(model, KILN_ROLE_INPUT, 0);
    tokenType = input->dtype;
    // Deterministic ids inside the embedding.
    uint64_t state = 12345;
    for (int64_t length : kLengths) {
      std::vector<int64_t> ids;
      for (int64_t t = 0; t < length; ++t) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        ids.push_back(static_cast<int64_t>((state >> 33) %
                                           uint64_t(input->index_bound)));
      }
      prompts.push_back(ids);
    }
  }
  void TearDown() override {
    kiln_session_destroy(session);
    kiln_weights_close(weights);
    kiln_model_close(model);
  }

  /// Token ids [rows.size(), steps] from the prompts at `starts`.
  Owned tokens(const std::vector<int32_t> &rows,
               const std::vector<int64_t> &starts, int64_t steps) {
    Owned owned;
    owned.tensor.dtype = tokenType;
    owned.tensor.rank = 2;
    owned.tensor.shape[0] = static_cast<int64_t>(rows.size());
    owned.tensor.shape[1] = steps;
    EXPECT_EQ(message(kiln_tensor_alloc(&owned.tensor)), "");
    for (size_t r = 0; r < rows.size(); ++r)
      for (int64_t t = 0; t < steps; ++t)
        kiln_tensor_set(&owned.tensor, r * steps + t,
                        static_cast<double>(prompts[rows[r]][starts[r] + t]));
    return owned;
  }

  /// Allocated outputs for `ids`.
  std::vector<Owned> outputs(const kiln_tensor &ids,
                             std::vector<kiln_tensor> &views) {
    int32_t count = kiln_model_num_tensors(model, KILN_ROLE_OUTPUT);
    std::vector<Owned> owned(count);
    views.assign(count, kiln_tensor{});
    EXPECT_EQ(message(kiln_session_output_shapes(session, 1, &ids, count,
                                                 views.data(), nullptr)),
              "");
    for (int32_t i = 0; i < count; ++i) {
      owned[i].tensor = views[i];
      EXPECT_EQ(message(kiln_tensor_alloc(&owned[i].tensor)), "");
      views[i] = owned[i].tensor;
    }
    return owned;
  }

  /// Logits [steps, vocab] of row `row` of the first output, as doubles.
  static std::vector<double> rowOf(const kiln_tensor &logits, int64_t row) {
    int64_t size = logits.shape[1] * logits.shape[2];
    std::vector<double> values(size);
    for (int64_t i = 0; i < size; ++i)
      values[i] = kiln_tensor_get(&logits, row * size + i);
    return values;
  }

  /// Compares `actual` with `expected` from element `offset` on.
  static void expectClose(const std::vector<double> &actual,
                          const std::vector<double> &expected, size_t offset,
                          const std::string &what) {
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
      double bound = std::max(1.0, std::fabs(expected[offset + i]));
      double error = std::fabs(actual[i] - expected[offset + i]) / bound;
      if (!(error <= worst)) {
        worst = error;
        at = i;
      }
    }
    EXPECT_LE(worst, kTolerance)
        << what << ": element " << at << " is " << actual[at]
        << ", expected " << expected[offset + at];
  }

  /// The logits of one prefill of each whole prompt: [length, vocab] each.
  std::vector<std::vector<double>> wholePrefills() {
    std::vector<std::vector<double>> result;
    EXPECT_EQ(message(kiln_session_reserve(session, 3, kCapacity)), "");
    for (int32_t s = 0; s < 3; ++s) {
      Owned ids = tokens({s}, {0}, kLengths[s]);
      std::vector<kiln_tensor> views;
      std::vector<Owned> out = outputs(ids.tensor, views);
      EXPECT_EQ(message(kiln_session_prefill(session, 1, &s, &ids.tensor,
                                             (int32_t)views.size(),
                                             views.data())),
                "");
      result.push_back(rowOf(views[0], 0));
    }
    return result;
  }

  /// Prefills sequence s with `prefix[s]` tokens (one call per length) in a
  /// session of `capacity` tokens per sequence, then decodes the rest of
  /// every prompt in steps over the sequences that
  /// still have tokens, comparing every output with `expected`.
  void prefillThenDecode(const std::vector<int64_t> &prefix,
                         const std::vector<std::vector<double>> &expected,
                         int64_t capacity = kCapacity) {
    std::string what = "prefix " + std::to_string(prefix[0]) + "/" +
                       std::to_string(prefix[1]) + "/" +
                       std::to_string(prefix[2]);
    ASSERT_EQ(message(kiln_session_reserve(session, 3, capacity)), "");
    int64_t vocab = 0;
    for (int32_t s = 0; s < 3; ++s) {
      Owned ids = tokens({s}, {0}, prefix[s]);
      if (prefix[s] == 0) {
        ASSERT_EQ(message(kiln_session_prefill(session, 1, &s, &ids.tensor, 0,
                                               nullptr)),
                  "");
        continue;
      }
      std::vector<kiln_tensor> views;
      std::vector<Owned> out = outputs(ids.tensor, views);
      ASSERT_EQ(message(kiln_session_prefill(session, 1, &s, &ids.tensor,
                                             (int32_t)views.size(),
                                             views.data())),
                "");
      expectClose(rowOf(views[0], 0), expected[s], 0,
                  what + " prefill of sequence " + std::to_string(s));
      vocab = views[0].shape[2];
    }
    std::vector<int64_t> position = prefix;
    for (;;) {
      std::vector<int32_t> rows;
      std::vector<int64_t> starts;
      for (int32_t s = 0; s < 3; ++s)
        if (position[s] < kLengths[s]) {
          rows.push_back(s);
          starts.push_back(position[s]);
        }
      if (rows.empty())
        break;
      Owned ids = tokens(rows, starts, 1);
      std::vector<kiln_tensor> views;
      std::vector<Owned> out = outputs(ids.tensor, views);
      ASSERT_EQ(message(kiln_session_decode(session, (int32_t)rows.size(),
                                            rows.data(), &ids.tensor,
                                            (int32_t)views.size(),
                                            views.data())),
                "");
      vocab = views[0].shape[2];
      for (size_t r = 0; r < rows.size(); ++r) {
        int32_t s = rows[r];
        expectClose(rowOf(views[0], r), expected[s], position[s] * vocab,
                    what + " decode of sequence " + std::to_string(s) +
                        " at position " + std::to_string(position[s]));
        EXPECT_EQ(kiln_session_sequence_length(session, s), position[s] + 1);
        ++position[s];
      }
    }
  }

  kiln_model *model = nullptr;
  kiln_weights *weights = nullptr;
  kiln_session *session = nullptr;
  kiln_dtype tokenType = KILN_I32;
  std::vector<std::vector<int64_t>> prompts;
};

TEST_P(Generation, PrefillMatchesTheFullSequenceEntry) {
  std::vector<std::vector<double>> expected = wholePrefills();
  for (int32_t s = 0; s < 3; ++s) {
    Owned ids = tokens({s}, {0}, kLengths[s]);
    std::vector<kiln_tensor> views;
    std::vector<Owned> out = outputs(ids.tensor, views);
    ASSERT_EQ(message(kiln_session_run(session, 1, &ids.tensor,
                                       (int32_t)views.size(), views.data())),
              "");
    expectClose(rowOf(views[0], 0), expected[s], 0,
                "full-sequence entry of sequence " + std::to_string(s));
  }
}

TEST_P(Generation, DecodeFromEmpty) {
  prefillThenDecode({0, 0, 0}, wholePrefills());
}

TEST_P(Generation, DecodeTheLastToken) {
  prefillThenDecode({kLengths[0] - 1, kLengths[1] - 1, kLengths[2] - 1},
                    wholePrefills());
}

TEST_P(Generation, DecodeFromPrefixesOfDifferentLengths) {
  prefillThenDecode({11, 1, 6}, wholePrefills());
}

TEST_P(Generation, DecodeUntilTheCacheIsFull) {
  // The longest prompt fills its sequence's cache: the last step writes
  // the last entry and attends over all of them.
  prefillThenDecode({3, 0, 8}, wholePrefills(), kLengths[0]);
}

TEST_P(Generation, ResetSequenceStartsAgain) {
  std::vector<std::vector<double>> expected = wholePrefills();
  // Sequence 2 holds its whole prompt; reset, it decodes like a new one.
  ASSERT_EQ(message(kiln_session_reset_sequence(session, 2)), "");
  EXPECT_EQ(kiln_session_sequence_length(session, 2), 0);
  int32_t s = 2;
  Owned ids = tokens({s}, {0}, 1);
  std::vector<kiln_tensor> views;
  std::vector<Owned> out = outputs(ids.tensor, views);
  ASSERT_EQ(message(kiln_session_decode(session, 1, &s, &ids.tensor,
                                        (int32_t)views.size(), views.data())),
            "");
  expectClose(rowOf(views[0], 0), expected[2], 0, "decode after reset");
}

TEST_P(Generation, Errors) {
  int32_t s = 0;
  Owned one = tokens({0}, {0}, 1);
  std::vector<kiln_tensor> views;
  std::vector<Owned> out = outputs(one.tensor, views);
  auto decode = [&](int32_t count, const int32_t *sequences,
                    const kiln_tensor &ids) {
    return message(kiln_session_decode(session, count, sequences, &ids,
                                       (int32_t)views.size(), views.data()));
  };
  EXPECT_NE(decode(1, &s, one.tensor).find("call kiln_session_reserve first"),
            std::string::npos);
  ASSERT_EQ(message(kiln_session_reserve(session, 2, 3)), "");
  int32_t outside = 2;
  EXPECT_NE(decode(1, &outside, one.tensor)
                .find("sequence 2 is outside the session's 2 sequences"),
            std::string::npos);
  Owned two = tokens({0, 1}, {0, 0}, 1);
  int32_t twice[] = {1, 1};
  EXPECT_NE(message(kiln_session_decode(session, 2, twice, &two.tensor, 0,
                                        nullptr))
                .find("sequence 1 appears twice"),
            std::string::npos);
  Owned four = tokens({0}, {0}, 4);
  EXPECT_NE(message(kiln_session_prefill(session, 1, &s, &four.tensor, 0,
                                         nullptr))
                .find("exceeds the session's capacity of 3 tokens"),
            std::string::npos);
  for (int step = 0; step < 3; ++step)
    ASSERT_EQ(decode(1, &s, one.tensor), "");
  EXPECT_NE(decode(1, &s, one.tensor)
                .find("sequence 0 is full: it holds 3 tokens"),
            std::string::npos);
  EXPECT_EQ(kiln_session_sequence_length(session, 0), 3);
  Owned pair = tokens({0}, {0}, 2);
  EXPECT_NE(decode(1, &s, pair.tensor).find("one token per sequence"),
            std::string::npos);
  // The step may write its outputs while it reads the tokens.
  ASSERT_EQ(message(kiln_session_reset_sequence(session, 0)), "");
  std::vector<kiln_tensor> aliased = views;
  aliased[0].data = one.tensor.data;
  EXPECT_NE(message(kiln_session_decode(session, 1, &s, &one.tensor,
                                        (int32_t)aliased.size(),
                                        aliased.data()))
                .find("its buffer overlaps that of the tokens; outputs may "
                      "not share memory with inputs"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Models, Generation,
    testing::Values("causal-gqa", "sliding-window", "block-causal", "power",
                    "softcap", "learned-positions", "linear-attention",
                    "linear-recurrence", "long-conv", "odd-sizes", "gpt2-tiny",
                    "llama-tiny", "mamba-tiny", "sliding-window-example",
                    "power-attention", "gemma2-tiny"),
    [](const testing::TestParamInfo<const char *> &info) {
      std::string name = info.param;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// A model that reads a static number of sequences (a slice [0, 2) of the
// batch): prefill and decode check the signature's dim_checks against each
// step's sequence count, as a call of the full-sequence entry checks its
// dims, and leave the session as it was when they refuse.
using GenerationDimChecks = Generation;

TEST_P(GenerationDimChecks, StepsOfTooFewSequencesAreRefused) {
  ASSERT_EQ(message(kiln_session_reserve(session, 2, 4)), "");
  const std::string refusal = "'batch' is 1 in this step but /nodes/1 (slice "
                              "[0, 2) of axis 0) needs at least 2";
  int32_t both[] = {0, 1};
  Owned one = tokens({0}, {0}, 2);
  EXPECT_NE(
      message(kiln_session_prefill(session, 1, both, &one.tensor, 0, nullptr))
          .find(refusal),
      std::string::npos);
  EXPECT_EQ(kiln_session_sequence_length(session, 0), 0);
  Owned two = tokens({0, 1}, {0, 0}, 2);
  std::vector<kiln_tensor> views;
  std::vector<Owned> out = outputs(two.tensor, views);
  ASSERT_EQ(message(kiln_session_prefill(session, 2, both, &two.tensor,
                                         (int32_t)views.size(), views.data())),
            "");
  Owned next = tokens({0}, {2}, 1);
  EXPECT_NE(
      message(kiln_session_decode(session, 1, both, &next.tensor, 0, nullptr))
          .find(refusal),
      std::string::npos);
  EXPECT_EQ(kiln_session_sequence_length(session, 0), 2);
  Owned nextTwo = tokens({0, 1}, {2, 2}, 1);
  std::vector<kiln_tensor> stepViews;
  std::vector<Owned> stepOut = outputs(nextTwo.tensor, stepViews);
  ASSERT_EQ(
      message(kiln_session_decode(session, 2, both, &nextTwo.tensor,
                                  (int32_t)stepViews.size(), stepViews.data())),
      "");
  EXPECT_EQ(kiln_session_sequence_length(session, 1), 3);
}

INSTANTIATE_TEST_SUITE_P(Models, GenerationDimChecks,
                         testing::Values("batch-slice"),
                         [](const testing::TestParamInfo<const char *> &info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

} // namespace

#endif // KILN_GENERATION_MODELS_DIR
