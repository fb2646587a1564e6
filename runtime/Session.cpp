//===- Session.cpp - Sessions: device, threads and parameter binding ------===//
//
// A session pairs a loaded model with a device, a thread count and bound
// parameters. Binding checks every parameter against the signature (name,
// dtype, shape) so that a run only has to check the inputs and outputs.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaSession.h"
#include "runtime/Objects.h"
#include "runtime/Status.h"

#include <algorithm>
#include <cstring>
#include <new>

#include <sys/mman.h>

using namespace kiln::runtime;

namespace {

kiln_status *checkDevice(const LoadedModel &model, const std::string &device) {
  const auto &devices = model.signature.devices;
  // A CUDA model's entry points take device memory and launch kernels
  // through a table only a CUDA session binds.
  if (device == "cpu") {
    if (std::find(devices.begin(), devices.end(), "cpu") != devices.end())
      return nullptr;
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cpu': model " + quote(model.signature.name) +
                          " has no CPU code (it was compiled with "
                          "--target=cuda); compile it with --target=cpu");
  }
  if (device != "cuda")
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      "unknown device " + quote(device) +
                          " (expected cpu or cuda)");
  return nullptr;
}

/// Loads the driver, checks that the model has CUDA code and starts a CUDA
/// session on device 0.
kiln_status *openCudaSession(LoadedModel &model,
                             std::unique_ptr<CudaSession> &out) {
  const CudaDriver *driver = nullptr;
  CudaDevice device;
  if (kiln_status *status = loadCudaDriver(driver, device))
    return status;
  const auto &devices = model.signature.devices;
  std::string prefix = "device 'cuda' (" + device.name + "): model " +
                       quote(model.signature.name);
  if (std::find(devices.begin(), devices.end(), "cuda") == devices.end())
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      prefix +
                          " has no CUDA code; compile it with --target=cuda");
  const GpuEntryPoints &gpu = model.gpu;
  if (!gpu.bind || !gpu.ptx || !gpu.arch || !gpu.cubin)
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      prefix + " does not export kiln_compiled_gpu_bind, "
                               "_ptx, _arch and _cubin (a model linked into "
                               "the application runs on cpu only)");
  return CudaSession::create(model, *driver, device, out);
}

/// Checks one parameter tensor against its signature entry.
kiln_status *checkParam(const TensorSpec &spec, const kiln_tensor &tensor) {
  const kiln_tensor_info &info = spec.info;
  std::string what = "parameter " + quote(spec.name);
  if (tensor.dtype != info.dtype)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      what + ": dtype " + kiln_dtype_name(tensor.dtype) +
                          " but the model expects " +
                          kiln_dtype_name(info.dtype));
  bool sameShape = tensor.rank == info.rank;
  for (int i = 0; sameShape && i < info.rank; ++i)
    sameShape = tensor.shape[i] == info.shape[i];
  if (!sameShape)
    return makeStatus(
        KILN_ERROR_INVALID_ARGUMENT,
        what + ": shape " +
            formatShape(tensor.shape,
                        std::max(0, std::min(tensor.rank, KILN_MAX_RANK))) +
            " but the model expects " + formatShape(info.shape, info.rank));
  if (!tensor.data && kiln_tensor_num_bytes(&tensor) > 0)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT, what + ": data is NULL");
  return nullptr;
}

/// Returns the pointer the model will read: the data itself when it is
/// element-aligned, else an aligned copy owned by the session (safetensors
/// offsets need not be aligned).
kiln_status *alignedData(kiln_session &session, const kiln_tensor &tensor,
                         void *&out) {
  size_t alignment = kiln_dtype_size(tensor.dtype);
  if (reinterpret_cast<uintptr_t>(tensor.data) % alignment == 0) {
    out = tensor.data;
    return nullptr;
  }
  kiln_tensor copy = tensor;
  if (kiln_status *status = kiln_tensor_alloc(&copy))
    return status;
  std::memcpy(copy.data, tensor.data, kiln_tensor_num_bytes(&tensor));
  session.copies.emplace_back(copy.data, &std::free);
  out = copy.data;
  return nullptr;
}

