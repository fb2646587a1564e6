//===- Activation.h - The one list of pointwise activations -----*- C++ -*-===//
//
// Every layer maps from this enum: the JSON front end reads its names, the
// `#graph<activation …>` attribute stores it, the lowering and the
// reference evaluator switch on it. Adding an activation means adding it
// here (the switches that must handle it then fail to compile).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SHAPERULES_ACTIVATION_H
#define KILN_SHAPERULES_ACTIVATION_H

#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// Enumerators are spelled as the JSON IR and the IR print them.
enum class Activation {
  relu,
  gelu,
  gelu_tanh,
  silu,
  relu2,
  sigmoid,
  tanh,
  quick_gelu
};

/// quick_gelu(x) = x · sigmoid(1.702 x), the GELU approximation of
/// OpenAI's CLIP (HF's "quick_gelu").
inline constexpr double kQuickGeluScale = 1.702;

/// "relu", "gelu_tanh", ...
const char *activationName(Activation activation);
/// The activation of a name, or nullopt.
std::optional<Activation> parseActivation(const std::string &name);

/// What `mlp` takes (docs/json-ir.md), in the order messages list them.
const std::vector<Activation> &mlpActivations();
/// What `glu` takes: SwiGLU, GeGLU, ReGLU, GeGLU with the tanh GELU
/// (Gemma) and the sigmoid of the original GLU, in the order messages list
/// them.
const std::vector<Activation> &gluActivations();
bool isMlpActivation(Activation activation);
bool isGluActivation(Activation activation);
/// The names of `activations`, in order.
std::vector<std::string>
activationNames(const std::vector<Activation> &activations);
/// "silu, gelu or relu": the names, the last after "or".
std::string describeActivations(const std::vector<Activation> &activations);

} // namespace kiln

#endif // KILN_SHAPERULES_ACTIVATION_H
