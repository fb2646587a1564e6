//===- RunInputs.cpp - Input files of kiln-run ----------------------------===//
//
// Every input must be named on the command line exactly once; names are
// checked against the signature so that a typo is reported with the list of
// real inputs instead of as a missing input.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln-run/RunInputs.h"

#include <cstring>

namespace kiln::run {

namespace {

bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string inputList(const kiln_model *model) {
  std::string text;
  for (int32_t i = 0; i < kiln_model_num_tensors(model, KILN_ROLE_INPUT); ++i)
    text += (i ? ", " : "") +
            std::string(kiln_model_tensor(model, KILN_ROLE_INPUT, i)->name);
  return text;
}

bool loadFromSafetensors(const std::string &name, const std::string &path,
                         rt::OwnedTensor &out, std::string &error) {
  kiln_weights *raw = nullptr;
  if (rt::failed(kiln_weights_open(path.c_str(), &raw), error))
    return false;
  rt::Weights file(raw);
  int32_t index =
      kiln_weights_count(raw) == 1 ? 0 : kiln_weights_find(raw, name.c_str());
  if (index < 0) {
    error = path + ": holds " + std::to_string(kiln_weights_count(raw)) +
            " tensors and none is named '" + name + "'";
    return false;
  }
  kiln_tensor mapped;
  if (rt::failed(kiln_weights_tensor(raw, index, &mapped), error))
    return false;
  // Copy out of the mapping: the data must outlive the file and be aligned.
  out.tensor = mapped;
  out.tensor.data = nullptr;
  if (rt::failed(kiln_tensor_alloc(&out.tensor), error))
    return false;
  std::memcpy(out.tensor.data, mapped.data, kiln_tensor_num_bytes(&mapped));
  return true;
}

} // namespace

std::string signatureShape(const kiln_model *model,
                           const kiln_tensor_info *info) {
  std::string text = "[";
  for (int32_t i = 0; i < info->rank; ++i) {
    text += i ? ", " : "";
    text += info->symbol[i] >= 0 ? kiln_model_dim_name(model, info->symbol[i])
                                 : std::to_string(info->shape[i]);
  }
  return text + "]";
}

bool loadInputFile(const std::string &name, const std::string &path,
                   rt::OwnedTensor &out, std::string &error) {
  if (endsWith(path, ".safetensors"))
    return loadFromSafetensors(name, path, out, error);
  return !rt::failed(kiln_npy_read(path.c_str(), &out.tensor), error);
}

bool loadInputs(const kiln_model *model, const std::vector<std::string> &specs,
                std::vector<rt::OwnedTensor> &out, std::string &error) {
  int32_t count = kiln_model_num_tensors(model, KILN_ROLE_INPUT);
  std::vector<std::string> paths(count);
  for (const std::string &spec : specs) {
    size_t equals = spec.find('=');
    if (equals == std::string::npos || equals == 0 ||
        equals + 1 == spec.size()) {
      error = "--input '" + spec + "' is not NAME=FILE";
      return false;
    }
    std::string name = spec.substr(0, equals);
    int32_t index =
        kiln_model_find_tensor(model, KILN_ROLE_INPUT, name.c_str());
    if (index < 0) {
      error = "--input: the model has no input '" + name +
              "' (its inputs: " + inputList(model) + ")";
      return false;
    }
    if (!paths[index].empty()) {
      error = "--input: input '" + name + "' is given twice";
      return false;
    }
    paths[index] = spec.substr(equals + 1);
  }
  out.clear();
  out.resize(count);
  for (int32_t i = 0; i < count; ++i) {
    const kiln_tensor_info *info = kiln_model_tensor(model, KILN_ROLE_INPUT, i);
    if (paths[i].empty()) {
      error = "missing --input " + std::string(info->name) + "=FILE (" +
              kiln_dtype_name(info->dtype) + " " + signatureShape(model, info) +
              ")";
      return false;
    }
    if (!loadInputFile(info->name, paths[i], out[i], error))
      return false;
  }
  return true;
}

} // namespace kiln::run
