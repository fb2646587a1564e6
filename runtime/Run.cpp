//===- Run.cpp - Check tensors against the signature and run --------------===//
//
// Every run checks the caller's tensors before the model sees them: counts,
// dtypes, ranks, static dims, symbolic dims bound consistently across the
// inputs, index inputs within their bounds, and output buffers shaped as the
// bound signature. Only then is kiln_compiled_entry called, on the CPU or
// through the session's CUDA stream.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaSession.h"
#include "runtime/Objects.h"
#include "runtime/Status.h"

#include <cstdlib>
#include <memory>

using namespace kiln::runtime;

namespace {

kiln_status *invalid(const std::string &message) {
  return makeStatus(KILN_ERROR_INVALID_ARGUMENT, message);
}

std::string nameList(const std::vector<TensorSpec> &specs) {
  std::string text;
  for (const TensorSpec &spec : specs)
    text += (text.empty() ? "" : ", ") + spec.name;
  return text;
}

kiln_status *checkCount(const char *what, const std::vector<TensorSpec> &specs,
                        int32_t count, const void *array) {
  if (count >= 0 && static_cast<size_t>(count) == specs.size())
    return count > 0 && !array
               ? invalid(std::string("the ") + what + " array is NULL")
               : nullptr;
  return invalid("expected " + std::to_string(specs.size()) + " " + what +
                 " (" + nameList(specs) + ") but got " + std::to_string(count));
}

/// Checks dtype, rank and data pointer common to inputs and outputs.
kiln_status *checkTensor(const Signature &sig, const std::string &what,
                         const kiln_tensor_info &info,
                         const kiln_tensor &tensor) {
  if (tensor.dtype != info.dtype)
    return invalid(what + ": dtype " + kiln_dtype_name(tensor.dtype) +
                   " but the model expects " + kiln_dtype_name(info.dtype));
  if (tensor.rank != info.rank)
    return invalid(what + ": rank " + std::to_string(tensor.rank) +
                   " but the model expects " + std::to_string(info.rank) + " " +
                   sig.formatShape(info));
  int64_t bytes = kiln_tensor_num_bytes(&tensor);
  if (bytes < 0)
    return invalid(what + ": shape " + formatShape(tensor.shape, tensor.rank) +
                   " has a negative size or is too large");
  if (bytes > 0 && !tensor.data)
    return invalid(what + ": data is NULL");
  if (reinterpret_cast<uintptr_t>(tensor.data) % kiln_dtype_size(tensor.dtype))
    return invalid(what + ": data is not aligned to its " +
                   std::to_string(kiln_dtype_size(tensor.dtype)) +
                   "-byte elements");
  return nullptr;
}

/// Checks the inputs and binds every symbolic dim from them.
kiln_status *bindDims(const Signature &sig, const kiln_tensor *inputs,
                      std::vector<int64_t> &dims) {
  // A dim that no tensor uses stays 1.
  dims.assign(sig.dims.size(), 1);
  std::vector<const std::string *> boundBy(sig.dims.size(), nullptr);
  for (size_t n = 0; n < sig.inputs.size(); ++n) {
    const TensorSpec &spec = sig.inputs[n];
    const kiln_tensor &tensor = inputs[n];
    std::string what = "input " + quote(spec.name);
    if (kiln_status *status = checkTensor(sig, what, spec.info, tensor))
      return status;
    for (int i = 0; i < spec.info.rank; ++i) {
      int64_t size = tensor.shape[i];
      std::string dimText = what + " dim " + std::to_string(i);
      int symbol = spec.info.symbol[i];
      if (symbol < 0) {
        if (size != spec.info.shape[i])
          return invalid(dimText + " is " + std::to_string(size) +
                         " but the model expects " +
                         std::to_string(spec.info.shape[i]) + " " +
                         sig.formatShape(spec.info));
        continue;
      }
      const std::string &dim = sig.dims[symbol];
      if (size < 1)
        return invalid(dimText + " (" + quote(dim) + ") is " +
                       std::to_string(size) + "; it must be positive");
      if (!boundBy[symbol]) {
        dims[symbol] = size;
        boundBy[symbol] = &spec.name;
      } else if (dims[symbol] != size) {
        return invalid(dimText + " is " + std::to_string(size) + " but " +
                       quote(dim) + " is " + std::to_string(dims[symbol]) +
                       " from input " + quote(*boundBy[symbol]));
      }
    }
  }
  // A slice or top_k reads a static number of entries of the axis.
  for (const DimCheck &check : sig.dimChecks)
    if (boundBy[check.symbol] && dims[check.symbol] < check.min)
      return invalid(quote(sig.dims[check.symbol]) + " is " +
                     std::to_string(dims[check.symbol]) + " (from input " +
                     quote(*boundBy[check.symbol]) + ") but " + check.node +
                     " (" + check.why + ") needs at least " +
                     std::to_string(check.min));
  return nullptr;
}

template <typename T>
kiln_status *scanIndices(const TensorSpec &spec, const kiln_tensor &tensor) {
  const T *data = static_cast<const T *>(tensor.data);
  int64_t count = kiln_tensor_num_elements(&tensor);
  int64_t bound = spec.info.index_bound;
  for (int64_t i = 0; i < count; ++i)
    if (data[i] < 0 || static_cast<int64_t>(data[i]) >= bound)
      return invalid("input " + quote(spec.name) + " flat index " +
                     std::to_string(i) + " holds " + std::to_string(data[i]) +
                     ", outside [0, " + std::to_string(bound) + ")");
  return nullptr;
}

template <typename T>
kiln_status *scanOffsets(const TensorSpec &spec, const kiln_tensor &tensor,
                         int64_t bound) {
  const T *data = static_cast<const T *>(tensor.data);
  int64_t count = kiln_tensor_num_elements(&tensor);
  for (int64_t i = 0; i < count; ++i) {
    int64_t value = static_cast<int64_t>(data[i]);
    int64_t previous = i ? static_cast<int64_t>(data[i - 1]) : 0;
    if (value < previous || value > bound)
      return invalid("input " + quote(spec.name) + " (seq_offsets) element " +
                     std::to_string(i) + " is " + std::to_string(value) +
                     "; offsets must be non-decreasing within [0, " +
                     std::to_string(bound) + "]");
  }
  return nullptr;
}

kiln_status *checkIndices(const Signature &sig, const kiln_tensor *inputs,
                          const std::vector<int64_t> &dims) {
  for (size_t n = 0; n < sig.inputs.size(); ++n) {
    const TensorSpec &spec = sig.inputs[n];
    if (spec.isOffsets) {
      int64_t bound = spec.offsetsSymbol >= 0 ? dims[spec.offsetsSymbol]
                                              : spec.offsetsBound;
      kiln_status *status =
          spec.info.dtype == KILN_I32
              ? scanOffsets<int32_t>(spec, inputs[n], bound)
              : scanOffsets<int64_t>(spec, inputs[n], bound);
      if (status)
        return status;
    }
    if (spec.info.index_bound == 0)
      continue;
    kiln_status *status = spec.info.dtype == KILN_I32
                              ? scanIndices<int32_t>(spec, inputs[n])
                              : scanIndices<int64_t>(spec, inputs[n]);
    if (status)
      return status;
  }
  return nullptr;
}

/// The shape of an output once the dims are bound.
kiln_tensor outputTensor(const TensorSpec &spec,
                         const std::vector<int64_t> &dims) {
  kiln_tensor tensor = {};
  tensor.dtype = spec.info.dtype;
  tensor.rank = spec.info.rank;
  for (int i = 0; i < spec.info.rank; ++i)
    tensor.shape[i] = spec.info.symbol[i] >= 0 ? dims[spec.info.symbol[i]]
                                               : spec.info.shape[i];
  return tensor;
}

/// Whether the bytes of `a` and `b` overlap.
bool overlap(const kiln_tensor &a, const kiln_tensor &b) {
  auto begin = [](const kiln_tensor &t) {
    return reinterpret_cast<uintptr_t>(t.data);
  };
  size_t aBytes = kiln_tensor_num_bytes(&a), bBytes = kiln_tensor_num_bytes(&b);
  return aBytes && bBytes && begin(a) < begin(b) + bBytes &&
         begin(b) < begin(a) + aBytes;
}

kiln_status *checkOutputs(const Signature &sig, const kiln_tensor *inputs,
                          const kiln_tensor *outputs,
                          const std::vector<int64_t> &dims) {
  for (size_t n = 0; n < sig.outputs.size(); ++n) {
    const TensorSpec &spec = sig.outputs[n];
    std::string what = "output " + quote(spec.name);
    if (kiln_status *status = checkTensor(sig, what, spec.info, outputs[n]))
      return status;
    kiln_tensor expected = outputTensor(spec, dims);
    for (int i = 0; i < expected.rank; ++i)
      if (outputs[n].shape[i] != expected.shape[i])
        return invalid(what + ": buffer shape " +
                       formatShape(outputs[n].shape, outputs[n].rank) +
                       " but the model produces " +
                       formatShape(expected.shape, expected.rank) + " " +
                       sig.formatShape(spec.info) + " for these inputs");
  }
  std::vector<NamedTensor> named[2];
  for (size_t n = 0; n < sig.inputs.size(); ++n)
    named[0].push_back({"input " + quote(sig.inputs[n].name), &inputs[n]});
  for (size_t n = 0; n < sig.outputs.size(); ++n)
    named[1].push_back({"output " + quote(sig.outputs[n].name), &outputs[n]});
  return checkOutputsDisjoint(named[0], named[1]);
}

/// Checks the tensor counts, then the inputs, binding the symbolic dims.
kiln_status *checkCountsAndBind(const Signature &sig, int32_t numInputs,
                                const kiln_tensor *inputs, int32_t numOutputs,
                                const kiln_tensor *outputs,
                                std::vector<int64_t> &dims) {
  if (kiln_status *status = checkCount("inputs", sig.inputs, numInputs, inputs))
    return status;
  if (kiln_status *status =
          checkCount("outputs", sig.outputs, numOutputs, outputs))
    return status;
  return bindDims(sig, inputs, dims);
}

/// Checks the inputs' index and offset values of a run on device tensors
/// from host copies of those inputs.
kiln_status *checkDeviceIndices(CudaSession &cuda, const Signature &sig,
                                const kiln_tensor *inputs,
                                const std::vector<int64_t> &dims) {
  std::vector<kiln_tensor> checked(inputs, inputs + sig.inputs.size());
  std::vector<std::unique_ptr<void, decltype(&std::free)>> copies;
  for (size_t n = 0; n < sig.inputs.size(); ++n) {
    const TensorSpec &spec = sig.inputs[n];
    if (!spec.isOffsets && spec.info.index_bound == 0)
      continue;
    kiln_tensor &host = checked[n];
    if (kiln_status *status = kiln_tensor_alloc(&host))
      return status;
    copies.emplace_back(host.data, &std::free);
    if (kiln_status *status = cuda.copyToHost(
            host.data, inputs[n].data, kiln_tensor_num_bytes(&host)))
      return prefixStatus(status, "input " + quote(spec.name) + ": ");
  }
  return checkIndices(sig, checked.data(), dims);
}

} // namespace