/// Lets the pages of the parameters that packed buffer `filled` reads go
/// when the model reads them only packed and no later buffer reads them.
/// Only for weights mapped from a file: their pages come back intact.
void releasePackedParams(const Signature &sig, const kiln_tensor *params,
                         const SafetensorsFile &file, size_t filled) {
  for (int32_t p : sig.packed[filled].params) {
    bool readLater = false;
    for (size_t later = filled + 1; later < sig.packed.size(); ++later) {
      const std::vector<int32_t> &sources = sig.packed[later].params;
      readLater |= std::count(sources.begin(), sources.end(), p) > 0;
    }
    if (sig.params[p].packedOnly && !readLater)
      file.releasePages(params[p].data, kiln_tensor_num_bytes(&params[p]));
  }
}

/// Memory for one packed weight buffer, 64-byte aligned (a cache line, a
/// full AVX-512 vector). From 2 MiB on it is aligned to 2 MiB and asks for
/// transparent huge pages: each decode step streams every panel once, and
/// with 4 KiB pages that costs a TLB miss every 4 KiB.
void *allocatePacked(size_t bytes) {
  constexpr size_t kHugePage = size_t(1) << 21;
  size_t align = bytes >= kHugePage ? kHugePage : 64;
  size_t rounded = (std::max<size_t>(bytes, 1) + align - 1) / align * align;
  void *data = std::aligned_alloc(align, rounded);
#ifdef MADV_HUGEPAGE
  // Advice only: where huge pages are off, the buffer keeps small ones.
  if (data && align == kHugePage)
    madvise(data, rounded, MADV_HUGEPAGE);
#endif
  return data;
}

/// Allocates the packed weights and fills them from the bound parameters
/// through the model's kiln_compiled_pack (docs/abi.md). With weights
/// mapped from `file`, buffer by buffer, so that at most one buffer's
/// parameters are resident beside the packed copies.
kiln_status *packWeights(kiln_session &session, const kiln_tensor *params,
                         const SafetensorsFile *file) {
  const LoadedModel &model = *session.model;
  const Signature &sig = model.signature;
  session.packed.clear();
  std::vector<void *> buffers(session.params);
  for (const PackedSpec &spec : sig.packed) {
    size_t bytes = spec.bytes;
    void *data = allocatePacked(bytes);
    if (!data)
      return makeStatus(KILN_ERROR_RESOURCE,
                        "out of memory packing the weights (" +
                            std::to_string(bytes) + " bytes)");
    session.packed.emplace_back(data, &std::free);
    buffers.push_back(data);
  }
  applyThreads(session);
  // A model without parameters still gets a valid pointer.
  buffers.push_back(nullptr);
  if (file && model.packOne) {
    for (size_t i = 0; i < sig.packed.size(); ++i) {
      model.packOne(buffers.data(), static_cast<int64_t>(i));
      releasePackedParams(sig, params, *file, i);
    }
  } else {
    model.pack(buffers.data());
    for (size_t i = 0; file && i < sig.packed.size(); ++i)
      releasePackedParams(sig, params, *file, i);
  }
  session.paramsBound = true;
  return nullptr;
}

kiln_status *bindParams(kiln_session &session, const kiln_tensor *params,
                        const SafetensorsFile *file) {
  const auto &specs = session.model->signature.params;
  session.paramsBound = false;
  session.copies.clear();
  session.params.assign(specs.size(), nullptr);
  for (size_t i = 0; i < specs.size(); ++i)
    if (kiln_status *status = checkParam(specs[i], params[i]))
      return status;
  if (session.cuda) {
    if (kiln_status *status = session.cuda->bindParams(params))
      return status;
    session.paramsBound = true;
    return nullptr;
  }
  for (size_t i = 0; i < specs.size(); ++i)
    if (kiln_status *status =
            alignedData(session, params[i], session.params[i]))
      return status;
  return packWeights(session, params, file);
}

} // namespace

