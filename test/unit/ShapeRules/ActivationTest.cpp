//===- ActivationTest.cpp - The shared activation list --------------------===//

#include "lib/ShapeRules/Activation.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(Activation, NamesRoundTrip) {
  for (Activation activation :
       {Activation::relu, Activation::gelu, Activation::gelu_tanh,
        Activation::silu, Activation::relu2, Activation::sigmoid,
        Activation::tanh, Activation::quick_gelu})
    EXPECT_EQ(parseActivation(activationName(activation)), activation);
  EXPECT_EQ(parseActivation("swish"), std::nullopt);
}

TEST(Activation, OpSubsets) {
  EXPECT_EQ(activationNames(mlpActivations()),
            (std::vector<std::string>{"relu", "gelu", "gelu_tanh", "silu",
                                      "relu2", "quick_gelu"}));
  EXPECT_TRUE(isMlpActivation(Activation::relu2));
  EXPECT_FALSE(isMlpActivation(Activation::sigmoid));
  EXPECT_TRUE(isGluActivation(Activation::gelu));
  EXPECT_TRUE(isGluActivation(Activation::gelu_tanh));
  EXPECT_FALSE(isGluActivation(Activation::relu2));
  EXPECT_EQ(describeActivations(gluActivations()),
            "silu, gelu, relu, gelu_tanh or sigmoid");
}

} // namespace
} // namespace kiln
