//===- Generation.h - Which models get prefill/decode entries ---*- C++ -*-===//
//
// Decides whether a model can be compiled into the `prefill` and `decode`
// entries of docs/compiler.md ("Generation") and derives the per-sequence
// state of each stateful node from the node itself: attention keeps a K/V
// cache (a ring of `window` entries for a sliding window, of `block` for a
// causal block-diagonal mask; only the K/V heads under GQA), conv1d its last
// K-1 inputs, selective_scan and linear_recurrence their state, causal
// linear_attention its running sums. A model that cannot generate gets the
// reason, located at the node or attribute at fault.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_IMPORT_JSON_GENERATION_H
#define KILN_IMPORT_JSON_GENERATION_H

#include "lib/Import/JSON/Model.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace kiln::model {

/// The dims the generation entries add to the model's: the number of
/// sequences a session holds and their maximum length.
inline constexpr const char *kSequencesDim = "sequences";
inline constexpr const char *kCapacityDim = "capacity";

/// One per-sequence f32 state buffer of shape
/// `[sequences, ring?, rest...]`: with `hasRing`, dim 1 holds positions
/// modulo `ring` (a size, or 0 for kCapacityDim).
struct StateBuffer {
  std::string name;
  bool hasRing = false;
  int64_t ring = 0;
  std::vector<int64_t> rest;
};

struct GenerationPlan {
  /// Empty when the model can generate; else "pointer: reason".
  std::string unavailable;
  int tokens = -1;      ///< Value id of the token input.
  int batchSymbol = -1; ///< Symbols of the token input's two dims.
  int seqSymbol = -1;
  std::vector<StateBuffer> states;
  /// Index of each stateful node's first state buffer.
  std::map<int, int> firstState;
  /// Values that gain a leading batch dim in the decode entry: positions
  /// from `arange` along the sequence become `[batch, seq]`.
  std::set<int> batchedInDecode;

  bool available() const { return unavailable.empty(); }
};

/// Analyzes `model`; never fails, see GenerationPlan::unavailable.
GenerationPlan planGeneration(const Model &model);

/// The signature's "generation" object (docs/abi.md).
nlohmann::json describeGeneration(const Model &model,
                                  const GenerationPlan &plan);

} // namespace kiln::model

#endif // KILN_IMPORT_JSON_GENERATION_H
