//===- SignatureTest.cpp - Validation of model signatures -----------------===//
//
// The runtime trusts a signature only after checking it; each rule has a case
// here with the JSON pointer the message must name.
//
//===----------------------------------------------------------------------===//

#include "runtime/Signature.h"

#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

using namespace kiln::runtime;
using namespace kiln::runtime::test;

namespace {

std::string parse(const std::string &text) {
  Signature signature;
  return message(parseSignature(text, signature));
}

const char *kValid = R"({"abi": 2, "name": "m", "dims": ["b", "t"],
  "inputs": [{"name": "ids", "dtype": "i64", "shape": ["b", "t"]}],
  "params": [{"name": "w", "dtype": "bf16", "shape": [8, 2]}],
  "packed": [{"dtype": "f32", "shape": [1, 2, 16], "params": ["w"]}],
  "packed_only": ["w"],
  "outputs": [{"name": "y", "dtype": "f32", "shape": ["b", "t", 2]}],
  "index_checks": [{"input": "ids", "bound": 8}]})";

TEST(SignatureTest, ParsesValidSignature) {
  Signature signature;
  ASSERT_EQ(message(parseSignature(kValid, signature)), "");
  EXPECT_EQ(signature.name, "m");
  ASSERT_EQ(signature.inputs.size(), 1u);
  const kiln_tensor_info &ids = signature.inputs[0].info;
  EXPECT_STREQ(ids.name, "ids");
  EXPECT_EQ(ids.index_bound, 8);
  EXPECT_EQ(ids.symbol[1], 1);
  EXPECT_EQ(signature.params[0].info.dtype, KILN_BF16);
  EXPECT_EQ(signature.formatShape(signature.outputs[0].info), "[b, t, 2]");
  ASSERT_EQ(signature.packed.size(), 1u);
  EXPECT_EQ(signature.packed[0].bytes, 1u * 2 * 16 * 4);
  EXPECT_EQ(signature.packed[0].params, std::vector<int32_t>{0});
  EXPECT_TRUE(signature.params[0].packedOnly);
  EXPECT_EQ(signature.devices, std::vector<std::string>{"cpu"});
}

TEST(SignatureTest, RejectsBrokenSignatures) {
  EXPECT_NE(parse("nonsense").find("not a JSON object"), std::string::npos);
  EXPECT_NE(parse(R"({"abi": 1})").find("/abi: expected 2"), std::string::npos);
  auto with = [](const std::string &from, const std::string &to) {
    std::string text = kValid;
    text.replace(text.find(from), from.size(), to);
    return parse(text);
  };
  EXPECT_NE(with(R"("packed": [)", R"("packed": 3, "x": [)")
                .find("/packed: expected an array"),
            std::string::npos);
  EXPECT_NE(with(R"("dtype": "f32", "shape": [1)", R"("dtype": "f16", "shape": [1)")
                .find("/packed/0/dtype: expected \"f32\""),
            std::string::npos);
  EXPECT_NE(with("[1, 2, 16]", "[1, -2, 16]")
                .find("/packed/0/shape: expected an array of sizes"),
            std::string::npos);
  EXPECT_NE(with("[1, 2, 16]", "[4294967296, 4294967296, 16]")
                .find("/packed/0/shape: too large"),
            std::string::npos);
  EXPECT_NE(with(R"("params": ["w"])", R"("params": "w")")
                .find("/packed/0/params: expected an array of parameter names"),
            std::string::npos);
  EXPECT_NE(with(R"("params": ["w"])", R"("params": ["v"])")
                .find("/packed/0/params/0: expected the name of a parameter"),
            std::string::npos);
  EXPECT_NE(with(R"("packed_only": ["w"])", R"("packed_only": "w")")
                .find("/packed_only: expected an array of parameter names"),
            std::string::npos);
  EXPECT_NE(with(R"("packed_only": ["w"])", R"("packed_only": ["w", 3])")
                .find("/packed_only/1: expected the name of a parameter"),
            std::string::npos);
  EXPECT_NE(with(R"("dtype": "i64")", R"("dtype": "u8")")
                .find("/inputs/0/dtype: expected one of f32"),
            std::string::npos);
  EXPECT_NE(with(R"(["b", "t", 2])", R"(["b", "s", 2])")
                .find("/outputs/0/shape/1: undeclared dim 's'"),
            std::string::npos);
  EXPECT_NE(with("[8, 2]", R"(["b", 2])")
                .find("/params/0/shape/0: parameter shapes must be static"),
            std::string::npos);
  EXPECT_NE(with(R"(["b", "t"]}])", R"(["b", 3]}])")
                .find("/dims/1: dim 't' appears in no input shape"),
            std::string::npos);
  EXPECT_NE(with(R"("name": "w")", R"("name": "ids")")
                .find("/params/0/name: duplicate tensor name 'ids'"),
            std::string::npos);
  EXPECT_NE(with(R"("bound": 8)", R"("bound": 0)")
                .find("/index_checks/0/bound: expected a positive integer"),
            std::string::npos);
  EXPECT_NE(with(R"({"input": "ids")", R"({"input": "nope")")
                .find("/index_checks/0/input: no input named 'nope'"),
            std::string::npos);
  EXPECT_NE(with(R"("dims": ["b", "t"])", R"("dims": ["b", "b"])")
                .find("/dims/1: duplicate dim 'b'"),
            std::string::npos);
}


