//===- ModelTestSupport.h - Helpers for the model parser tests --*- C++ -*-===//
//
// Locating test data and parsing inline models in the KilnModel unit tests.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_MODEL_MODELTESTSUPPORT_H
#define KILN_TEST_UNIT_MODEL_MODELTESTSUPPORT_H

#include "lib/Import/JSON/Model.h"

#include <cstdlib>
#include <string>

namespace kiln::model::test {

/// The test/unit directory: $KILN_TEST_DATA, else found from this file.
inline std::string unitDir() {
  if (const char *dir = std::getenv("KILN_TEST_DATA"))
    return dir;
  std::string file = __FILE__;
  return file.substr(0, file.rfind("/Model/"));
}

/// A model built around the given nodes and outputs: dims batch and seq,
/// inputs x [batch, seq, 64] f32, ids [batch, seq] i32, q/k/v
/// [batch, seq, 4, 16] f32, and params w [32, 64], b [32], w2 [64, 32].
inline std::string smallModel(const std::string &nodes,
                              const std::string &outputs = R"(["y"])") {
  return R"({"kiln": 1, "name": "m", "dims": ["batch", "seq"],
  "inputs": [{"name": "x", "dtype": "f32", "shape": ["batch", "seq", 64]},
             {"name": "ids", "dtype": "i32", "shape": ["batch", "seq"]},
             {"name": "q", "dtype": "f32", "shape": ["batch", "seq", 4, 16]},
             {"name": "k", "dtype": "f32", "shape": ["batch", "seq", 4, 16]},
             {"name": "v", "dtype": "f32", "shape": ["batch", "seq", 4, 16]}],
  "params": [{"name": "w", "dtype": "f32", "shape": [32, 64]},
             {"name": "b", "dtype": "f32", "shape": [32]},
             {"name": "w2", "dtype": "f32", "shape": [64, 32]}],
  "nodes": )" + nodes + R"(,
  "outputs": )" + outputs + "}";
}

} // namespace kiln::model::test

#endif // KILN_TEST_UNIT_MODEL_MODELTESTSUPPORT_H