kiln_status *
kiln::runtime::checkOutputsDisjoint(const std::vector<NamedTensor> &inputs,
                                    const std::vector<NamedTensor> &outputs) {
  for (size_t n = 0; n < outputs.size(); ++n) {
    const NamedTensor &output = outputs[n];
    for (const NamedTensor &input : inputs)
      if (overlap(*output.tensor, *input.tensor))
        return invalid(output.name + ": its buffer overlaps that of " +
                       input.name +
                       "; outputs may not share memory with inputs");
    for (size_t m = 0; m < n; ++m)
      if (overlap(*output.tensor, *outputs[m].tensor))
        return invalid(output.name + ": its buffer overlaps that of " +
                       outputs[m].name +
                       "; outputs may not share memory with each other");
  }
  return nullptr;
}

/// What both runs check first: bound parameters, the tensor counts and the
/// inputs' shapes (binding `dims`). Each run then checks its outputs and
/// index inputs where their data is.
static kiln_status *checkRunInputs(const kiln_session &session,
                                   int32_t num_inputs,
                                   const kiln_tensor *inputs,
                                   int32_t num_outputs,
                                   const kiln_tensor *outputs,
                                   std::vector<int64_t> &dims) {
  if (!session.paramsBound)
    return invalid("the model's parameters are not bound; call "
                   "kiln_session_bind_weights first");
  return checkCountsAndBind(session.model->signature, num_inputs, inputs,
                            num_outputs, outputs, dims);
}

