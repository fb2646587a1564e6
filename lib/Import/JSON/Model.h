//===- Model.h - Validated, shape-inferred JSON IR v1 model -----*- C++ -*-===//
//
// The in-memory form of a Kiln JSON IR v1 model after parsing, validation and
// shape inference. It has no MLIR dependency so that the reference evaluator
// and kiln-run can use it as well as the MLIR importer.
//
// Every consumer reads *normalized* node attributes: defaults are filled in,
// negative axes are made non-negative, and derived values (attention scale,
// split sizes, reshape targets) are explicit, so no consumer re-derives them.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_IMPORT_JSON_MODEL_H
#define KILN_IMPORT_JSON_MODEL_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::model {

/// Bool is one byte per element holding 0 or 1 (NumPy `|b1`), the result
/// type of comparisons.
enum class DType { F32, F16, BF16, I32, I64, Bool };

/// Returns "f32", "f16", "bf16", "i32", "i64" or "bool".
const char *dtypeName(DType type);
/// Parses a dtype name; std::nullopt for anything else.
std::optional<DType> parseDType(const std::string &name);
/// Size of one element in bytes.
int64_t dtypeSize(DType type);
bool isFloat(DType type);
/// i32 or i64.
bool isInteger(DType type);

/// One dimension: either a static size or a symbolic dimension declared in
/// the model's `dims` (an index into Model::dims).
struct Dim {
  int64_t size = 0;  ///< Valid when symbol < 0.
  int symbol = -1;   ///< Index into Model::dims, or -1 for a static dim.

  static Dim fixed(int64_t size) { return {size, -1}; }
  static Dim symbolic(int symbol) { return {0, symbol}; }
  bool isStatic() const { return symbol < 0; }
  bool operator==(const Dim &o) const {
    return symbol == o.symbol && (symbol >= 0 || size == o.size);
  }
  bool operator!=(const Dim &o) const { return !(*this == o); }
};

using Shape = std::vector<Dim>;

struct TensorType {
  DType dtype = DType::F32;
  Shape shape;
};

/// The highest rank a tensor may have: the runtime's KILN_MAX_RANK
/// (docs/abi.md), which every graph input, parameter and output must meet.
constexpr size_t kMaxRank = 8;

/// Why `type` cannot be a tensor: a rank above kMaxRank, or static sizes
/// whose bytes overflow int64 (symbolic dims counted as 1); empty if it can.
std::string tensorTypeProblem(const TensorType &type);

enum class ValueKind { Input, Param, NodeOutput };

/// A named value. Values are numbered in definition order: graph inputs,
/// then parameters, then node outputs in node order.
struct Value {
  std::string name;
  TensorType type;
  ValueKind kind = ValueKind::Input;
  int producer = -1;  ///< Node index for NodeOutput, else -1.
};

struct Node {
  std::string op;              ///< JSON op name, e.g. "attention".
  std::vector<int> inputs;     ///< Value ids; -1 for a skipped optional input.
  std::vector<int> outputs;    ///< Value ids.
  nlohmann::json attrs;        ///< Normalized attributes (see docs/json-ir.md).
  std::string pointer;         ///< JSON pointer of the node, e.g. "/nodes/7".
};

/// A validated model. Nodes are in a valid execution order (topologically
/// sorted); `pointer` keeps each node's original position for diagnostics.
struct Model {
  std::string name;
  std::vector<std::string> dims;   ///< Symbolic dimension names.
  std::vector<int> inputs;         ///< Value ids of graph inputs.
  std::vector<int> params;         ///< Value ids of parameters.
  std::vector<int> outputs;        ///< Value ids of graph outputs.
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::string weights;             ///< Resolved weights path, or empty.
  std::string source;              ///< The JSON text the model was read from.

  const Value &value(int id) const { return values[id]; }
  /// Value id for a name, or -1.
  int lookup(const std::string &name) const;
};

/// A located error: `location` is `file:line:col` for syntax errors and
/// `file: /json/pointer` for everything else.
struct Error {
  std::string location;
  std::string message;
  /// "location: error: message".
  std::string str() const;
};

/// Parses, validates and shape-infers a model from JSON text. `fileName` is
/// used in error locations and to resolve the relative `weights` path.
/// Returns std::nullopt and fills `error` on the first problem.
std::optional<Model> parseModel(const std::string &text,
                                const std::string &fileName, Error &error);

/// Reads the file and calls parseModel.
std::optional<Model> loadModel(const std::string &path, Error &error);

/// The input position of an op's packed-batch `seq_offsets` (attention,
/// linear_attention, selective_scan, linear_recurrence, conv1d), or -1.
int seqOffsetsInput(const std::string &op);

/// Formats a shape as "[batch, seq, 64]".
std::string formatShape(const Model &model, const Shape &shape);

} // namespace kiln::model

#endif // KILN_IMPORT_JSON_MODEL_H
