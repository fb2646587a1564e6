//===- RunGenerate.cpp - kiln-run --generate ------------------------------===//
//
// Implements generate() of RunGenerate.h on the runtime C API: one
// kiln_session_prefill of every prompt row, then kiln_session_decode steps
// of the whole batch, each feeding back the argmax of the last logits.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln-run/RunGenerate.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <vector>

namespace kiln::run {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// Output buffers of the model for `tokens` ([batch, seq] ids).
bool allocOutputs(kiln_model *model, kiln_session *session,
                  const kiln_tensor &tokens, std::vector<rt::OwnedTensor> &owned,
                  std::vector<kiln_tensor> &views, std::string &error) {
  int32_t count = kiln_model_num_tensors(model, KILN_ROLE_OUTPUT);
  owned = std::vector<rt::OwnedTensor>(count);
  views.assign(count, kiln_tensor{});
  if (rt::failed(kiln_session_output_shapes(session, 1, &tokens, count,
                                            views.data(), nullptr),
                 error))
    return false;
  for (int32_t i = 0; i < count; ++i) {
    owned[i].tensor = views[i];
    if (rt::failed(kiln_tensor_alloc(&owned[i].tensor), error))
      return false;
    views[i] = owned[i].tensor;
  }
  return true;
}

/// The first index of the largest of `count` floats. The maximum is taken
/// in independent lanes, which the compiler turns into vector code (4-5×
/// faster than std::max_element on a 50k vocabulary), then found again.
int64_t argmaxF32(const float *values, int64_t count) {
  constexpr int64_t kLanes = 16;
  if (count < kLanes)
    return std::max_element(values, values + count) - values;
  float lanes[kLanes];
  std::copy(values, values + kLanes, lanes);
  int64_t i = kLanes;
  for (; i + kLanes <= count; i += kLanes)
    for (int64_t j = 0; j < kLanes; ++j)
      lanes[j] = values[i + j] > lanes[j] ? values[i + j] : lanes[j];
  float largest = *std::max_element(lanes, lanes + kLanes);
  for (; i < count; ++i)
    largest = values[i] > largest ? values[i] : largest;
  // NaN logits can leave `largest` unmatched: token 0 then, as before.
  int64_t at = std::find(values, values + count, largest) - values;
  return at < count ? at : 0;
}

/// The greedy choice (lowest index among ties) at position `step` of row
/// `row` of logits [batch, seq, vocab].
int64_t argmaxAt(const kiln_tensor &logits, int64_t row, int64_t step) {
  int64_t vocab = logits.shape[2];
  int64_t base = (row * logits.shape[1] + step) * vocab;
  // f32 logits are read in place: a decode step of batch 8 and a 50k
  // vocabulary is 400k values, too many for a kiln_tensor_get each.
  if (logits.dtype == KILN_F32)
    return argmaxF32(static_cast<const float *>(logits.data) + base, vocab);
  int64_t best = 0;
  double bestValue = kiln_tensor_get(&logits, base);
  for (int64_t v = 1; v < vocab; ++v) {
    double value = kiln_tensor_get(&logits, base + v);
    if (value > bestValue) {
      best = v;
      bestValue = value;
    }
  }
  return best;
}

/// Checks that the first output is float logits [batch, seq, vocab] over
/// the token input's batch and seq.
bool checkLogits(const kiln_model *model, std::string &error) {
  const kiln_tensor_info *tokens = kiln_model_tensor(model, KILN_ROLE_INPUT, 0);
  const kiln_tensor_info *logits =
      kiln_model_tensor(model, KILN_ROLE_OUTPUT, 0);
  bool isFloat = logits->dtype == KILN_F32 || logits->dtype == KILN_F16 ||
                 logits->dtype == KILN_BF16;
  if (isFloat && logits->rank == 3 && logits->symbol[0] == tokens->symbol[0] &&
      logits->symbol[1] == tokens->symbol[1] && logits->shape[2] > 0)
    return true;
  error = std::string("--generate needs the model's first output to be float "
                      "logits [batch, seq, vocab]; output '") +
          logits->name + "' is not";
  return false;
}

} // namespace

bool checkCanGenerate(const kiln_model *model, std::string &error) {
  const char *reason = "";
  if (!kiln_model_can_generate(model, &reason)) {
    error = std::string("model '") + kiln_model_name(model) +
            "' cannot generate: " +
            (*reason ? reason : "it was compiled without prefill/decode "
                                "entries; compile it again");
    return false;
  }
  return checkLogits(model, error);
}