extern "C" {

kiln_status *
kiln_session_output_shapes(kiln_session *session, int32_t num_inputs,
                           const kiln_tensor *inputs, int32_t num_outputs,
                           kiln_tensor *outputs, int64_t *dims_out) {
  if (!session)
    return nullArgument("kiln_session_output_shapes", "session");
  const Signature &sig = session->model->signature;
  std::vector<int64_t> dims;
  if (kiln_status *status =
          checkCountsAndBind(sig, num_inputs, inputs, num_outputs, outputs,
                             dims))
    return status;
  for (size_t n = 0; n < sig.outputs.size(); ++n) {
    kiln_tensor shaped = outputTensor(sig.outputs[n], dims);
    shaped.data = outputs[n].data;
    outputs[n] = shaped;
  }
  if (dims_out)
    std::copy(dims.begin(), dims.end(), dims_out);
  return nullptr;
}

kiln_status *kiln_session_run(kiln_session *session, int32_t num_inputs,
                              const kiln_tensor *inputs, int32_t num_outputs,
                              const kiln_tensor *outputs) {
  if (!session)
    return nullArgument("kiln_session_run", "session");
  const LoadedModel &model = *session->model;
  const Signature &sig = model.signature;
  std::vector<int64_t> dims;
  if (kiln_status *status = checkRunInputs(*session, num_inputs, inputs,
                                           num_outputs, outputs, dims))
    return status;
  if (kiln_status *status = checkIndices(sig, inputs, dims))
    return status;
  if (kiln_status *status = checkOutputs(sig, inputs, outputs, dims))
    return status;
  // A model without dims still gets a valid pointer.
  dims.push_back(0);
  if (session->cuda)
    return session->cuda->runOnHostTensors(inputs, outputs, dims.data());

  std::vector<void *> buffers;
  buffers.reserve(sig.inputs.size() + sig.params.size() +
                  session->packed.size() + sig.outputs.size());
  for (size_t n = 0; n < sig.inputs.size(); ++n)
    buffers.push_back(inputs[n].data);
  buffers.insert(buffers.end(), session->params.begin(), session->params.end());
  for (const auto &packed : session->packed)
    buffers.push_back(packed.get());
  for (size_t n = 0; n < sig.outputs.size(); ++n)
    buffers.push_back(outputs[n].data);
  applyThreads(*session);
  model.entry(buffers.data(), dims.data());
  return nullptr;
}

kiln_status *kiln_session_run_device(kiln_session *session,
                                     int32_t num_inputs,
                                     const kiln_tensor *inputs,
                                     int32_t num_outputs,
                                     const kiln_tensor *outputs) {
  if (!session)
    return nullArgument("kiln_session_run_device", "session");
  if (!session->cuda)
    return invalid("kiln_session_run_device: the session is on device " +
                   quote(session->device) +
                   "; device pointers need a 'cuda' session (use "
                   "kiln_session_run)");
  const Signature &sig = session->model->signature;
  std::vector<int64_t> dims;
  if (kiln_status *status = checkRunInputs(*session, num_inputs, inputs,
                                           num_outputs, outputs, dims))
    return status;
  if (kiln_status *status = checkOutputs(sig, inputs, outputs, dims))
    return status;
  if (kiln_status *status =
          checkDeviceIndices(*session->cuda, sig, inputs, dims))
    return status;
  // A model without dims still gets a valid pointer.
  dims.push_back(0);
  return session->cuda->runOnDeviceTensors(inputs, outputs, dims.data());
}

} // extern "C"
