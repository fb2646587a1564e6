//===- ModelInternal.h - Shared pieces of the JSON IR parser ----*- C++ -*-===//
//
// Declarations shared by the files that implement parseModel: the diagnostic
// sink, JSON helpers, the per-node shape-inference context and the op table.
// Not installed and not used outside lib/Import/JSON.
//
// Every check returns bool: false means the first error has been recorded in
// the Diag, and the caller returns false at once. Nothing here throws.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_IMPORT_JSON_MODELINTERNAL_H
#define KILN_IMPORT_JSON_MODELINTERNAL_H

#include "lib/Import/JSON/Model.h"
#include "lib/ShapeRules/ShapeRules.h"

#include <string>
#include <vector>

namespace kiln::model::detail {

using json = nlohmann::json;

/// Records the first error of a parse, located by file and JSON pointer.
class Diag {
public:
  Diag(std::string fileName, Error &error)
      : fileName(std::move(fileName)), error(error) {}

  /// Records `message` at `pointer` ("" is the document root) and returns
  /// false, so that callers can write `return diag.fail(...)`.
  bool fail(const std::string &pointer, const std::string &message);

  const std::string &file() const { return fileName; }

private:
  std::string fileName;
  Error &error;
};

/// Escapes an object key for a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
std::string escapePointer(const std::string &key);
/// "object", "array", "string", "integer", "number", "boolean" or "null".
std::string jsonTypeName(const json &value);
/// The value as it appears in JSON, for messages: scalars and short flat
/// arrays in full, anything larger by its type name.
std::string brief(const json &value);
/// The value as an int64 if it is a JSON integer that fits, else nullopt.
std::optional<int64_t> asInt(const json &value);
/// True for `[A-Za-z_][A-Za-z0-9_.-]*`.
bool isIdentifier(const std::string &text);
/// Reads a dtype name; false after recording an error at `pointer`.
bool readDType(Diag &diag, const json &value, const std::string &pointer,
               DType &out);
/// Joins strings as "a, b, c".
std::string join(const std::vector<std::string> &items);

/// Formats one dim as "seq" or "64".
std::string formatDim(const Model &model, const Dim &dim);

/// The shape rules' view of a model dim or shape, and back.
shapes::Dim ruleDim(const Dim &dim);
shapes::Shape ruleShape(const Shape &shape);
Shape modelShape(const shapes::Shape &shape);

struct OpContext;

/// The static description of one op: positional inputs, output count, the
/// attr keys it accepts and its shape-inference function.
struct OpSpec {
  const char *name = "";
  /// Positional input roles; a trailing '?' marks an optional input.
  std::vector<std::string> inputs;
  /// Any number (at least one) of inputs, all in the role of inputs[0].
  bool variadic = false;
  unsigned minOutputs = 1;
  /// 0: any number of outputs (split).
  unsigned maxOutputs = 1;
  std::vector<std::string> attrs;
  /// Element-wise and reduction ops: reject integer inputs.
  bool floatOnly = false;
  /// Arithmetic element-wise and reduction ops: reject bool inputs.
  bool numericOnly = false;
  bool (*infer)(OpContext &) = nullptr;

  /// The role name without its '?'.
  std::string role(size_t position) const;
  bool isOptional(size_t position) const;
  /// Inputs up to and including the last required one.
  size_t minInputs() const;
  /// Position of the packed-batch `seq_offsets` input, or -1.
  int seqOffsetsPosition() const;
};

/// The spec of an op, or nullptr for an unknown op.
const OpSpec *findOp(const std::string &name);
/// Every op name, in the order of docs/json-ir.md.
std::vector<std::string> opNames();

/// One node during shape inference: resolved input values in, normalized
/// attrs and output types out.
struct OpContext {
  const Model &model;
  Diag &diag;
  const OpSpec &spec;
  std::string pointer;             ///< "/nodes/N" (position in the file).
  const json &rawAttrs;            ///< The node's attrs object ({} if absent).
  std::vector<const Value *> inputs; ///< nullptr for an absent optional input.
  std::vector<std::string> inputPointers;
  size_t numOutputs = 1;

  json attrs = json::object();     ///< Normalized attrs (the result).
  std::vector<TensorType> outputs; ///< Output types (the result).

  OpContext(const Model &model, Diag &diag, const OpSpec &spec,
            std::string pointer, const json &rawAttrs)
      : model(model), diag(diag), spec(spec), pointer(std::move(pointer)),
        rawAttrs(rawAttrs) {}

  // --- Inputs -------------------------------------------------------------
  bool has(size_t i) const { return i < inputs.size() && inputs[i]; }
  const TensorType &type(size_t i) const { return inputs[i]->type; }
  const Shape &shape(size_t i) const { return inputs[i]->type.shape; }
  int64_t rank(size_t i) const { return (int64_t)shape(i).size(); }
  /// "input k ('k4')": the role and the value name, for messages.
  std::string describe(size_t i) const;
  /// Records an error at input i's pointer.
  bool failInput(size_t i, const std::string &message);

