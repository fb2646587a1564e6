//===- Ops.h - Internal interface of the reference op kernels ---*- C++ -*-===//
//
// What every op implementation of the reference evaluator shares: the context
// it is called with (node, inputs, typed attribute access, diagnostics), the
// index arithmetic (strides, NumPy broadcasting) kept in one place, and the
// scalar activation functions. One function per op, grouped by family.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_REFERENCE_OPS_H
#define KILN_REFERENCE_OPS_H

#include "lib/Reference/Evaluator.h"
#include "lib/ShapeRules/Activation.h"
#include "lib/ShapeRules/ShapeRules.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::reference::detail {

using Dims = std::vector<int64_t>;

//===----------------------------------------------------------------------===//
// Index arithmetic
//===----------------------------------------------------------------------===//

/// Product of the dims.
int64_t product(const Dims &shape);
/// Row-major strides of `shape`.
Dims stridesOf(const Dims &shape);
/// "[2, 3, 4]".
std::string formatDims(const Dims &shape);
/// "600", "1.5", "nan": a number for a diagnostic.
std::string formatNumber(double x);
/// A zero-filled tensor.
Tensor zeros(model::DType dtype, const Dims &shape);
/// Strides that map an index of `out` onto a tensor of shape `in` broadcast
/// to it (right-aligned, stride 0 on broadcast dims). `in` must broadcast.
Dims broadcastStrides(const Dims &in, const Dims &out);
/// The shape rules' view of a tensor's shape.
shapes::Shape shapeOf(const Tensor &t);
/// The same for an optional tensor: nullptr when absent; `storage` holds
/// the shape.
const shapes::Shape *shapeOf(const Tensor *t,
                             std::optional<shapes::Shape> &storage);
/// Offset of the flat index `flat` of a tensor of shape `shape` under
/// `strides` (which may be broadcast strides).
int64_t offsetOf(int64_t flat, const Dims &shape, const Dims &strides);

//===----------------------------------------------------------------------===//
// Scalar functions
//===----------------------------------------------------------------------===//

double relu(double x);
double gelu(double x);     ///< erf form.
double geluTanh(double x); ///< tanh approximation.
double sigmoid(double x);
double silu(double x);
double softplus(double x); ///< PyTorch: x > 20 → x, else log1p(exp(x)).
double relu2(double x);    ///< relu(x)².
double elu1(double x);     ///< elu(x) + 1.
/// The scalar function of an activation.
double (*activationFunction(Activation activation))(double);

//===----------------------------------------------------------------------===//
// Op context
//===----------------------------------------------------------------------===//

/// Everything an op implementation sees. Ops read their inputs, check the
/// shapes they index (a hand-built model may be inconsistent), and append
/// one result per node output. `dtype` of a result is what the op computes
/// (the evaluator checks it against the declaration and rounds the data).
struct OpContext {
  const model::Model &model;
  const model::Node &node;
  /// One per node input position; nullptr for an absent optional input.
  std::vector<const Tensor *> inputs;
  /// Current value of each symbolic dim, -1 while unbound.
  const std::vector<int64_t> &dimValues;
  std::vector<Tensor> results;
  std::string error;

  /// Sets `error` to "<op> at <pointer>: <message>" and returns false.
  bool fail(const std::string &message);
  /// Input `i`, or nullptr when absent or beyond the list.
  const Tensor *input(size_t i) const;
  /// Fetches required input `i` named `what`; fails when it is absent.
  bool require(size_t i, const char *what, const Tensor *&out);
  /// Fails unless the node has between `min` and `max` outputs.
  bool expectOutputs(size_t min, size_t max);
  /// Takes a shape rule's result into `out`, or fails with its message.
  bool applyRule(const shapes::ShapeResult &rule, Dims &out);
  /// The same for a rule of several results.
  bool applyRule(const shapes::ShapesResult &rule, std::vector<Dims> &out);

  // Typed access to normalized attributes; a missing key or a wrong type
  // fails with a message naming the attribute.
  bool attrNumber(const char *key, double &out);
  bool attrInt(const char *key, int64_t &out);
  bool attrBool(const char *key, bool &out);
  bool attrString(const char *key, std::string &out);
  bool attrInts(const char *key, std::vector<int64_t> &out);
};

/// Checks the seq_offsets tensor of a packed batch: nondecreasing, within
/// [0, T].
bool checkSeqOffsets(OpContext &ctx, const Tensor &offsets, int64_t t);

/// The token ranges [begin, end) of the sequences of a packed batch along an
/// axis of `t` tokens: one per pair of consecutive `offsets`, or all of
/// [0, t) without offsets.
bool sequenceRanges(OpContext &ctx, const Tensor *offsets, int64_t t,
                    std::vector<std::pair<int64_t, int64_t>> &ranges);

/// An op implementation: fills ctx.results or fails.
using OpFn = bool (*)(OpContext &ctx);

// Elementwise and normalization ops (ElementwiseOps.cpp).
bool evalUnary(OpContext &ctx); ///< Every unary op, selected by name.
/// add, sub, mul, div, maximum, minimum, pow and the comparisons.
bool evalBinary(OpContext &ctx);
bool evalSoftmax(OpContext &ctx);
bool evalLayerNorm(OpContext &ctx);
bool evalRmsNorm(OpContext &ctx);
bool evalCast(OpContext &ctx);

// Dense ops (LinearOps.cpp).
bool evalLinear(OpContext &ctx);
bool evalMatmul(OpContext &ctx);
bool evalMlp(OpContext &ctx);
bool evalGlu(OpContext &ctx);
bool evalEmbedding(OpContext &ctx);

// Shape ops and reductions (ShapeOps.cpp).
bool evalReshape(OpContext &ctx);
bool evalTranspose(OpContext &ctx);
bool evalSlice(OpContext &ctx);
bool evalConcat(OpContext &ctx);
bool evalSplit(OpContext &ctx);
bool evalReduce(OpContext &ctx); ///< reduce_sum, reduce_mean, reduce_max.

// Attention family (AttentionOps.cpp).
bool evalAttention(OpContext &ctx);
bool evalLinearAttention(OpContext &ctx);
bool evalRope(OpContext &ctx);

// Sequence ops (ScanOps.cpp).
bool evalSelectiveScan(OpContext &ctx);
bool evalLinearRecurrence(OpContext &ctx);
bool evalConv1d(OpContext &ctx);

// Generation glue ops (IndexingOps.cpp).
bool evalConstant(OpContext &ctx);
bool evalArange(OpContext &ctx);
bool evalGather(OpContext &ctx);
bool evalTakeAlongAxis(OpContext &ctx);
bool evalArgmax(OpContext &ctx);
bool evalTopK(OpContext &ctx);
bool evalCumsum(OpContext &ctx);
bool evalWhere(OpContext &ctx);

} // namespace kiln::reference::detail

#endif // KILN_REFERENCE_OPS_H
