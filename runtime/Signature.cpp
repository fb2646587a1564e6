//===- Signature.cpp - Parse and validate a model signature ---------------===//
//
// Reads the signature JSON of docs/abi.md. The compiler writes it, but the
// runtime still validates it completely: a model built by another tool or an
// older compiler must fail with a message, never lead to a wrong call.
//
//===----------------------------------------------------------------------===//

#include "runtime/Signature.h"
#include "runtime/Status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <set>

using json = nlohmann::json;

namespace kiln::runtime {

std::vector<TensorSpec> &Signature::tensors(kiln_tensor_role role) {
  return role == KILN_ROLE_INPUT   ? inputs
         : role == KILN_ROLE_PARAM ? params
                                   : outputs;
}

const std::vector<TensorSpec> &Signature::tensors(kiln_tensor_role role) const {
  return const_cast<Signature *>(this)->tensors(role);
}

std::string Signature::formatShape(const kiln_tensor_info &info) const {
  std::string text = "[";
  for (int i = 0; i < info.rank; ++i) {
    if (i)
      text += ", ";
    text += info.symbol[i] >= 0 ? dims[info.symbol[i]]
                                : std::to_string(info.shape[i]);
  }
  return text + "]";
}

namespace {

kiln_status *fail(const std::string &pointer, const std::string &message) {
  return makeStatus(KILN_ERROR_FORMAT,
                    "model signature: " + pointer + ": " + message);
}

kiln_status *parseTensor(const json &node, const std::string &pointer,
                         const std::vector<std::string> &dims, bool staticOnly,
                         TensorSpec &out) {
  if (!node.is_object())
    return fail(pointer, "expected an object with name, dtype and shape");
  auto name = node.find("name");
  if (name == node.end() || !name->is_string() ||
      name->get<std::string>().empty())
    return fail(pointer + "/name", "expected a non-empty string");
  out.name = name->get<std::string>();
  auto dtype = node.find("dtype");
  if (dtype == node.end() || !dtype->is_string() ||
      kiln_dtype_parse(dtype->get<std::string>().c_str(), &out.info.dtype))
    return fail(pointer + "/dtype",
                "expected one of f32, f16, bf16, i32, i64, bool");
  auto shape = node.find("shape");
  if (shape == node.end() || !shape->is_array())
    return fail(pointer + "/shape", "expected an array");
  if (shape->size() > KILN_MAX_RANK)
    return fail(pointer + "/shape", "rank " + std::to_string(shape->size()) +
                                        " exceeds the runtime's maximum of " +
                                        std::to_string(KILN_MAX_RANK));
  out.info.rank = static_cast<int32_t>(shape->size());
  out.info.index_bound = 0;
  for (int i = 0; i < out.info.rank; ++i) {
    const json &dim = (*shape)[i];
    std::string where = pointer + "/shape/" + std::to_string(i);
    out.info.shape[i] = -1;
    out.info.symbol[i] = -1;
    if (dim.is_number_integer() && dim.get<int64_t>() >= 1) {
      out.info.shape[i] = dim.get<int64_t>();
    } else if (dim.is_string()) {
      if (staticOnly)
        return fail(where, "parameter shapes must be static");
      for (size_t d = 0; d < dims.size(); ++d)
        if (dims[d] == dim.get<std::string>())
          out.info.symbol[i] = static_cast<int32_t>(d);
      if (out.info.symbol[i] < 0)
        return fail(where, "undeclared dim " + quote(dim.get<std::string>()));
    } else {
      return fail(where, "expected a positive integer or a dim name");
    }
  }
  return nullptr;
}

kiln_status *parseTensorList(const json &root, const char *key,
                             kiln_tensor_role role, Signature &sig) {
  std::string pointer = std::string("/") + key;
  auto list = root.find(key);
  if (list == root.end() && role == KILN_ROLE_PARAM)
    return nullptr;
  if (list == root.end() || !list->is_array())
    return fail(pointer, "expected an array");
  auto &tensors = sig.tensors(role);
  tensors.resize(list->size());
  for (size_t i = 0; i < list->size(); ++i)
    if (kiln_status *status =
            parseTensor((*list)[i], pointer + "/" + std::to_string(i),
                        sig.dims, role == KILN_ROLE_PARAM, tensors[i]))
      return status;
  return nullptr;
}

/// Points `target` at the input a check at `pointer` names.
kiln_status *findInput(Signature &sig, const std::string &input,
                       const std::string &pointer, TensorSpec *&target) {
  for (TensorSpec &spec : sig.inputs)
    if (spec.name == input) {
      target = &spec;
      return nullptr;
    }
  return fail(pointer + "/input", "no input named " + quote(input));
}

/// The index in `sig.dims` of the dim named by the string `name`.
kiln_status *findDim(const Signature &sig, const json &name,
                     const std::string &pointer, int32_t &symbol) {
  auto dim =
      std::find(sig.dims.begin(), sig.dims.end(), name.get<std::string>());
  if (dim == sig.dims.end())
    return fail(pointer, "undeclared dim " + quote(name.get<std::string>()));
  symbol = static_cast<int32_t>(dim - sig.dims.begin());
  return nullptr;
}

kiln_status *parseIndexChecks(const json &root, Signature &sig) {
  auto checks = root.find("index_checks");
  if (checks == root.end())
    return nullptr;
  if (!checks->is_array())
    return fail("/index_checks", "expected an array");
  for (size_t i = 0; i < checks->size(); ++i) {
    const json &check = (*checks)[i];
    std::string pointer = "/index_checks/" + std::to_string(i);
    if (!check.is_object() || !check.contains("input") ||
        !check["input"].is_string())
      return fail(pointer, "expected {\"input\": name, \"bound\": int}");
    if (!check.contains("bound") || !check["bound"].is_number_integer() ||
        check["bound"].get<int64_t>() < 1)
      return fail(pointer + "/bound", "expected a positive integer");
    std::string input = check["input"].get<std::string>();
    TensorSpec *target = nullptr;
    if (kiln_status *status = findInput(sig, input, pointer, target))
      return status;
    if (target->info.dtype != KILN_I32 && target->info.dtype != KILN_I64)
      return fail(pointer + "/input",
                  "index input " + quote(input) + " must be i32 or i64");
    int64_t bound = check["bound"].get<int64_t>();
    // Two checks of one input (two embeddings) keep the tighter bound.
    if (target->info.index_bound == 0 || bound < target->info.index_bound)
      target->info.index_bound = bound;
  }
  return nullptr;
}

kiln_status *parseOffsetChecks(const json &root, Signature &sig) {
  auto checks = root.find("offset_checks");
  if (checks == root.end())
    return nullptr;
  if (!checks->is_array())
    return fail("/offset_checks", "expected an array");
  for (size_t i = 0; i < checks->size(); ++i) {
    const json &check = (*checks)[i];
    std::string pointer = "/offset_checks/" + std::to_string(i);
    if (!check.is_object() || !check.contains("input") ||
        !check["input"].is_string() || !check.contains("bound"))
      return fail(pointer, "expected {\"input\": name, \"bound\": size or "
                           "dim name}");
    std::string input = check["input"].get<std::string>();
    TensorSpec *target = nullptr;
    if (kiln_status *status = findInput(sig, input, pointer, target))
      return status;
    if ((target->info.dtype != KILN_I32 && target->info.dtype != KILN_I64) ||
        target->info.rank != 1)
      return fail(pointer + "/input", "offsets input " + quote(input) +
                                          " must be a 1-D i32 or i64 tensor");
    const json &bound = check["bound"];
    if (bound.is_number_integer() && bound.get<int64_t>() >= 1) {
      target->offsetsBound = bound.get<int64_t>();
    } else if (bound.is_string()) {
      if (kiln_status *status =
              findDim(sig, bound, pointer + "/bound", target->offsetsSymbol))
        return status;
    } else {
      return fail(pointer + "/bound",
                  "expected a positive integer or a dim name");
    }
    target->isOffsets = true;
  }
  return nullptr;
}

/// The optional "dim_checks" list (docs/abi.md).
kiln_status *parseDimChecks(const json &root, Signature &sig) {
  auto checks = root.find("dim_checks");
  if (checks == root.end())
    return nullptr;
  if (!checks->is_array())
    return fail("/dim_checks", "expected an array");
  for (size_t i = 0; i < checks->size(); ++i) {
    const json &check = (*checks)[i];
    std::string pointer = "/dim_checks/" + std::to_string(i);
    if (!check.is_object() || !check.contains("dim") ||
        !check["dim"].is_string() || !check.contains("min") ||
        !check["min"].is_number_integer() || check["min"].get<int64_t>() < 1)
      return fail(pointer, "expected {\"dim\": name, \"min\": positive "
                           "int, \"node\": pointer, \"why\": text}");
    DimCheck parsed;
    if (kiln_status *status =
            findDim(sig, check["dim"], pointer + "/dim", parsed.symbol))
      return status;
    parsed.min = check["min"].get<int64_t>();
    parsed.node = check.value("node", std::string());
    parsed.why = check.value("why", std::string());
    sig.dimChecks.push_back(std::move(parsed));
  }
  return nullptr;
}

/// Index of the parameter named by `name`, or -1.
int32_t findParam(const Signature &sig, const json &name) {
  for (size_t p = 0; p < sig.params.size(); ++p)
    if (name.is_string() && sig.params[p].name == name.get<std::string>())
      return static_cast<int32_t>(p);
  return -1;
}

/// The optional "packed" list: f32 buffers with static shapes whose sizes
/// the session allocates at bind time, and the parameters they are filled
/// from.
kiln_status *parsePacked(const json &root, Signature &sig) {
  auto packed = root.find("packed");
  if (packed == root.end())
    return nullptr;
  if (!packed->is_array())
    return fail("/packed", "expected an array");
  for (size_t i = 0; i < packed->size(); ++i) {
    std::string pointer = "/packed/" + std::to_string(i);
    const json &buffer = (*packed)[i];
    if (!buffer.is_object() || buffer.value("dtype", json()) != "f32")
      return fail(pointer + "/dtype", "expected \"f32\"");
    auto shape = buffer.find("shape");
    if (shape == buffer.end() || !shape->is_array() ||
        shape->size() > KILN_MAX_RANK)
      return fail(pointer + "/shape", "expected an array of sizes");
    int64_t sizes[KILN_MAX_RANK];
    for (size_t d = 0; d < shape->size(); ++d) {
      if (!(*shape)[d].is_number_integer() || (*shape)[d].get<int64_t>() < 0)
        return fail(pointer + "/shape", "expected an array of sizes");
      sizes[d] = (*shape)[d].get<int64_t>();
    }
    int64_t elements = 0;
    if (!checkedProduct(sizes, static_cast<int>(shape->size()), elements) ||
        elements > INT64_MAX / 4)
      return fail(pointer + "/shape", "too large");
    PackedSpec spec;
    spec.bytes = static_cast<size_t>(elements) * 4;
    auto params = buffer.find("params");
    if (params != buffer.end() && !params->is_array())
      return fail(pointer + "/params", "expected an array of parameter names");
    for (size_t p = 0; params != buffer.end() && p < params->size(); ++p) {
      int32_t param = findParam(sig, (*params)[p]);
      if (param < 0)
        return fail(pointer + "/params/" + std::to_string(p),
                    "expected the name of a parameter");
      spec.params.push_back(param);
    }
    sig.packed.push_back(std::move(spec));
  }
  return nullptr;
}

/// The optional "packed_only" list: names of parameters the model reads
/// only through packed buffers.
kiln_status *parsePackedOnly(const json &root, Signature &sig) {
  auto names = root.find("packed_only");
  if (names == root.end())
    return nullptr;
  if (!names->is_array())
    return fail("/packed_only", "expected an array of parameter names");
  for (size_t i = 0; i < names->size(); ++i) {
    int32_t param = findParam(sig, (*names)[i]);
    if (param < 0)
      return fail("/packed_only/" + std::to_string(i),
                  "expected the name of a parameter");
    sig.params[param].packedOnly = true;
  }
  return nullptr;
}

/// The optional "generation" object: the entries' dims, inputs and state,
/// or why the model has no such entries.
kiln_status *parseGeneration(const json &root, Signature &sig) {
  GenerationSpec &gen = sig.generation;
  auto found = root.find("generation");
  if (found == root.end())
    return nullptr;
  const json &object = *found;
  if (!object.is_object())
    return fail("/generation", "expected an object");
  if (auto reason = object.find("unavailable"); reason != object.end()) {
    if (!reason->is_string())
      return fail("/generation/unavailable", "expected a string");
    gen.unavailable = reason->get<std::string>();
    return nullptr;
  }
  auto dims = object.find("dims");
  if (dims == object.end() || !dims->is_array())
    return fail("/generation/dims", "expected an array of names");
  for (const json &dim : *dims) {
    if (!dim.is_string())
      return fail("/generation/dims", "expected an array of names");
    gen.dims.push_back(dim.get<std::string>());
  }
  auto symbol = [&](const std::string &name) {
    auto it = std::find(gen.dims.begin(), gen.dims.end(), name);
    return it == gen.dims.end() ? -1 : static_cast<int32_t>(it - gen.dims.begin());
  };
  gen.sequencesSymbol = symbol("sequences");
  gen.capacitySymbol = symbol("capacity");
  if (gen.sequencesSymbol < 0 || gen.capacitySymbol < 0)
    return fail("/generation/dims", "expected 'sequences' and 'capacity'");
  for (auto [key, list] : {std::pair{"inputs", &gen.inputs},
                           std::pair{"state", &gen.state}}) {
    std::string pointer = std::string("/generation/") + key;
    auto tensors = object.find(key);
    if (tensors == object.end() || !tensors->is_array())
      return fail(pointer, "expected an array");
    list->resize(tensors->size());
    for (size_t i = 0; i < tensors->size(); ++i)
      if (kiln_status *status =
              parseTensor((*tensors)[i], pointer + "/" + std::to_string(i),
                          gen.dims, false, (*list)[i]))
        return status;
  }
  for (TensorSpec &spec : gen.state)
    spec.info.name = spec.name.c_str();
  // Token ids [batch, seq], then slots and positions, i64 [batch].
  const std::vector<TensorSpec> &inputs = gen.inputs;
  bool valid = inputs.size() == 3 && inputs[0].info.rank == 2 &&
               inputs[0].info.symbol[0] >= 0 && inputs[0].info.symbol[1] >= 0 &&
               (inputs[0].info.dtype == KILN_I32 ||
                inputs[0].info.dtype == KILN_I64);
  for (size_t i = 1; valid && i < 3; ++i)
    valid = inputs[i].info.dtype == KILN_I64 && inputs[i].info.rank == 1 &&
            inputs[i].info.symbol[0] == inputs[0].info.symbol[0];
  if (!valid)
    return fail("/generation/inputs",
                "expected token ids [batch, seq], then slots and positions "
                "i64 [batch]");
  gen.batchSymbol = inputs[0].info.symbol[0];
  gen.seqSymbol = inputs[0].info.symbol[1];
  for (size_t i = 0; i < gen.state.size(); ++i) {
    const kiln_tensor_info &info = gen.state[i].info;
    if (info.dtype != KILN_F32 || info.rank < 2 ||
        info.symbol[0] != gen.sequencesSymbol)
      return fail("/generation/state/" + std::to_string(i),
                  "expected f32 [sequences, ...]");
    for (int d = 1; d < info.rank; ++d)
      if (info.symbol[d] >= 0 && info.symbol[d] != gen.capacitySymbol)
        return fail("/generation/state/" + std::to_string(i) + "/shape",
                    "only 'sequences' and 'capacity' may be symbolic");
  }
  gen.available = true;
  return nullptr;
}

kiln_status *parseDevices(const json &root, Signature &sig) {
  auto devices = root.find("devices");
  if (devices == root.end()) {
    sig.devices = {"cpu"};
    return nullptr;
  }
  if (!devices->is_array())
    return fail("/devices", "expected an array of device names");
  for (const json &device : *devices) {
    if (!device.is_string())
      return fail("/devices", "expected an array of device names");
    sig.devices.push_back(device.get<std::string>());
  }
  return nullptr;
}

/// Unique names, and every dim bound by some input.
kiln_status *checkConsistency(Signature &sig) {
  std::set<std::string> names;
  const char *keys[] = {"inputs", "params", "outputs"};
  for (int role = 0; role < 3; ++role) {
    auto &tensors = sig.tensors(static_cast<kiln_tensor_role>(role));
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!names.insert(tensors[i].name).second)
        return fail(std::string("/") + keys[role] + "/" + std::to_string(i) +
                        "/name",
                    "duplicate tensor name " + quote(tensors[i].name));
      tensors[i].info.name = tensors[i].name.c_str();
    }
  }
  // Every dim a tensor uses must be bound by an input; a declared dim that
  // no tensor uses is harmless.
  for (size_t d = 0; d < sig.dims.size(); ++d) {
    auto uses = [&](const std::vector<TensorSpec> &tensors) {
      for (const TensorSpec &tensor : tensors)
        for (int i = 0; i < tensor.info.rank; ++i)
          if (tensor.info.symbol[i] == static_cast<int32_t>(d))
            return true;
      return false;
    };
    if (!uses(sig.inputs) && (uses(sig.outputs) || uses(sig.params)))
      return fail("/dims/" + std::to_string(d),
                  "dim " + quote(sig.dims[d]) +
                      " appears in no input shape, so it cannot be bound");
  }
  return nullptr;
}

} // namespace

