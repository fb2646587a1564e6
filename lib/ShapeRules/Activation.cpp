//===- Activation.cpp - Names and op subsets of the activations -----------===//

#include "lib/ShapeRules/Activation.h"

#include <algorithm>

namespace kiln {
namespace {

struct Entry {
  Activation activation;
  const char *name;
};

/// The one table of names.
constexpr Entry kActivations[] = {{Activation::relu, "relu"},
                                  {Activation::gelu, "gelu"},
                                  {Activation::gelu_tanh, "gelu_tanh"},
                                  {Activation::silu, "silu"},
                                  {Activation::relu2, "relu2"},
                                  {Activation::sigmoid, "sigmoid"},
                                  {Activation::tanh, "tanh"},
                                  {Activation::quick_gelu, "quick_gelu"}};

bool contains(const std::vector<Activation> &list, Activation activation) {
  return std::find(list.begin(), list.end(), activation) != list.end();
}

} // namespace

const char *activationName(Activation activation) {
  for (const Entry &entry : kActivations)
    if (entry.activation == activation)
      return entry.name;
  return "";
}

std::optional<Activation> parseActivation(const std::string &name) {
  for (const Entry &entry : kActivations)
    if (name == entry.name)
      return entry.activation;
  return std::nullopt;
}

const std::vector<Activation> &mlpActivations() {
  static const std::vector<Activation> list = {
      Activation::relu, Activation::gelu,  Activation::gelu_tanh,
      Activation::silu, Activation::relu2, Activation::quick_gelu};
  return list;
}

const std::vector<Activation> &gluActivations() {
  static const std::vector<Activation> list = {
      Activation::silu, Activation::gelu, Activation::relu,
      Activation::gelu_tanh, Activation::sigmoid};
  return list;
}

bool isMlpActivation(Activation activation) {
  return contains(mlpActivations(), activation);
}

bool isGluActivation(Activation activation) {
  return contains(gluActivations(), activation);
}

std::vector<std::string>
activationNames(const std::vector<Activation> &activations) {
  std::vector<std::string> names;
  for (Activation activation : activations)
    names.push_back(activationName(activation));
  return names;
}

std::string describeActivations(const std::vector<Activation> &activations) {
  std::string text;
  for (size_t i = 0; i < activations.size(); ++i) {
    if (i)
      text += i + 1 == activations.size() ? " or " : ", ";
    text += activationName(activations[i]);
  }
  return text;
}

} // namespace kiln
