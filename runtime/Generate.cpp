//===- Generate.cpp - Stateful sessions: prefill and decode ---------------===//
//
// The generation half of the session API (kiln_runtime.h, "Generation"):
// the per-sequence state buffers of the signature's "generation" object,
// allocated once by kiln_session_reserve, each sequence's length, and the
// checks before every call into kiln_compiled_prefill / kiln_compiled_decode
// (docs/abi.md): distinct sequences in range, token ids inside the
// embedding, capacity left, outputs shaped for the call. On a "cuda"
// session the state lives in device memory (CudaSession), and each call
// copies its tokens in and its outputs back.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaSession.h"
#include "runtime/Objects.h"
#include "runtime/Status.h"

#include <cstring>
#include <new>
#include <set>

using namespace kiln::runtime;

namespace {

kiln_status *invalid(const std::string &message) {
  return makeStatus(KILN_ERROR_INVALID_ARGUMENT, message);
}

kiln_status *checkGenerating(const kiln_session &session) {
  const GenerationSpec &generation = session.model->signature.generation;
  if (!generation.available)
    return invalid("model " + quote(session.model->signature.name) +
                   " has no prefill/decode entries" +
                   (generation.unavailable.empty()
                        ? std::string(" (compile it again with this Kiln)")
                        : ": " + generation.unavailable));
  if (!session.paramsBound)
    return invalid("the model's parameters are not bound; call "
                   "kiln_session_bind_weights first");
  if (session.maxSequences == 0)
    return invalid("the session has no generation state; call "
                   "kiln_session_reserve first");
  return nullptr;
}

kiln_status *checkSequence(const kiln_session &session, int32_t sequence) {
  if (sequence < 0 || sequence >= session.maxSequences)
    return invalid("sequence " + std::to_string(sequence) +
                   " is outside the session's " +
                   std::to_string(session.maxSequences) + " sequences");
  return nullptr;
}

kiln_status *checkSequences(const kiln_session &session, int32_t count,
                            const int32_t *sequences) {
  if (count < 1 || !sequences)
    return invalid("expected at least one sequence");
  std::set<int32_t> seen;
  for (int32_t i = 0; i < count; ++i) {
    if (kiln_status *status = checkSequence(session, sequences[i]))
      return status;
    if (!seen.insert(sequences[i]).second)
      return invalid("sequence " + std::to_string(sequences[i]) +
                     " appears twice in one call");
  }
  return nullptr;
}

/// Checks the token tensor [count, steps] and its ids.
kiln_status *checkTokens(const kiln_session &session, const kiln_tensor *tokens,
                         int32_t count) {
  const Signature &sig = session.model->signature;
  const TensorSpec &spec = sig.generation.inputs[0];
  std::string what = "tokens " + quote(spec.name);
  if (!tokens)
    return invalid(what + " is NULL");
  if (tokens->dtype != spec.info.dtype || tokens->rank != 2 ||
      tokens->shape[0] != count || tokens->shape[1] < 0)
    return invalid(what + ": expected " + kiln_dtype_name(spec.info.dtype) +
                   " [" + std::to_string(count) + ", n], got " +
                   kiln_dtype_name(tokens->dtype) + " " +
                   formatShape(tokens->shape,
                               std::max(0, std::min(tokens->rank,
                                                    KILN_MAX_RANK))));
  int64_t elements = kiln_tensor_num_elements(tokens);
  if (elements > 0 && !tokens->data)
    return invalid(what + ": data is NULL");
  // The bound of the full-sequence entry's token input (its embedding).
  int64_t bound = sig.inputs.empty() ? 0 : sig.inputs[0].info.index_bound;
  for (int64_t i = 0; bound && i < elements; ++i) {
    int64_t id = static_cast<int64_t>(kiln_tensor_get(tokens, i));
    if (id < 0 || id >= bound)
      return invalid(what + " flat index " + std::to_string(i) + " holds " +
                     std::to_string(id) + ", outside [0, " +
                     std::to_string(bound) + ")");
  }
  return nullptr;
}

/// Checks the outputs against the signature's with batch = count and
/// seq = steps, and that none shares memory with the tokens or another.
kiln_status *checkOutputs(const kiln_session &session,
                          const kiln_tensor *tokens, int32_t numOutputs,
                          const kiln_tensor *outputs,
                          const std::vector<int64_t> &dims) {
  const Signature &sig = session.model->signature;
  if (numOutputs < 0 || static_cast<size_t>(numOutputs) != sig.outputs.size())
    return invalid("expected " + std::to_string(sig.outputs.size()) +
                   " outputs but got " + std::to_string(numOutputs));
  if (!outputs)
    return invalid("the outputs array is NULL");
  for (size_t n = 0; n < sig.outputs.size(); ++n) {
    const kiln_tensor_info &info = sig.outputs[n].info;
    const kiln_tensor &tensor = outputs[n];
    int64_t expected[KILN_MAX_RANK];
    bool same = tensor.dtype == info.dtype && tensor.rank == info.rank;
    for (int i = 0; i < info.rank; ++i) {
      expected[i] = info.symbol[i] >= 0 ? dims[info.symbol[i]] : info.shape[i];
      same = same && tensor.shape[i] == expected[i];
    }
    if (!same)
      return invalid("output " + quote(sig.outputs[n].name) + ": expected " +
                     kiln_dtype_name(info.dtype) + " " +
                     formatShape(expected, info.rank) + " " +
                     sig.formatShape(info) + ", got " +
                     kiln_dtype_name(tensor.dtype) + " " +
                     formatShape(tensor.shape,
                                 std::max(0, std::min(tensor.rank,
                                                      KILN_MAX_RANK))));
    if (!tensor.data && kiln_tensor_num_bytes(&tensor) > 0)
      return invalid("output " + quote(sig.outputs[n].name) +
                     ": data is NULL");
  }
  std::vector<NamedTensor> named;
  for (size_t n = 0; n < sig.outputs.size(); ++n)
    named.push_back({"output " + quote(sig.outputs[n].name), &outputs[n]});
  return checkOutputsDisjoint({{"the tokens", tokens}}, named);
}

kiln_status *clearSequence(kiln_session &session, int32_t sequence) {
  session.lengths[sequence] = 0;
  if (session.cuda)
    return session.cuda->clearSequence(sequence);
  for (size_t i = 0; i < session.state.size(); ++i) {
    size_t row = session.stateRowBytes[i];
    std::memset(static_cast<char *>(session.state[i].get()) + row * sequence,
                0, row);
  }
  return nullptr;
}

/// Calls an entry: inputs (tokens, slots, positions), params, state,
/// packed weights, outputs (docs/abi.md, "Generation").
kiln_status *callEntry(kiln_session &session, LoadedModel::EntryFn entry,
                       const kiln_tensor *tokens, std::vector<int64_t> &slots,
                       std::vector<int64_t> &positions,
                       const kiln_tensor *outputs,
                       std::vector<int64_t> &dims) {
  if (session.cuda)
    return session.cuda->runStep(entry, *tokens, slots, positions, outputs,
                                 dims.data());
  std::vector<void *> buffers = {tokens->data, slots.data(), positions.data()};
  buffers.insert(buffers.end(), session.params.begin(), session.params.end());
  for (const auto &state : session.state)
    buffers.push_back(state.get());
  for (const auto &packed : session.packed)
    buffers.push_back(packed.get());
  for (size_t n = 0; n < session.model->signature.outputs.size(); ++n)
    buffers.push_back(outputs[n].data);
  applyThreads(session);
  entry(buffers.data(), dims.data());
  return nullptr;
}

/// The state of every sequence in host memory, zeroed.
kiln_status *allocateHostState(kiln_session &session,
                               const std::vector<size_t> &rowBytes,
                               int32_t sequences) {
  const GenerationSpec &generation = session.model->signature.generation;
  std::vector<std::unique_ptr<void, decltype(&std::free)>> state;
  for (size_t i = 0; i < rowBytes.size(); ++i) {
    size_t bytes = rowBytes[i] * static_cast<size_t>(sequences);
    void *data = std::calloc(bytes, 1);
    if (!data)
      return makeStatus(KILN_ERROR_RESOURCE,
                        "out of memory for state " +
                            quote(generation.state[i].name) + " (" +
                            std::to_string(bytes) + " bytes)");
    state.emplace_back(data, &std::free);
  }
  session.state = std::move(state);
  return nullptr;
}

/// The dims of a call: the model's (batch = count, seq = steps; others 1),
/// then sequences and capacity.
std::vector<int64_t> callDims(const kiln_session &session, int32_t count,
                              int64_t steps) {
  const GenerationSpec &generation = session.model->signature.generation;
  std::vector<int64_t> dims(generation.dims.size(), 1);
  dims[generation.batchSymbol] = count;
  dims[generation.seqSymbol] = steps;
  dims[generation.sequencesSymbol] = session.maxSequences;
  dims[generation.capacitySymbol] = session.capacity;
  return dims;
}

/// The signature's dim checks (docs/abi.md) against a step's dims: batch is
/// the step's sequence count, seq its tokens per sequence.
kiln_status *checkStepDims(const kiln_session &session,
                           const std::vector<int64_t> &dims) {
  const Signature &sig = session.model->signature;
  for (const DimCheck &check : sig.dimChecks)
    if (dims[check.symbol] < check.min)
      return invalid(quote(sig.dims[check.symbol]) + " is " +
                     std::to_string(dims[check.symbol]) + " in this step but " +
                     check.node + " (" + check.why + ") needs at least " +
                     std::to_string(check.min));
  return nullptr;
}

/// What prefill and decode check before anything else: a generating
/// session, distinct sequences in range, and token ids of the right shape.
kiln_status *checkStep(const char *function, const kiln_session *session,
                       int32_t count, const int32_t *sequences,
                       const kiln_tensor *tokens) {
  if (!session)
    return nullArgument(function, "session");
  if (kiln_status *status = checkGenerating(*session))
    return status;
  if (kiln_status *status = checkSequences(*session, count, sequences))
    return status;
  return checkTokens(*session, tokens, count);
}

} // namespace

