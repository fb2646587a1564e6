//===- RunCheck.cpp - kiln-run --check against the reference --------------===//
//
// The reference evaluator holds tensors as doubles; conversion goes through
// kiln_tensor_get so that f16 and bf16 are widened exactly. Outputs are
// matched by name between the compiled signature and the source model.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln-run/RunCheck.h"

#include "lib/Import/JSON/Model.h"
#include "lib/Reference/Evaluator.h"

#include <iomanip>
#include <map>
#include <sstream>

namespace kiln::run {

namespace {

model::DType toModelDType(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_F16:
    return model::DType::F16;
  case KILN_BF16:
    return model::DType::BF16;
  case KILN_I32:
    return model::DType::I32;
  case KILN_I64:
    return model::DType::I64;
  case KILN_BOOL:
    return model::DType::Bool;
  case KILN_F32:
    break;
  }
  return model::DType::F32;
}

reference::Tensor toReference(const kiln_tensor &tensor) {
  reference::Tensor out;
  out.dtype = toModelDType(tensor.dtype);
  out.shape.assign(tensor.shape, tensor.shape + tensor.rank);
  int64_t count = kiln_tensor_num_elements(&tensor);
  out.data.resize(count);
  for (int64_t i = 0; i < count; ++i)
    out.data[i] = kiln_tensor_get(&tensor, i);
  return out;
}

bool collectParams(const kiln_model *compiled, const kiln_weights *weights,
                   std::map<std::string, reference::Tensor> &params,
                   std::string &error) {
  for (int32_t i = 0; i < kiln_model_num_tensors(compiled, KILN_ROLE_PARAM);
       ++i) {
    const char *name = kiln_model_tensor(compiled, KILN_ROLE_PARAM, i)->name;
    kiln_tensor tensor;
    if (rt::failed(kiln_weights_tensor(
                       weights, kiln_weights_find(weights, name), &tensor),
                   error))
      return false;
    params[name] = toReference(tensor);
  }
  return true;
}

/// The default tolerances: fp32 within 1e-4 relative (DESIGN.md §6); a
/// model that computes in f16 or bf16 anywhere rounds its intermediates to
/// 11 or 8 significant bits, where summation order alone moves results by
/// an ulp or two: 2e-3 and 2e-2 relative, as the e2e tests of those types.
std::pair<double, double> defaultTolerance(const model::Model &m) {
  bool f16 = false, bf16 = false;
  for (const model::Value &value : m.values) {
    f16 = f16 || value.type.dtype == model::DType::F16;
    bf16 = bf16 || value.type.dtype == model::DType::BF16;
  }
  if (bf16)
    return {2e-2, 1e-2};
  if (f16)
    return {2e-3, 1e-3};
  return {1e-4, 1e-5};
}

} // namespace

bool checkOutputs(const kiln_model *compiled, const std::string &modelPath,
                  const kiln_weights *weights,
                  const std::vector<rt::OwnedTensor> &inputs,
                  const std::vector<rt::OwnedTensor> &outputs,
                  CheckTolerance tolerance, std::ostream &report,
                  std::string &error) {
  std::string source = kiln_model_source(compiled);
  if (source.empty()) {
    error = "--check: model '" + modelPath + "' carries no JSON IR source";
    return false;
  }
  model::Error parseError;
  std::optional<model::Model> parsed =
      model::parseModel(source, modelPath, parseError);
  if (!parsed) {
    error =
        "--check: the model's source does not parse: " + parseError.location +
        ": " + parseError.message;
    return false;
  }
  auto [defaultRtol, defaultAtol] = defaultTolerance(*parsed);
  double rtol = tolerance.rtol.value_or(defaultRtol);
  double atol = tolerance.atol.value_or(defaultAtol);
  std::map<std::string, reference::Tensor> inputMap, params;
  for (size_t i = 0; i < inputs.size(); ++i)
    inputMap[kiln_model_tensor(compiled, KILN_ROLE_INPUT,
                               static_cast<int32_t>(i))
                 ->name] = toReference(inputs[i].tensor);
  if (weights && !collectParams(compiled, weights, params, error))
    return false;
  std::string evalError;
  auto expected = reference::evaluate(*parsed, inputMap, params, evalError);
  if (!expected) {
    error = "--check: reference evaluation failed: " + evalError;
    return false;
  }

  int failures = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string name =
        kiln_model_tensor(compiled, KILN_ROLE_OUTPUT, static_cast<int32_t>(i))
            ->name;
    const reference::Tensor *match = nullptr;
    for (size_t r = 0; r < parsed->outputs.size(); ++r)
      if (parsed->value(parsed->outputs[r]).name == name)
        match = &(*expected)[r];
    if (!match) {
      error = "--check: the model's source has no output '" + name + "'";
      return false;
    }
    reference::Comparison result =
        reference::compare(toReference(outputs[i].tensor), *match, rtol, atol);
    // A local stream keeps the precision setting off the caller's stream.
    std::ostringstream line;
    line << "check " << name << ": max abs err " << std::setprecision(3)
         << result.maxAbsErr << ", max rel err " << result.maxRelErr;
    if (result.ok) {
      line << ": PASS (rtol " << rtol << " atol " << atol << ")";
    } else {
      ++failures;
      line << ": FAIL (" << result.mismatches << " elements outside rtol "
           << rtol << " atol " << atol << "; worst at flat index "
           << result.worstIndex << ")";
    }
    report << line.str() << "\n";
  }
  if (failures) {
    error = "--check: " + std::to_string(failures) + " of " +
            std::to_string(outputs.size()) +
            " outputs differ from the reference evaluator";
    return false;
  }
  return true;
}

} // namespace kiln::run