  /// Input i has exactly `rank` dims; `layout` (e.g. "[B, T, H, D]") is
  /// quoted in the message.
  bool expectRank(size_t i, int64_t rank, const char *layout);
  bool expectMinRank(size_t i, int64_t rank, const char *layout);
  /// Input i is a floating-point tensor.
  bool expectFloat(size_t i);
  /// Input i is not bool: the op computes with numbers.
  bool expectNumeric(size_t i);
  /// Input i is an i32 or i64 tensor.
  bool expectIndex(size_t i);
  /// Input i has the dtype of input j.
  bool expectSameDType(size_t i, size_t j);
  /// Dim `axis` of input i equals `expected`; `what` names the expected dim
  /// in the message (e.g. "D of q").
  bool expectDim(size_t i, int64_t axis, Dim expected, const std::string &what);
  /// Input i has exactly the shape of input j.
  bool expectSameShape(size_t i, size_t j);
  /// Dim `axis` of input i is static; `why` completes "... must be static ".
  bool expectStatic(size_t i, int64_t axis, const std::string &why);

  // --- Attrs --------------------------------------------------------------
  std::string attrPointer(const std::string &key) const;
  bool failAttr(const std::string &key, const std::string &message);
  const json *rawAttr(const std::string &key) const;
  /// Each reader fills `out` from the raw attr, or with `def` when absent,
  /// after checking its type and range.
  bool readBool(const std::string &key, bool def, bool &out);
  bool readInt(const std::string &key, int64_t def, int64_t &out);
  bool readPositiveNumber(const std::string &key, double def, double &out);
  bool readEnum(const std::string &key, const std::vector<std::string> &options,
                const char *def, std::string &out);
  /// An axis in [-rank, rank), normalized to [0, rank). Required if no
  /// default is given.
  bool readAxis(const std::string &key, int64_t rank,
                std::optional<int64_t> def, int64_t &out);

  // --- Shape rules --------------------------------------------------------
  /// Names the inputs by role and describe(), and the model's dims.
  shapes::Naming naming() const;
  /// The shape of input i for a rule; nullopt for an absent optional input.
  std::optional<shapes::Shape> ruleInput(size_t i) const;
  /// The same as a pointer, nullptr when absent; `storage` keeps the shape.
  const shapes::Shape *ruleInput(size_t i,
                                 std::optional<shapes::Shape> &storage) const;
  /// Records a rule's error at the input or attr it concerns, else at the
  /// node.
  bool failRule(const shapes::RuleError &error);
  /// Takes a rule's result into `out`, or records its error.
  bool applyRule(const shapes::ShapeResult &rule, Shape &out);

  // --- Output -------------------------------------------------------------
  /// Sets every output to `type`.
  bool produce(const TensorType &type);

  std::string str(const Shape &shape) const { return formatShape(model, shape); }
  std::string str(const Dim &dim) const { return formatDim(model, dim); }
};

/// Checks an optional `seq_offsets` input `[N + 1]` (i32 or i64) of a packed
/// batch (shapes::checkSeqOffsets).
bool checkSeqOffsets(OpContext &c, size_t offsets);

/// Builds the validated model from parsed JSON (parseModel after syntax).
std::optional<Model> buildModel(const json &root, const std::string &fileName,
                                Diag &diag);

// Shape inference, one function per op family (see docs/json-ir.md).
bool inferAttention(OpContext &c);
bool inferLinearAttention(OpContext &c);
bool inferSelectiveScan(OpContext &c);
bool inferLinearRecurrence(OpContext &c);
bool inferRope(OpContext &c);
bool inferConv1d(OpContext &c);
bool inferMlp(OpContext &c);
bool inferGlu(OpContext &c);
bool inferLinear(OpContext &c);
bool inferMatmul(OpContext &c);
bool inferBinary(OpContext &c);
bool inferUnary(OpContext &c);
bool inferSoftmax(OpContext &c);
bool inferNorm(OpContext &c);
bool inferEmbedding(OpContext &c);
bool inferCast(OpContext &c);
bool inferReduce(OpContext &c);
bool inferReshape(OpContext &c);
bool inferTranspose(OpContext &c);
bool inferSlice(OpContext &c);
bool inferConcat(OpContext &c);
bool inferSplit(OpContext &c);
bool inferConstant(OpContext &c);
bool inferArange(OpContext &c);
bool inferGather(OpContext &c);
bool inferTakeAlongAxis(OpContext &c);
bool inferArgmax(OpContext &c);
bool inferTopK(OpContext &c);
bool inferCumsum(OpContext &c);
bool inferComparison(OpContext &c);
bool inferWhere(OpContext &c);

} // namespace kiln::model::detail

#endif // KILN_IMPORT_JSON_MODELINTERNAL_H
