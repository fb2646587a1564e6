//===- DataPlan.h - What kiln-gen-data puts in each tensor -------*- C++
//-*-===//
//
// Decides, from how the model uses a value, what values make sense in it:
// embedding ids within the table size, rope positions 0..T-1, packed
// sequence offsets that partition T, norm weights around 1, negative state
// matrices for selective scans, and small uniform values elsewhere. Filling
// is deterministic: each tensor has its own random stream derived from the
// seed and the tensor's name.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_GEN_DATA_DATAPLAN_H
#define KILN_TOOLS_KILN_GEN_DATA_DATAPLAN_H

#include "kiln/runtime/kiln_runtime.h"
#include "lib/Import/JSON/Model.h"

#include <cstdint>
#include <map>
#include <string>

namespace kiln::gendata {

enum class Role {
  Generic,      ///< Uniform values (fan-in scaled for weight matrices).
  EmbeddingIds, ///< Integers in [0, bound).
  Positions,    ///< 0..T-1 along the last axis.
  SeqOffsets,   ///< Nondecreasing 0 = o[0] <= ... <= o[N] = length.
  NormWeight,   ///< Around 1.
  ScanA         ///< Negative, so that exp(delta * A) decays.
};

struct Usage {
  Role role = Role::Generic;
  int64_t bound = 0; ///< EmbeddingIds: the table size.
  int lengthOf = -1; ///< SeqOffsets: value whose dim 1 is the token count.
};

/// Classifies value `id` by its first telling use in the model.
Usage classify(const model::Model &m, int id);

/// Resolves a declared shape with the --dim values; fails naming the value
/// and the missing dim.
bool resolveShape(const model::Model &m, const model::Value &value,
                  const std::map<std::string, int64_t> &dims, kiln_tensor &out,
                  std::string &error);

struct FillOptions {
  uint64_t seed = 0;
  double scale = 1.0;
};

/// Fills allocated `tensor` holding value `id` of the model.
void fill(const model::Model &m, int id, const Usage &usage,
          const std::map<std::string, int64_t> &dims,
          const FillOptions &options, kiln_tensor &tensor);

} // namespace kiln::gendata

#endif // KILN_TOOLS_KILN_GEN_DATA_DATAPLAN_H