kiln_status *parseSignature(const std::string &text, Signature &sig) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object())
    return fail("", "not a JSON object");
  auto abi = root.find("abi");
  if (abi == root.end() || !abi->is_number_integer() ||
      abi->get<int>() != kAbiVersion)
    return fail("/abi", "expected " + std::to_string(kAbiVersion));
  auto name = root.find("name");
  if (name == root.end() || !name->is_string())
    return fail("/name", "expected a string");
  sig.name = name->get<std::string>();
  auto dims = root.find("dims");
  if (dims != root.end()) {
    if (!dims->is_array())
      return fail("/dims", "expected an array of names");
    for (size_t i = 0; i < dims->size(); ++i) {
      const json &dim = (*dims)[i];
      if (!dim.is_string() || dim.get<std::string>().empty())
        return fail("/dims/" + std::to_string(i), "expected a name");
      for (const std::string &seen : sig.dims)
        if (seen == dim.get<std::string>())
          return fail("/dims/" + std::to_string(i),
                      "duplicate dim " + quote(seen));
      sig.dims.push_back(dim.get<std::string>());
    }
  }
  if (kiln_status *status =
          parseTensorList(root, "inputs", KILN_ROLE_INPUT, sig))
    return status;
  if (kiln_status *status =
          parseTensorList(root, "params", KILN_ROLE_PARAM, sig))
    return status;
  if (kiln_status *status =
          parseTensorList(root, "outputs", KILN_ROLE_OUTPUT, sig))
    return status;
  if (sig.outputs.empty())
    return fail("/outputs", "a model needs at least one output");
  if (kiln_status *status = parseOffsetChecks(root, sig))
    return status;
  if (kiln_status *status = parseDimChecks(root, sig))
    return status;
  if (kiln_status *status = parseIndexChecks(root, sig))
    return status;
  if (kiln_status *status = parseDevices(root, sig))
    return status;
  if (kiln_status *status = checkConsistency(sig))
    return status;
  // After the names are known to be unique: these refer to parameters.
  if (kiln_status *status = parsePacked(root, sig))
    return status;
  if (kiln_status *status = parsePackedOnly(root, sig))
    return status;
  return parseGeneration(root, sig);
}

} // namespace kiln::runtime