TEST(SignatureTest, ParsesOffsetChecks) {
  auto withOffsets = [](const std::string &inputs, const std::string &checks) {
    std::string text = R"({"abi": 2, "name": "m", "dims": ["t", "n"],
      "inputs": [{"name": "x", "dtype": "f32", "shape": [1, "t", 2, 4]},)" +
                       inputs + R"(],
      "params": [], "outputs": [{"name": "y", "dtype": "f32",
                                 "shape": [1, "t", 2, 4]}],
      "offset_checks": )" + checks + "}";
    Signature signature;
    std::string error = message(parseSignature(text, signature));
    if (error.empty()) {
      const TensorSpec &offsets = signature.inputs[1];
      EXPECT_TRUE(offsets.isOffsets);
      EXPECT_EQ(offsets.offsetsSymbol, 0);
    }
    return error;
  };
  const char *offsets = R"({"name": "o", "dtype": "i32", "shape": ["n"]})";
  EXPECT_EQ(withOffsets(offsets, R"([{"input": "o", "bound": "t"}])"), "");
  EXPECT_NE(withOffsets(offsets, R"([{"input": "o", "bound": "s"}])")
                .find("/offset_checks/0/bound: undeclared dim 's'"),
            std::string::npos);
  EXPECT_NE(withOffsets(R"({"name": "o", "dtype": "f32", "shape": ["n"]})",
                        R"([{"input": "o", "bound": "t"}])")
                .find("must be a 1-D i32 or i64 tensor"),
            std::string::npos);
  EXPECT_NE(withOffsets(offsets, R"([{"input": "p", "bound": 4}])")
                .find("/offset_checks/0/input: no input named 'p'"),
            std::string::npos);
}

TEST(SignatureTest, ParsesDimChecks) {
  auto withChecks = [](const std::string &checks, Signature &signature) {
    std::string text = kValid;
    text.insert(text.rfind('}'), ", \"dim_checks\": " + checks);
    return message(parseSignature(text, signature));
  };
  Signature signature;
  ASSERT_EQ(withChecks(R"([{"dim": "t", "min": 5, "node": "/nodes/0",
                            "why": "slice [0, 5) of axis 1"}])",
                       signature),
            "");
  ASSERT_EQ(signature.dimChecks.size(), 1u);
  EXPECT_EQ(signature.dimChecks[0].min, 5);
  EXPECT_EQ(signature.dims[signature.dimChecks[0].symbol], "t");
  EXPECT_EQ(signature.dimChecks[0].node, "/nodes/0");
  Signature undeclared, zero;
  EXPECT_NE(withChecks(R"([{"dim": "s", "min": 2}])", undeclared)
                .find("/dim_checks/0/dim: undeclared dim 's'"),
            std::string::npos);
  EXPECT_NE(withChecks(R"([{"dim": "t", "min": 0}])", zero)
                .find("/dim_checks/0: expected"),
            std::string::npos);
}

} // namespace

