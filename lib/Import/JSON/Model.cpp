//===- Model.cpp - JSON IR v1 model: entry points and helpers -------------===//
//
// The public entry points of the model library (parseModel, loadModel), the
// small helpers declared in Model.h, and the JSON utilities shared by the
// parser. Syntax errors are turned into `file:line:col` locations here; all
// structural and semantic checks live in ModelParse.cpp and the Infer*.cpp
// files.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/ModelInternal.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

namespace kiln::model {

using detail::json;

const char *dtypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

std::optional<DType> parseDType(const std::string &name) {
  for (DType type : {DType::F32, DType::F16, DType::BF16, DType::I32,
                     DType::I64, DType::Bool})
    if (name == dtypeName(type))
      return type;
  return std::nullopt;
}

std::string tensorTypeProblem(const TensorType &type) {
  if (type.shape.size() > kMaxRank)
    return "rank " + std::to_string(type.shape.size()) +
           " exceeds the maximum rank " + std::to_string(kMaxRank);
  int64_t bytes = dtypeSize(type.dtype);
  for (const Dim &dim : type.shape)
    if (dim.isStatic() && __builtin_mul_overflow(bytes, dim.size, &bytes))
      return "its static sizes hold more than 2^63 - 1 bytes";
  return {};
}

int64_t dtypeSize(DType type) {
  switch (type) {
  case DType::Bool:
    return 1;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::I64:
    return 8;
  }
  return 0;
}

bool isFloat(DType type) {
  return type == DType::F32 || type == DType::F16 || type == DType::BF16;
}

bool isInteger(DType type) { return type == DType::I32 || type == DType::I64; }

int Model::lookup(const std::string &name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == name)
      return (int)i;
  return -1;
}

std::string Error::str() const { return location + ": error: " + message; }

std::string formatShape(const Model &model, const Shape &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      out += ", ";
    const Dim &dim = shape[i];
    if (dim.isStatic())
      out += std::to_string(dim.size);
    else if (dim.symbol < (int)model.dims.size())
      out += model.dims[dim.symbol];
    else
      out += "?";
  }
  return out + "]";
}

namespace {

/// Turns nlohmann's 1-based byte index of the last read character into a
/// `file:line:col` location.
std::string syntaxLocation(const std::string &text, const std::string &file,
                           size_t byte) {
  size_t index = std::min(byte > 0 ? byte - 1 : 0, text.size());
  size_t line = 1, lineStart = 0;
  for (size_t i = 0; i < index; ++i)
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  return file + ":" + std::to_string(line) + ":" +
         std::to_string(index - lineStart + 1);
}

/// nlohmann's message without its "[json.exception...] parse error at line
/// L, column C: " prefix, since the location is reported separately.
std::string syntaxMessage(const char *what) {
  std::string message = what;
  size_t colon = message.find(": ");
  return colon == std::string::npos ? message : message.substr(colon + 2);
}

/// A parser callback that finds the first key given twice in one object
/// (nlohmann's parser keeps the last), as the JSON pointer of the repeat.
class DuplicateKeys {
public:
  std::optional<std::string> pointer;
  std::string key;

  bool operator()(int, json::parse_event_t event, json &parsed) {
    using Event = json::parse_event_t;
    bool element = event == Event::object_start ||
                   event == Event::array_start || event == Event::value;
    if (element && !levels.empty() && !levels.back().object)
      ++levels.back().index;
    if (event == Event::object_start || event == Event::array_start)
      levels.push_back({event == Event::object_start, {}, {}, -1});
    else if (event == Event::object_end || event == Event::array_end)
      levels.pop_back();
    else if (event == Event::key && !pointer) {
      Level &object = levels.back();
      object.key = parsed.get<std::string>();
      if (!object.keys.insert(object.key).second) {
        pointer = path();
        key = object.key;
      }
    }
    return true;
  }

private:
  struct Level {
    bool object;
    std::set<std::string> keys;
    std::string key;
    int64_t index;
  };

  std::string path() const {
    std::string text;
    for (const Level &level : levels)
      text += "/" + (level.object ? detail::escapePointer(level.key)
                                  : std::to_string(level.index));
    return text;
  }