bool generate(kiln_model *model, kiln_session *session,
              const kiln_tensor &prompt, const GenerateOptions &options,
              rt::OwnedTensor &ids, std::ostream &out, std::string &error) {
  if (!checkCanGenerate(model, error))
    return false;
  int64_t batch = prompt.shape[0], length = prompt.shape[1];
  if (batch < 1 || length < 1) {
    error = "the prompt is [" + std::to_string(batch) + ", " +
            std::to_string(length) +
            "]; --generate needs at least one row of one token";
    return false;
  }
  if (batch > INT32_MAX) {
    error = "the prompt has too many rows";
    return false;
  }
  int32_t rows = static_cast<int32_t>(batch);
  if (rt::failed(kiln_session_reserve(session, rows, length + options.tokens),
                 error))
    return false;

  std::vector<rt::OwnedTensor> prefillOwned, stepOwned;
  std::vector<kiln_tensor> prefillOutputs, stepOutputs;
  if (!allocOutputs(model, session, prompt, prefillOwned, prefillOutputs,
                    error))
    return false;
  rt::OwnedTensor step;
  step.tensor.dtype = prompt.dtype;
  step.tensor.rank = 2;
  step.tensor.shape[0] = batch;
  step.tensor.shape[1] = 1;
  if (rt::failed(kiln_tensor_alloc(&step.tensor), error) ||
      !allocOutputs(model, session, step.tensor, stepOwned, stepOutputs, error))
    return false;
  ids.tensor.dtype = KILN_I64;
  ids.tensor.rank = 2;
  ids.tensor.shape[0] = batch;
  ids.tensor.shape[1] = options.tokens;
  if (rt::failed(kiln_tensor_alloc(&ids.tensor), error))
    return false;
  std::vector<int32_t> sequences(rows);
  std::iota(sequences.begin(), sequences.end(), 0);
  auto *generated = static_cast<int64_t *>(ids.tensor.data);

  // One generation: prefill, then tokens - 1 steps (the first token comes
  // from the prompt's last logits).
  auto once = [&](double &prefillSeconds, double &decodeSeconds) {
    auto start = Clock::now();
    if (rt::failed(kiln_session_prefill(session, rows, sequences.data(),
                                        &prompt,
                                        static_cast<int32_t>(
                                            prefillOutputs.size()),
                                        prefillOutputs.data()),
                   error))
      return false;
    prefillSeconds = secondsSince(start);
    for (int64_t row = 0; row < batch; ++row)
      generated[row * options.tokens] =
          argmaxAt(prefillOutputs[0], row, length - 1);
    start = Clock::now();
    for (int i = 1; i < options.tokens; ++i) {
      for (int64_t row = 0; row < batch; ++row)
        kiln_tensor_set(&step.tensor, row,
                        static_cast<double>(
                            generated[row * options.tokens + i - 1]));
      if (rt::failed(kiln_session_decode(
                         session, rows, sequences.data(), &step.tensor,
                         static_cast<int32_t>(stepOutputs.size()),
                         stepOutputs.data()),
                     error))
        return false;
      for (int64_t row = 0; row < batch; ++row)
        generated[row * options.tokens + i] = argmaxAt(stepOutputs[0], row, 0);
    }
    decodeSeconds = secondsSince(start);
    return true;
  };

  double prefillSeconds = 0, decodeSeconds = 0;
  if (!once(prefillSeconds, decodeSeconds))
    return false;
  if (!options.quiet)
    for (int64_t row = 0; row < batch; ++row) {
      out << "tokens[" << row << "]:";
      for (int i = 0; i < options.tokens; ++i)
        out << " " << generated[row * options.tokens + i];
      out << "\n";
    }
  if (options.bench > 0) {
    std::vector<double> prefillTimes, decodeTimes;
    for (int run = 0; run < options.bench; ++run) {
      if (!once(prefillSeconds, decodeSeconds))
        return false;
      prefillTimes.push_back(prefillSeconds);
      decodeTimes.push_back(decodeSeconds);
    }
    double prefill = median(prefillTimes), decode = median(decodeTimes);
    char line[256];
    std::snprintf(line, sizeof(line),
                  "prefill: %lld tokens in %.4g ms, %.4g tokens/s\n",
                  static_cast<long long>(batch * length), prefill * 1e3,
                  batch * length / prefill);
    out << line;
    int64_t steps = options.tokens - 1;
    if (steps > 0) {
      std::snprintf(line, sizeof(line),
                    "decode: %lld steps of batch %lld in %.4g ms, %.4g "
                    "tokens/s (median of %d)\n",
                    static_cast<long long>(steps),
                    static_cast<long long>(batch), decode * 1e3,
                    batch * steps / decode, options.bench);
      out << line;
    }
  }
  return true;
}

} // namespace kiln::run
