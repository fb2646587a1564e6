//===- AttnOps.cpp - Kiln attention operations ----------------------------===//
//
// Verifiers of the attention dialect and the result types its ops infer
// from lib/ShapeRules. Every message is covered by
// test/dialects/Attn/invalid.mlir.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnOps.h"
#include "dialects/Graph/IR/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;

/// The shape rule of an op on query, key and value: `[B, T, H, Dv]`.
/// `groupedHeads` admits fewer key/value heads.
static shapes::ShapeResult attentionShape(Value query, Value key, Value value,
                                          bool groupedHeads,
                                          const OperandShapes &shapes) {
  return shapes::attentionShape(shapes(query), shapes(key), shapes(value),
                                groupedHeads,
                                shapes::Naming{{"query", "key", "value"}});
}

/// Checks query, key and value (one element type, and the shape rule:
/// ranks, batch, head grouping, head sizes) and the result.
template <typename Op> static LogicalResult verifyQKV(Op op) {
  Type element = op.getQuery().getType().getElementType();
  if (op.getKey().getType().getElementType() != element ||
      op.getValue().getType().getElementType() != element ||
      op.getResult().getType().getElementType() != element)
    return op.emitOpError("query, key, value and result must share one "
                          "element type");
  return verifyInferredType(op);
}

/// The soft cap of an op that has one and a normalizer: softmax only (its
/// range is the ODS constraint's).
template <typename Op> static LogicalResult verifySoftcap(Op op) {
  if (op.getSoftcap() && op.getNormalizer() == Normalizer::power)
    return op.emitOpError(
        "softcap is only allowed with the softmax normalizer");
  return success();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyQKV(*this)))
    return failure();
  // The kernels scale f32 scores by it.
  double scale = getScale().convertToDouble();
  if (scale == 0.0 || !(std::fabs(scale) <= std::numeric_limits<float>::max()))
    return emitOpError("scale must be non-zero and finite in f32, got ")
           << scale;

  MaskKind mask = getMask();
  if ((mask == MaskKind::sliding_window) != getWindow().has_value())
    return emitOpError("window is required by, and only allowed with, the "
                       "sliding_window mask");
  if ((mask == MaskKind::block_diagonal) != getBlock().has_value())
    return emitOpError("block is required by, and only allowed with, the "
                       "block_diagonal mask");
  if (getCausal() && mask != MaskKind::block_diagonal)
    return emitOpError("causal is a modifier of the block_diagonal mask");
  // I64Attr accessors are unsigned; read the stored signed values.
  auto signedValue = [](std::optional<uint64_t> v) {
    return static_cast<int64_t>(*v);
  };
  if (getWindow() && signedValue(getWindow()) <= 0)
    return emitOpError("window must be positive, got ")
           << signedValue(getWindow());
  if (getBlock() && signedValue(getBlock()) <= 0)
    return emitOpError("block must be positive, got ")
           << signedValue(getBlock());

  if ((getNormalizer() == Normalizer::power) != getPower().has_value())
    return emitOpError("power is required by, and only allowed with, the "
                       "power normalizer");
  if (getPower() &&
      (signedValue(getPower()) <= 0 || signedValue(getPower()) % 2 != 0))
    return emitOpError("power must be a positive even integer, got ")
           << signedValue(getPower());
  if (failed(verifySoftcap(*this)))
    return failure();

  if (Value bias = getBias()) {
    auto q = getQuery().getType(), k = getKey().getType();
    SmallVector<int64_t> scores = {q.getDimSize(0), q.getDimSize(2),
                                   q.getDimSize(1), k.getDimSize(1)};
    shapes::ShapeResult rule = shapes::broadcastToShape(
        ruleShape(tensorType(bias).getShape()), ruleShape(scores), 0,
        "the scores [batch, heads, seq, key_seq]", shapes::Naming{{"bias"}});
    if (!rule)
      return emitOpError(rule.error().message);
    if (tensorType(bias).getElementType() != q.getElementType())
      return emitOpError("bias element type must match the query's");
  }
  return verifySeqOffsets(*this, getSeqOffsets());
}

LogicalResult LinearAttentionOp::verify() {
  if (failed(verifyQKV(*this)) ||
      failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  if (getSeqOffsets() && !dimsCompatible(getQuery().getType().getDimSize(1),
                                         getKey().getType().getDimSize(1)))
    return emitOpError("with seq_offsets, queries and keys must be the same "
                       "tokens");
  return success();
}

LogicalResult DecodeAttentionOp::verify() {
  if (failed(verifyQKV(*this)))
    return failure();
  if (getMask() == MaskKind::none)
    return emitOpError("decode needs a causal, sliding_window or "
                       "block_diagonal mask");
  if ((getNormalizer() == Normalizer::power) != getPower().has_value())
    return emitOpError("power is required exactly with the power normalizer");
  if (failed(verifySoftcap(*this)))
    return failure();
  int64_t batch = getQuery().getType().getDimSize(0);
  ArrayRef<int64_t> cache = getKeyCache().getType().getShape();
  int64_t ring = cache.size() == 4 ? cache[1] : ShapedType::kDynamic;
  shapes::Dim ringDim = ruleShape({ring})[0];
  shapes::Naming naming{{"key", "value"}};
  if (failed(verifyGenerationState(
          *this, getKeyCache(),
          shapes::ringStateShape(ruleShape(getKey().getType().getShape()),
                                 ringDim, naming),
          getSlots(), getPositions(), batch)) ||
      failed(verifyGenerationState(
          *this, getValueCache(),
          shapes::ringStateShape(ruleShape(getValue().getType().getShape()),
                                 ringDim, naming),
          Value(), Value(), batch)))
    return failure();
  return success();
}

LogicalResult LinearAttentionStepOp::verify() {
  if (failed(verifyQKV(*this)))
    return failure();
  int64_t batch = getQuery().getType().getDimSize(0);
  shapes::ShapesResult states = shapes::linearAttentionStateShapes(
      ruleShape(getKey().getType().getShape()),
      ruleShape(getValue().getType().getShape()),
      shapes::Naming{{"key", "value"}});
  if (!states)
    return emitOpError(states.error().message);
  if (failed(verifyGenerationState(*this, getKvState(), (*states)[0],
                                   getSlots(), Value(), batch)) ||
      failed(verifyGenerationState(*this, getKeySum(), (*states)[1], Value(),
                                   Value(), batch)))
    return failure();
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Attn/IR/AttnOps.cpp.inc"
