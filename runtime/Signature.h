//===- Signature.h - The signature of a compiled model -----------*- C++
//-*-===//
//
// The parsed form of the signature JSON that a compiled model returns from
// kiln_compiled_signature() (docs/abi.md), validated so that sessions can trust
// it: known dtypes, dims that are declared and bound by some input, static
// parameter shapes, unique names and index checks on integer inputs.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SIGNATURE_H
#define KILN_RUNTIME_SIGNATURE_H

#include "kiln/runtime/kiln_runtime.h"

#include <string>
#include <vector>

namespace kiln::runtime {

/// The compiled-model ABI version this runtime speaks (docs/abi.md).
inline constexpr int kAbiVersion = 2;

/// One tensor of the signature. `info.name` points into `name`.
struct TensorSpec {
  std::string name;
  kiln_tensor_info info;
  /// For an input used as attention seq_offsets: its values must be
  /// non-decreasing within [0, bound], the bound a static size
  /// (`offsetsBound`) or a symbolic dim (`offsetsSymbol`).
  bool isOffsets = false;
  int64_t offsetsBound = 0;
  int32_t offsetsSymbol = -1;
  /// For a parameter: the model reads it only through its packed buffers.
  bool packedOnly = false;
};

/// A packed weight buffer (docs/abi.md): its size and the parameters
/// (indices into `params`) it is filled from.
struct PackedSpec {
  size_t bytes = 0;
  std::vector<int32_t> params;
};

/// A validated signature. Not copyable: the tensor infos point into it.
/// The prefill and decode entries (docs/abi.md, "Generation").
struct GenerationSpec {
  /// Whether the model has them; else why not (empty for a model compiled
  /// before they existed).
  bool available = false;
  std::string unavailable;
  /// The model's dims, then "sequences" and "capacity".
  std::vector<std::string> dims;
  int32_t batchSymbol = -1, seqSymbol = -1, sequencesSymbol = -1,
          capacitySymbol = -1;
  /// The token ids, slots and positions.
  std::vector<TensorSpec> inputs;
  /// Per-sequence f32 state buffers, shaped with the dims above.
  std::vector<TensorSpec> state;
};

/// A symbolic dim that an op needs at least `min` of (a slice with a static
/// size of it, top_k's k): the node's JSON pointer and what it does.
struct DimCheck {
  int32_t symbol = -1;
  int64_t min = 1;
  std::string node, why;
};

struct Signature {
  std::string name;
  std::vector<std::string> dims;
  std::vector<DimCheck> dimChecks;
  std::vector<TensorSpec> inputs, params, outputs;
  /// The packed weight buffers, in ABI order.
  std::vector<PackedSpec> packed;
  /// Devices the model has code for; "cpu" when the signature says nothing.
  std::vector<std::string> devices;
  GenerationSpec generation;

  Signature() = default;
  Signature(const Signature &) = delete;
  Signature &operator=(const Signature &) = delete;

  std::vector<TensorSpec> &tensors(kiln_tensor_role role);
  const std::vector<TensorSpec> &tensors(kiln_tensor_role role) const;
  /// Formats a signature shape with dim names, e.g. "[batch, seq, 64]".
  std::string formatShape(const kiln_tensor_info &info) const;
};

/// Parses and validates `json` into `out` (which must be empty). Messages
/// name the offending JSON pointer, e.g. "/inputs/0/dtype".
kiln_status *parseSignature(const std::string &json, Signature &out);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_SIGNATURE_H