  std::vector<Level> levels;
};

} // namespace

std::optional<Model> parseModel(const std::string &text,
                                const std::string &fileName, Error &error) {
  detail::Diag diag(fileName, error);
  json root;
  DuplicateKeys duplicates;
  try {
    root = json::parse(text, std::ref(duplicates));
  } catch (const json::parse_error &e) {
    error.location = syntaxLocation(text, fileName, e.byte);
    error.message = syntaxMessage(e.what());
    return std::nullopt;
  } catch (const json::out_of_range &e) {
    // A number beyond double's range (found by kiln-fuzz-json-model): the
    // exception quotes the number but gives no position, so find it.
    std::string what = e.what();
    size_t open = what.find('\''), close = what.rfind('\'');
    size_t at = open < close
                    ? text.find(what.substr(open + 1, close - open - 1))
                    : std::string::npos;
    error.location = at == std::string::npos
                         ? fileName
                         : syntaxLocation(text, fileName, at + 1);
    error.message = what.substr(what.find("] ") + 2);
    return std::nullopt;
  }
  if (duplicates.pointer) {
    diag.fail(*duplicates.pointer,
              "duplicate key '" + duplicates.key +
                  "'; each key may appear once in an object");
    return std::nullopt;
  }
  std::optional<Model> model = detail::buildModel(root, fileName, diag);
  if (!model)
    return std::nullopt;
  model->source = text;
  return model;
}

std::optional<Model> loadModel(const std::string &path, Error &error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error.location = path;
    error.message = "is a directory; expected a JSON model file";
    return std::nullopt;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error.location = path;
    error.message = "cannot open the model file";
    return std::nullopt;
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    error.location = path;
    error.message = "cannot read the model file";
    return std::nullopt;
  }
  return parseModel(text.str(), path, error);
}

namespace detail {

bool Diag::fail(const std::string &pointer, const std::string &message) {
  error.location = fileName + ": " + (pointer.empty() ? "/" : pointer);
  error.message = message;
  return false;
}

std::string escapePointer(const std::string &key) {
  std::string out;
  for (char ch : key) {
    if (ch == '~')
      out += "~0";
    else if (ch == '/')
      out += "~1";
    else
      out += ch;
  }
  return out;
}

std::string jsonTypeName(const json &value) {
  if (value.is_number_integer())
    return "integer";
  if (value.is_number())
    return "number";
  return value.type_name();
}

std::string brief(const json &value) {
  if (value.is_primitive())
    return value.dump();
  if (value.is_array() && value.size() <= 16 &&
      std::all_of(value.begin(), value.end(),
                  [](const json &item) { return item.is_primitive(); }))
    return value.dump();
  return "an " + jsonTypeName(value);
}

std::optional<int64_t> asInt(const json &value) {
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (v > (uint64_t)std::numeric_limits<int64_t>::max())
      return std::nullopt;
    return (int64_t)v;
  }
  if (value.is_number_integer())
    return value.get<int64_t>();
  return std::nullopt;
}

bool isIdentifier(const std::string &text) {
  if (text.empty() || !(std::isalpha((unsigned char)text[0]) || text[0] == '_'))
    return false;
  for (char ch : text)
    if (!(std::isalnum((unsigned char)ch) || ch == '_' || ch == '.' ||
          ch == '-'))
      return false;
  return true;
}

bool readDType(Diag &diag, const json &value, const std::string &pointer,
               DType &out) {
  const char *expected = "f32, f16, bf16, i32, i64, bool";
  if (!value.is_string())
    return diag.fail(pointer, std::string("expected a dtype name (one of ") +
                                  expected + "), got " + jsonTypeName(value));
  std::optional<DType> dtype = parseDType(value.get<std::string>());
  if (!dtype)
    return diag.fail(pointer, "unknown dtype '" + value.get<std::string>() +
                                  "'; expected one of " + expected);
  out = *dtype;
  return true;
}

std::string join(const std::vector<std::string> &items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + items[i];
  return out;
}

} // namespace detail
} // namespace kiln::model
