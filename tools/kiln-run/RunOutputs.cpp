//===- RunOutputs.cpp - Output files and summaries of kiln-run ------------===//
//
// Outputs are written atomically as a group: each goes to a hidden temporary
// file in its target directory (so that rename stays within one file system)
// and the renames happen only after every write succeeded.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln-run/RunOutputs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace kiln::run {

namespace {

bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The directory a path's file lives in ("." for a bare name).
fs::path parentOf(const std::string &path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

bool checkParent(const std::string &path, std::string &error) {
  std::error_code ec;
  if (fs::is_directory(parentOf(path), ec))
    return true;
  error = "--output '" + path + "': directory '" + parentOf(path).string() +
          "' does not exist";
  return false;
}

/// An output name as a file name: path separators would escape the folder.
std::string fileNameFor(std::string name) {
  for (char &c : name)
    if (c == '/')
      c = '_';
  return name + ".npy";
}

/// Whether `path` names an existing file that is not a regular one (a
/// device such as /dev/null, a FIFO): written in place, never replaced.
bool isSpecialFile(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode) &&
         !S_ISDIR(info.st_mode);
}

/// Creates an empty temporary file beside `target` with the permissions a
/// new file would get (mkstemp makes it private).
bool makeTemp(const std::string &target, std::string &temp,
              std::string &error) {
  fs::path path = parentOf(target) /
                  ("." + fs::path(target).filename().string() + ".tmp-XXXXXX");
  temp = path.string();
  int fd = mkstemp(temp.data());
  if (fd < 0) {
    error = "cannot create a temporary file for '" + target +
            "': " + std::strerror(errno);
    return false;
  }
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  close(fd);
  return true;
}

} // namespace

bool planOutputs(const kiln_model *model, const std::vector<std::string> &args,
                 OutputPlan &plan, std::string &error) {
  int32_t count = kiln_model_num_tensors(model, KILN_ROLE_OUTPUT);
  if (args.empty())
    return true;
  std::error_code ec;
  if (args.size() == 1 &&
      (endsWith(args[0], "/") || fs::is_directory(args[0], ec))) {
    fs::create_directories(args[0], ec);
    if (!fs::is_directory(args[0], ec)) {
      error = "--output '" + args[0] + "': cannot create the directory";
      return false;
    }
    std::map<std::string, std::string> writers;
    for (int32_t i = 0; i < count; ++i) {
      std::string name = kiln_model_tensor(model, KILN_ROLE_OUTPUT, i)->name;
      std::string path = (fs::path(args[0]) / fileNameFor(name)).string();
      auto [other, fresh] = writers.insert({path, name});
      if (!fresh) {
        error = "outputs '" + other->second + "' and '" + name +
                "' would both be written to '" + path +
                "'; give one --output per output or one .safetensors file";
        return false;
      }
      plan.npyPaths.push_back(path);
    }
    return true;
  }
  if (args.size() == 1 && endsWith(args[0], ".safetensors")) {
    plan.safetensorsPath = args[0];
    return checkParent(args[0], error);
  }
  if (args.size() != static_cast<size_t>(count)) {
    error = "the model has " + std::to_string(count) + " output" +
            (count == 1 ? "" : "s") + " but " + std::to_string(args.size()) +
            " --output " + (args.size() == 1 ? "was" : "were") +
            " given; give one per output, a directory ending in '/', or one "
            ".safetensors file";
    return false;
  }
  std::set<std::string> seen;
  for (const std::string &path : args) {
    if (path.empty()) {
      error = "--output '': expected a file name";
      return false;
    }
    if (!seen.insert(path).second) {
      error = "--output '" + path + "' is given twice";
      return false;
    }
    if (!checkParent(path, error))
      return false;
  }
  plan.npyPaths = args;
  return true;
}

bool writeOutputs(const kiln_model *model, const OutputPlan &plan,
                  const std::vector<rt::OwnedTensor> &outputs,
                  std::string &error) {
  std::vector<std::string> targets = plan.npyPaths;
  if (!plan.safetensorsPath.empty())
    targets = {plan.safetensorsPath};
  // A device given as output (/dev/null) is written in place, never
  // replaced or removed.
  std::vector<bool> inPlace;
  for (const std::string &target : targets)
    inPlace.push_back(isSpecialFile(target));
  std::vector<std::string> temps;
  auto removeTemps = [&](size_t from) {
    for (size_t i = from; i < temps.size(); ++i)
      if (!inPlace[i])
        std::remove(temps[i].c_str());
  };
  for (size_t i = 0; i < targets.size(); ++i) {
    std::string temp = targets[i];
    if (!inPlace[i] && !makeTemp(targets[i], temp, error)) {
      removeTemps(0);
      return false;
    }
    temps.push_back(temp);
    kiln_status *status;
    if (plan.safetensorsPath.empty()) {
      status = kiln_npy_write(temp.c_str(), &outputs[i].tensor);
    } else {
      std::vector<const char *> names;
      std::vector<kiln_tensor> tensors;
      for (size_t n = 0; n < outputs.size(); ++n) {
        names.push_back(
            kiln_model_tensor(model, KILN_ROLE_OUTPUT, static_cast<int32_t>(n))
                ->name);
        tensors.push_back(outputs[n].tensor);
      }
      status = kiln_safetensors_write(temp.c_str(),
                                      static_cast<int32_t>(tensors.size()),
                                      names.data(), tensors.data());
    }
    if (rt::failed(status, error)) {
      removeTemps(0);
      return false;
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (inPlace[i])
      continue;
    if (std::rename(temps[i].c_str(), targets[i].c_str()) != 0) {
      error = "cannot rename '" + temps[i] + "' to '" + targets[i] +
              "': " + std::strerror(errno);
      // Undo the renames already done so that no partial set remains.
      for (size_t j = 0; j < i; ++j)
        if (!inPlace[j])
          std::remove(targets[j].c_str());
      removeTemps(i);
      return false;
    }
  }
  return true;
}

std::string summarize(const std::string &name, const kiln_tensor &tensor) {
  int64_t count = kiln_tensor_num_elements(&tensor);
  double sum = 0, low = INFINITY, high = -INFINITY;
  int64_t nans = 0;
  for (int64_t i = 0; i < count; ++i) {
    double value = kiln_tensor_get(&tensor, i);
    if (std::isnan(value)) {
      ++nans;
      continue;
    }
    sum += value;
    low = std::min(low, value);
    high = std::max(high, value);
  }
  std::ostringstream text;
  text << name << ": " << kiln_dtype_name(tensor.dtype) << " [";
  for (int i = 0; i < tensor.rank; ++i)
    text << (i ? ", " : "") << tensor.shape[i];
  text << "]";
  if (count > nans)
    text << " mean " << sum / static_cast<double>(count - nans) << " min "
         << low << " max " << high;
  if (nans)
    text << " nan " << nans;
  return text.str();
}

} // namespace kiln::run
