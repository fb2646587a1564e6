//===- KilnGenData.cpp - Generate weights and inputs for a Kiln model -----===//
//
// kiln-gen-data model.json [--weights w.safetensors] [--input NAME=x.npy ...]
//               [--dim batch=2 ...] [--seed N] [--scale S]
//
// Writes deterministic pseudo-random parameters (all of them, in declaration
// order) and inputs for a model given as JSON IR or as a compiled model,
// whose embedded source is used. Values follow each tensor's use (see
// DataPlan.h), so the data is valid for the model: ids within the vocabulary,
// positions and sequence offsets that make sense. Errors are one line
// "kiln-gen-data: error: <message>" and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "kiln/Version.h"
#include "tools/kiln-gen-data/DataPlan.h"

#include "kiln/runtime/kiln_runtime.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

using namespace kiln;
using namespace kiln::gendata;

namespace {

struct Options {
  std::string model;
  std::string weights;
  std::vector<std::string> inputs;
  std::vector<std::string> dims;
  FillOptions fill;
};

int fail(const std::string &message) {
  std::cerr << "kiln-gen-data: error: " << message << "\n";
  return 1;
}

bool isSharedObject(const std::string &path) {
  char magic[4] = {};
  std::ifstream(path, std::ios::binary).read(magic, 4);
  return magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

/// Loads JSON IR from a .json file or from a compiled model's source.
std::optional<model::Model> loadModel(const std::string &path,
                                      std::string &error) {
  model::Error parseError;
  std::optional<model::Model> parsed;
  if (isSharedObject(path)) {
    kiln_model *raw = nullptr;
    if (rt::failed(kiln_model_open(path.c_str(), &raw), error))
      return std::nullopt;
    rt::Model compiled(raw);
    std::string source = kiln_model_source(raw);
    if (source.empty()) {
      error = "compiled model '" + path + "' carries no JSON IR source";
      return std::nullopt;
    }
    parsed = model::parseModel(source, path, parseError);
  } else {
    parsed = model::loadModel(path, parseError);
  }
  if (!parsed)
    error = parseError.location + ": " + parseError.message;
  return parsed;
}

bool parseDims(const model::Model &m, const std::vector<std::string> &specs,
               std::map<std::string, int64_t> &dims, std::string &error) {
  for (const std::string &spec : specs) {
    size_t equals = spec.find('=');
    std::string name = spec.substr(0, equals);
    int64_t value = 0;
    bool ok = equals != std::string::npos && equals + 1 < spec.size();
    for (size_t i = equals + 1; ok && i < spec.size(); ++i) {
      ok = spec[i] >= '0' && spec[i] <= '9' && value < (INT64_MAX / 10);
      value = value * 10 + (spec[i] - '0');
    }
    if (!ok || value < 1) {
      error = "--dim '" + spec + "' is not NAME=N with N >= 1";
      return false;
    }
    if (std::find(m.dims.begin(), m.dims.end(), name) == m.dims.end()) {
      error = "--dim: the model has no dim '" + name + "'";
      return false;
    }
    dims[name] = value;
  }
  return true;
}

/// Allocates and fills the tensor of value `id`.
bool generate(const model::Model &m, int id,
              const std::map<std::string, int64_t> &dims,
              const FillOptions &options, rt::OwnedTensor &out,
              std::string &error) {
  if (!resolveShape(m, m.value(id), dims, out.tensor, error) ||
      rt::failed(kiln_tensor_alloc(&out.tensor), error))
    return false;
  fill(m, id, classify(m, id), dims, options, out.tensor);
  return true;
}

/// One file to write: its path and tensors, generated before any file is
/// written, so that a bad --input or --dim leaves no file behind.
struct PendingFile {
  std::string path;
  /// Else .npy, which holds one tensor.
  bool safetensors = true;
  std::vector<std::string> names;
  std::vector<rt::OwnedTensor> tensors;

  bool write(std::string &error) const {
    std::vector<kiln_tensor> views;
    std::vector<const char *> cNames;
    for (size_t i = 0; i < tensors.size(); ++i) {
      views.push_back(tensors[i].tensor);
      cNames.push_back(names[i].c_str());
    }
    return !rt::failed(
        safetensors ? kiln_safetensors_write(path.c_str(),
                                             static_cast<int32_t>(views.size()),
                                             cNames.data(), views.data())
                    : kiln_npy_write(path.c_str(), views.data()),
        error);
  }
};

bool generateWeights(const model::Model &m, const FillOptions &options,
                     PendingFile &file, std::string &error) {
  file.tensors.resize(m.params.size());
  for (size_t i = 0; i < m.params.size(); ++i) {
    if (!generate(m, m.params[i], {}, options, file.tensors[i], error))
      return false;
    file.names.push_back(m.value(m.params[i]).name);
  }
  return true;
}

bool generateInput(const model::Model &m, const std::string &spec,
                   const std::map<std::string, int64_t> &dims,
                   const FillOptions &options, PendingFile &file,
                   std::string &error) {
  size_t equals = spec.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size()) {
    error = "--input '" + spec + "' is not NAME=FILE";
    return false;
  }
  std::string name = spec.substr(0, equals);
  file.path = spec.substr(equals + 1);
  file.safetensors =
      file.path.size() > 12 &&
      file.path.compare(file.path.size() - 12, 12, ".safetensors") == 0;
  int id = m.lookup(name);
  if (id < 0 || m.value(id).kind != model::ValueKind::Input) {
    error = "--input: the model has no input '" + name + "'";
    return false;
  }
  file.names.push_back(name);
  file.tensors.resize(1);
  return generate(m, id, dims, options, file.tensors[0], error);
}

int runTool(const Options &options) {
  std::string error;
  std::optional<model::Model> m = loadModel(options.model, error);
  if (!m)
    return fail(error);
  std::map<std::string, int64_t> dims;
  if (!parseDims(*m, options.dims, dims, error))
    return fail(error);
  std::vector<PendingFile> files;
  if (!options.weights.empty()) {
    files.emplace_back().path = options.weights;
    if (!generateWeights(*m, options.fill, files.back(), error))
      return fail(error);
  }
  for (const std::string &spec : options.inputs)
    if (!generateInput(*m, spec, dims, options.fill, files.emplace_back(),
                       error))
      return fail(error);
  // A file that cannot be written takes the ones written before it along.
  for (size_t i = 0; i < files.size(); ++i)
    if (!files[i].write(error)) {
      for (size_t j = 0; j < i; ++j)
        std::remove(files[j].path.c_str());
      return fail(error);
    }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  CLI::App app{"Generates deterministic weights and inputs for a Kiln model.",
               "kiln-gen-data"};
  app.set_version_flag("--version", kiln::versionText("kiln-gen-data"));
  app.add_option("model", options.model,
                 "Model: JSON IR (.json) or a compiled model (.so)")
      ->required();
  app.add_option("--weights", options.weights,
                 "Write every parameter to this .safetensors file");
  app.add_option("--input", options.inputs,
                 "NAME=FILE: write input NAME (.npy, or .safetensors)");
  app.add_option("--dim", options.dims, "NAME=N: the size of a symbolic dim");
  app.add_option("--seed", options.fill.seed, "Random seed")
      ->capture_default_str();
  app.add_option("--scale", options.fill.scale, "Scale of the random values")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    if (e.get_exit_code() == 0)
      return app.exit(e) == 0 ? 0 : 1;
    return fail(e.what());
  }
  return runTool(options);
}