namespace {

/// kValid with a "generation" object (docs/abi.md, "Generation").
std::string withGeneration(const std::string &generation) {
  std::string text = kValid;
  text.insert(text.rfind('}'), ", \"generation\": " + generation);
  return text;
}

const char *kGeneration = R"({"dims": ["b", "t", "sequences", "capacity"],
  "inputs": [{"name": "ids", "dtype": "i64", "shape": ["b", "t"]},
             {"name": "slots", "dtype": "i64", "shape": ["b"]},
             {"name": "positions", "dtype": "i64", "shape": ["b"]}],
  "state": [{"name": "/nodes/1 key cache", "dtype": "f32",
             "shape": ["sequences", "capacity", 2, 4]},
            {"name": "/nodes/2 state", "dtype": "f32",
             "shape": ["sequences", 8]}]})";

TEST(SignatureTest, ParsesGeneration) {
  Signature signature;
  ASSERT_EQ(message(parseSignature(withGeneration(kGeneration), signature)),
            "");
  const GenerationSpec &generation = signature.generation;
  EXPECT_TRUE(generation.available);
  EXPECT_EQ(generation.batchSymbol, 0);
  EXPECT_EQ(generation.seqSymbol, 1);
  EXPECT_EQ(generation.sequencesSymbol, 2);
  EXPECT_EQ(generation.capacitySymbol, 3);
  ASSERT_EQ(generation.state.size(), 2u);
  EXPECT_EQ(generation.state[0].info.symbol[1], 3);
  EXPECT_EQ(generation.state[1].info.shape[1], 8);

  Signature without;
  ASSERT_EQ(message(parseSignature(
                withGeneration(R"({"unavailable": "/nodes/3: why"})"),
                without)),
            "");
  EXPECT_FALSE(without.generation.available);
  EXPECT_EQ(without.generation.unavailable, "/nodes/3: why");
}

TEST(SignatureTest, RejectsBrokenGeneration) {
  auto with = [](const std::string &from, const std::string &to) {
    std::string text = kGeneration;
    text.replace(text.find(from), from.size(), to);
    return parse(withGeneration(text));
  };
  EXPECT_NE(parse(withGeneration("3")).find("/generation: expected an object"),
            std::string::npos);
  EXPECT_NE(with(R"("sequences", "capacity"])", R"("s", "c"])")
                .find("/generation/dims: expected 'sequences' and 'capacity'"),
            std::string::npos);
  EXPECT_NE(with(R"("name": "slots", "dtype": "i64")",
                 R"("name": "slots", "dtype": "i32")")
                .find("/generation/inputs: expected token ids [batch, seq], "
                      "then slots and positions i64 [batch]"),
            std::string::npos);
  EXPECT_NE(with(R"("dtype": "f32",
             "shape": ["sequences", 8])",
                 R"("dtype": "f16",
             "shape": ["sequences", 8])")
                .find("/generation/state/1: expected f32 [sequences, ...]"),
            std::string::npos);
  EXPECT_NE(with(R"(["sequences", 8])", R"(["sequences", "b"])")
                .find("/generation/state/1/shape: only 'sequences' and "
                      "'capacity' may be symbolic"),
            std::string::npos);
  EXPECT_NE(with(R"(["sequences", 8])", R"(["sequences", "q"])")
                .find("/generation/state/1/shape/1: undeclared dim 'q'"),
            std::string::npos);
}

} // namespace