extern "C" {

int kiln_model_can_generate(const kiln_model *model, const char **reason) {
  if (!model) {
    if (reason)
      *reason = "no model";
    return 0;
  }
  const GenerationSpec &generation = model->impl->signature.generation;
  if (reason)
    *reason = generation.available ? "" : generation.unavailable.c_str();
  return generation.available ? 1 : 0;
}

kiln_status *kiln_session_reserve(kiln_session *session, int32_t max_sequences,
                                  int64_t max_length) {
  if (!session)
    return nullArgument("kiln_session_reserve", "session");
  const GenerationSpec &generation = session->model->signature.generation;
  if (!generation.available)
    return checkGenerating(*session);
  if (max_sequences < 1 || max_length < 1)
    return invalid("a session needs at least one sequence of one token, got " +
                   std::to_string(max_sequences) + " sequences of " +
                   std::to_string(max_length));
  std::vector<size_t> rowBytes;
  for (const TensorSpec &spec : generation.state) {
    // One sequence's row: every dim after the first.
    int64_t row = 4;
    for (int d = 1; d < spec.info.rank; ++d) {
      int64_t size =
          spec.info.symbol[d] >= 0 ? max_length : spec.info.shape[d];
      if (size > INT64_MAX / 8 / row)
        return makeStatus(KILN_ERROR_RESOURCE,
                          "state " + quote(spec.name) + " is too large");
      row *= size;
    }
    if (row > INT64_MAX / 8 / max_sequences)
      return makeStatus(KILN_ERROR_RESOURCE,
                        "state " + quote(spec.name) + " is too large");
    rowBytes.push_back(static_cast<size_t>(row));
  }
  if (session->cuda) {
    if (kiln_status *status =
            session->cuda->reserveState(rowBytes, max_sequences))
      return status;
  } else if (kiln_status *status =
                 allocateHostState(*session, rowBytes, max_sequences)) {
    return status;
  }
  session->stateRowBytes = std::move(rowBytes);
  session->maxSequences = max_sequences;
  session->capacity = max_length;
  session->lengths.assign(max_sequences, 0);
  return nullptr;
}

kiln_status *kiln_session_prefill(kiln_session *session, int32_t count,
                                  const int32_t *sequences,
                                  const kiln_tensor *tokens,
                                  int32_t num_outputs,
                                  const kiln_tensor *outputs) {
  if (kiln_status *status =
          checkStep("kiln_session_prefill", session, count, sequences, tokens))
    return status;
  int64_t steps = tokens->shape[1];
  if (steps > session->capacity)
    return invalid("a prompt of " + std::to_string(steps) +
                   " tokens exceeds the session's capacity of " +
                   std::to_string(session->capacity) + " tokens per sequence");
  std::vector<int64_t> dims = callDims(*session, count, steps);
  if (steps > 0) {
    if (kiln_status *status = checkStepDims(*session, dims))
      return status;
    if (kiln_status *status =
            checkOutputs(*session, tokens, num_outputs, outputs, dims))
      return status;
  }
  std::vector<int64_t> slots(sequences, sequences + count);
  std::vector<int64_t> positions(count, 0);
  for (int32_t sequence : slots)
    if (kiln_status *status = clearSequence(*session, sequence))
      return status;
  if (steps == 0)
    return nullptr;
  if (kiln_status *status = callEntry(*session, session->model->prefill,
                                      tokens, slots, positions, outputs, dims))
    return status;
  for (int32_t sequence : slots)
    session->lengths[sequence] = steps;
  return nullptr;
}

kiln_status *kiln_session_decode(kiln_session *session, int32_t count,
                                 const int32_t *sequences,
                                 const kiln_tensor *tokens,
                                 int32_t num_outputs,
                                 const kiln_tensor *outputs) {
  if (kiln_status *status =
          checkStep("kiln_session_decode", session, count, sequences, tokens))
    return status;
  if (tokens->shape[1] != 1)
    return invalid("a decode step takes one token per sequence, got " +
                   std::to_string(tokens->shape[1]));
  std::vector<int64_t> positions;
  for (int32_t i = 0; i < count; ++i) {
    int64_t length = session->lengths[sequences[i]];
    if (length >= session->capacity)
      return invalid("sequence " + std::to_string(sequences[i]) +
                     " is full: it holds " + std::to_string(length) +
                     " tokens, the session's capacity; reset it or reserve "
                     "a longer capacity");
    positions.push_back(length);
  }
  std::vector<int64_t> dims = callDims(*session, count, 1);
  if (kiln_status *status = checkStepDims(*session, dims))
    return status;
  if (kiln_status *status = checkOutputs(*session, tokens, num_outputs, outputs, dims))
    return status;
  std::vector<int64_t> slots(sequences, sequences + count);
  if (kiln_status *status = callEntry(*session, session->model->decode,
                                      tokens, slots, positions, outputs, dims))
    return status;
  for (int32_t sequence : slots)
    ++session->lengths[sequence];
  return nullptr;
}

kiln_status *kiln_session_reset_sequence(kiln_session *session,
                                         int32_t sequence) {
  if (!session)
    return nullArgument("kiln_session_reset_sequence", "session");
  if (session->maxSequences == 0)
    return invalid("the session has no generation state; call "
                   "kiln_session_reserve first");
  if (kiln_status *status = checkSequence(*session, sequence))
    return status;
  return clearSequence(*session, sequence);
}

int64_t kiln_session_sequence_length(const kiln_session *session,
                                     int32_t sequence) {
  if (!session || sequence < 0 || sequence >= session->maxSequences)
    return -1;
  return session->lengths[sequence];
}

} // extern "C"