kiln_session::~kiln_session() = default;

void kiln::runtime::applyThreads(const kiln_session &session) {
  if (session.threads > 0 && session.model->setNumThreads)
    session.model->setNumThreads(session.threads);
}

extern "C" {

kiln_status *kiln_session_create(kiln_model *model, const char *device,
                                 kiln_session **out) {
  if (!model || !out)
    return nullArgument("kiln_session_create", !model ? "model" : "out");
  if (kiln_status *status = checkDevice(*model->impl, device ? device : ""))
    return status;
  std::unique_ptr<CudaSession> cuda;
  if (std::string(device) == "cuda")
    if (kiln_status *status = openCudaSession(*model->impl, cuda))
      return status;
  kiln_session *session = new (std::nothrow) kiln_session{};
  if (!session)
    return makeStatus(KILN_ERROR_RESOURCE, "out of memory");
  session->model = model->impl;
  session->device = device;
  session->cuda = std::move(cuda);
  session->paramsBound = model->impl->signature.params.empty();
  *out = session;
  return nullptr;
}

void kiln_session_destroy(kiln_session *session) { delete session; }

kiln_status *kiln_session_set_threads(kiln_session *session, int32_t threads) {
  if (!session)
    return nullArgument("kiln_session_set_threads", "session");
  if (threads < 1)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      "thread count must be at least 1, got " +
                          std::to_string(threads));
  session->threads = threads;
  return nullptr;
}

int32_t kiln_session_num_threads(const kiln_session *session) {
  if (!session)
    return 0;
  const LoadedModel &model = *session->model;
  if (!model.setNumThreads)
    return 1;
  if (session->threads > 0)
    return session->threads;
  return model.getMaxThreads ? model.getMaxThreads() : 1;
}

kiln_status *kiln_session_bind_params(kiln_session *session, int32_t count,
                                      const kiln_tensor *params) {
  if (!session)
    return nullArgument("kiln_session_bind_params", "session");
  size_t expected = session->model->signature.params.size();
  if (count < 0 || static_cast<size_t>(count) != expected)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      "expected " + std::to_string(expected) +
                          " parameters but got " + std::to_string(count));
  if (count > 0 && !params)
    return nullArgument("kiln_session_bind_params", "params");
  session->weights.reset();
  return bindParams(*session, params, /*file=*/nullptr);
}

kiln_status *kiln_session_bind_weights(kiln_session *session,
                                       kiln_weights *weights) {
  if (!session || !weights)
    return nullArgument("kiln_session_bind_weights",
                        !session ? "session" : "weights");
  const SafetensorsFile &file = *weights->impl;
  const auto &specs = session->model->signature.params;
  std::string missing;
  int numMissing = 0;
  for (const TensorSpec &spec : specs) {
    if (file.byName.count(spec.name))
      continue;
    if (numMissing++ < 8)
      missing += (missing.empty() ? "" : ", ") + quote(spec.name);
  }
  if (numMissing)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      file.path + ": missing " + std::to_string(numMissing) +
                          " of the model's " + std::to_string(specs.size()) +
                          " parameters: " + missing +
                          (numMissing > 8 ? ", ..." : ""));
  std::vector<kiln_tensor> params(specs.size());
  for (size_t i = 0; i < specs.size(); ++i)
    if (kiln_status *status =
            file.tensor(file.byName.at(specs[i].name), params[i]))
      return status;
  if (kiln_status *status = bindParams(*session, params.data(), &file))
    return prefixStatus(status, file.path + ": ");
  // A CUDA session has its own copy in device memory.
  if (!session->cuda)
    session->weights = weights->impl;
  return nullptr;
}

} // extern "C"
