//===- Model.cpp - Load a compiled model and expose its signature ---------===//
//
// Validates a model library's bytes (ModelLibrary.h), opens it with dlopen,
// checks the ABI version before calling anything else, and parses the
// signature. The accessors of the C API read
// the parsed signature; they never fail.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaModule.h"
#include "runtime/ModelLibrary.h"
#include "runtime/Objects.h"
#include "runtime/Status.h"

#include <dlfcn.h>

#include <algorithm>
#include <new>

using namespace kiln::runtime;

kiln::runtime::LoadedModel::~LoadedModel() {
  cuda.reset();
  if (handle)
    dlclose(handle);
}

namespace {

kiln_status *loadLibrary(const std::string &path, LoadedModel &model) {
  if (kiln_status *status = validateModelLibraryFile(path))
    return status;
  // A bare file name would make dlopen search the library path instead of
  // the current directory.
  std::string dlPath = path.find('/') == std::string::npos ? "./" + path : path;
  model.handle = dlopen(dlPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!model.handle)
    return makeStatus(KILN_ERROR_IO,
                      "cannot load model " + quote(path) + ": " + dlerror());
  return nullptr;
}

/// Reads the ABI symbols of a dlopen'ed model.
kiln_status *resolveSymbols(const LoadedModel &model,
                            kiln_compiled_model &symbols) {
  auto lookup = [&](const char *name) { return dlsym(model.handle, name); };
  symbols.abi_version =
      reinterpret_cast<int32_t (*)()>(lookup("kiln_compiled_abi_version"));
  symbols.signature = reinterpret_cast<const char *(*)()>(
      lookup("kiln_compiled_signature"));
  symbols.source =
      reinterpret_cast<const char *(*)()>(lookup("kiln_compiled_source"));
  symbols.entry =
      reinterpret_cast<LoadedModel::EntryFn>(lookup("kiln_compiled_entry"));
  symbols.pack =
      reinterpret_cast<LoadedModel::PackFn>(lookup("kiln_compiled_pack"));
  symbols.prefill =
      reinterpret_cast<LoadedModel::EntryFn>(lookup("kiln_compiled_prefill"));
  symbols.decode =
      reinterpret_cast<LoadedModel::EntryFn>(lookup("kiln_compiled_decode"));
  symbols.pack_one = reinterpret_cast<LoadedModel::PackOneFn>(
      lookup("kiln_compiled_pack_one"));
  for (auto [present, name] :
       {std::pair{symbols.abi_version != nullptr, "kiln_compiled_abi_version"},
        std::pair{symbols.signature != nullptr, "kiln_compiled_signature"},
        std::pair{symbols.entry != nullptr, "kiln_compiled_entry"},
        std::pair{symbols.pack != nullptr, "kiln_compiled_pack"}})
    if (!present)
      return makeStatus(KILN_ERROR_FORMAT, quote(model.path) +
                                               " is not a Kiln model: it " +
                                               "does not export " + name);
  return nullptr;
}

/// Reads the CUDA entry points; a CPU model has none.
void resolveGpuSymbols(LoadedModel &model) {
  auto lookup = [&](const char *name) { return dlsym(model.handle, name); };
  model.gpu.bind = reinterpret_cast<GpuEntryPoints::BindFn>(
      lookup("kiln_compiled_gpu_bind"));
  model.gpu.ptx =
      reinterpret_cast<GpuEntryPoints::TextFn>(lookup("kiln_compiled_gpu_ptx"));
  model.gpu.arch = reinterpret_cast<GpuEntryPoints::TextFn>(
      lookup("kiln_compiled_gpu_arch"));
  model.gpu.cubin = reinterpret_cast<GpuEntryPoints::CubinFn>(
      lookup("kiln_compiled_gpu_cubin"));
}

/// Checks the ABI version, then reads the signature and source through
/// `symbols` and parses the signature.
kiln_status *adoptSymbols(const kiln_compiled_model &symbols,
                          LoadedModel &model) {
  if (int32_t abi = symbols.abi_version(); abi != kAbiVersion)
    return makeStatus(KILN_ERROR_FORMAT,
                      "model " + quote(model.path) + " uses ABI version " +
                          std::to_string(abi) + "; this runtime supports " +
                          "version " + std::to_string(kAbiVersion) +
                          " (compile the model again with this Kiln)");
  const char *text = symbols.signature();
  if (!text)
    return makeStatus(KILN_ERROR_FORMAT,
                      "model " + quote(model.path) + " returned no signature");
  model.signatureJson = text;
  // The source is optional: only `kiln-run --check` needs it.
  if (symbols.source)
    if (const char *sourceText = symbols.source())
      model.source = sourceText;
  model.entry = symbols.entry;
  model.pack = symbols.pack;
  model.prefill = symbols.prefill;
  model.decode = symbols.decode;
  model.packOne = symbols.pack_one;
  // The model's OpenMP runtime: dlsym on the handle also searches the
  // model's dependencies; a linked model shares the application's.
  void *scope = model.handle ? model.handle : RTLD_DEFAULT;
  model.setNumThreads = reinterpret_cast<LoadedModel::SetThreadsFn>(
      dlsym(scope, "omp_set_num_threads"));
  model.getMaxThreads = reinterpret_cast<LoadedModel::GetThreadsFn>(
      dlsym(scope, "omp_get_max_threads"));
  if (kiln_status *status = parseSignature(model.signatureJson,
                                           model.signature))
    return prefixStatus(status, model.path + ": ");
  GenerationSpec &generation = model.signature.generation;
  if (generation.available && (!model.prefill || !model.decode))
    return makeStatus(KILN_ERROR_FORMAT,
                      "model " + quote(model.path) +
                          " lists generation entries but does not export "
                          "kiln_compiled_prefill and kiln_compiled_decode");
  return nullptr;
}

/// Wraps a loaded model in a new C handle.
kiln_status *wrap(std::shared_ptr<LoadedModel> model, kiln_model **out) {
  kiln_model *handle = new (std::nothrow) kiln_model{std::move(model)};
  if (!handle)
    return makeStatus(KILN_ERROR_RESOURCE, "out of memory");
  *out = handle;
  return nullptr;
}

} // namespace

extern "C" {

kiln_status *kiln_model_open(const char *path, kiln_model **out) {
  if (!path || !out)
    return nullArgument("kiln_model_open", !path ? "path" : "out");
  auto model = std::make_shared<LoadedModel>();
  model->path = path;
  kiln_compiled_model symbols;
  if (kiln_status *status = loadLibrary(model->path, *model))
    return status;
  if (kiln_status *status = resolveSymbols(*model, symbols))
    return status;
  resolveGpuSymbols(*model);
  if (kiln_status *status = adoptSymbols(symbols, *model))
    return status;
  return wrap(std::move(model), out);
}

kiln_status *kiln_model_open_linked(const kiln_compiled_model *symbols,
                                    const char *name, kiln_model **out) {
  if (!symbols || !out)
    return nullArgument("kiln_model_open_linked", !symbols ? "symbols" : "out");
  if (!symbols->abi_version || !symbols->signature || !symbols->entry ||
      !symbols->pack)
    return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                      "kiln_model_open_linked: abi_version, signature, "
                      "entry and pack are required");
  auto model = std::make_shared<LoadedModel>();
  model->path = name ? name : "linked model";
  if (kiln_status *status = adoptSymbols(*symbols, *model))
    return status;
  return wrap(std::move(model), out);
}

void kiln_model_close(kiln_model *model) { delete model; }

// The accessors answer for a NULL model as for an empty one: NULL, 0 or -1.

const char *kiln_model_name(const kiln_model *model) {
  return model ? model->impl->signature.name.c_str() : nullptr;
}

const char *kiln_model_source(const kiln_model *model) {
  return model ? model->impl->source.c_str() : nullptr;
}

const char *kiln_model_signature_json(const kiln_model *model) {
  return model ? model->impl->signatureJson.c_str() : nullptr;
}

int32_t kiln_model_num_dims(const kiln_model *model) {
  return model ? static_cast<int32_t>(model->impl->signature.dims.size()) : 0;
}

const char *kiln_model_dim_name(const kiln_model *model, int32_t index) {
  if (!model)
    return nullptr;
  const auto &dims = model->impl->signature.dims;
  if (index < 0 || static_cast<size_t>(index) >= dims.size())
    return nullptr;
  return dims[index].c_str();
}

int32_t kiln_model_num_tensors(const kiln_model *model, kiln_tensor_role role) {
  if (!model)
    return 0;
  return static_cast<int32_t>(model->impl->signature.tensors(role).size());
}

const kiln_tensor_info *kiln_model_tensor(const kiln_model *model,
                                          kiln_tensor_role role,
                                          int32_t index) {
  if (!model)
    return nullptr;
  const auto &tensors = model->impl->signature.tensors(role);
  if (index < 0 || static_cast<size_t>(index) >= tensors.size())
    return nullptr;
  return &tensors[index].info;
}

int32_t kiln_model_find_tensor(const kiln_model *model, kiln_tensor_role role,
                               const char *name) {
  if (!model || !name)
    return -1;
  const auto &tensors = model->impl->signature.tensors(role);
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name)
      return static_cast<int32_t>(i);
  return -1;
}

int kiln_model_has_device(const kiln_model *model, const char *device) {
  if (!model || !device)
    return 0;
  const auto &devices = model->impl->signature.devices;
  return std::find(devices.begin(), devices.end(), device) != devices.end();
}

} // extern "C"
