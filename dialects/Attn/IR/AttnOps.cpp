//===- AttnOps.cpp - Kiln attention operations ----------------------------===//
//
// Verifiers of the attention dialect. Every message is covered by
// test/dialects/Attn/invalid.mlir.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnOps.h"
#include "dialects/Graph/IR/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;

/// Checks the shared [B, T, H, D] structure of query, key and value: ranks,
/// batch, head grouping and head sizes. `allowGroups` admits fewer k/v heads.
static LogicalResult verifyQKV(Operation *op, Value query, Value key,
                               Value value, Value result, bool allowGroups) {
  auto q = tensorType(query), k = tensorType(key), v = tensorType(value);
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return op->emitOpError("query, key and value must be [batch, seq, heads, "
                           "head_dim]");
  Type element = q.getElementType();
  if (k.getElementType() != element || v.getElementType() != element ||
      tensorType(result).getElementType() != element)
    return op->emitOpError("query, key, value and result must share one "
                           "element type");
  if (!dimsCompatible(q.getDimSize(0), k.getDimSize(0)) ||
      !dimsCompatible(k.getDimSize(0), v.getDimSize(0)) ||
      !dimsCompatible(q.getDimSize(0), v.getDimSize(0)))
    return op->emitOpError("query, key and value batch sizes differ");
  if (!shapesCompatible(k.getShape().take_front(3), v.getShape().take_front(3)))
    return op->emitOpError("key ")
           << formatShape(k.getShape()) << " and value "
           << formatShape(v.getShape()) << " differ in batch, seq or heads";
  if (!dimsCompatible(q.getDimSize(3), k.getDimSize(3)))
    return op->emitOpError("query head_dim ")
           << q.getDimSize(3) << " differs from key head_dim "
           << k.getDimSize(3);
  int64_t heads = q.getDimSize(2), kvHeads = k.getDimSize(2);
  // The head grouping divides by the key/value heads, even when the query
  // heads are dynamic.
  if (kvHeads == 0)
    return op->emitOpError("key/value heads must be positive");
  if (!ShapedType::isDynamic(heads) && !ShapedType::isDynamic(kvHeads)) {
    if (allowGroups ? heads % kvHeads != 0 : heads != kvHeads)
      return op->emitOpError(allowGroups ? "query heads must be a multiple "
                                           "of key/value heads, got "
                                         : "query and key/value heads "
                                           "differ: ")
             << heads << " and " << kvHeads;
  }
  SmallVector<int64_t> expected(q.getShape().take_front(3));
  expected.push_back(v.getDimSize(3));
  if (!shapesCompatible(tensorType(result).getShape(), expected))
    return op->emitOpError("result shape ")
           << formatShape(tensorType(result).getShape())
           << " does not match the inferred shape " << formatShape(expected);
  return success();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyQKV(*this, getQuery(), getKey(), getValue(), getResult(),
                       /*allowGroups=*/true)))
    return failure();
  if (!(getScale().convertToDouble() > 0.0) &&
      !(getScale().convertToDouble() < 0.0))
    return emitOpError("scale must be non-zero");

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

  if (Value bias = getBias()) {
    auto q = getQuery().getType(), k = getKey().getType();
    SmallVector<int64_t> scores = {q.getDimSize(0), q.getDimSize(2),
                                   q.getDimSize(1), k.getDimSize(1)};
    ArrayRef<int64_t> shape = tensorType(bias).getShape();
    auto broadcast = broadcastShapes(scores, shape);
    if (shape.size() > 4 || failed(broadcast) ||
        !shapesCompatible(*broadcast, scores))
      return emitOpError("bias ")
             << formatShape(shape)
             << " does not broadcast to the scores [batch, heads, seq, "
                "key_seq] = "
             << formatShape(scores);
    if (tensorType(bias).getElementType() != q.getElementType())
      return emitOpError("bias element type must match the query's");
  }
  return verifySeqOffsets(*this, getSeqOffsets());
}

LogicalResult LinearAttentionOp::verify() {
  if (failed(verifyQKV(*this, getQuery(), getKey(), getValue(), getResult(),
                       /*allowGroups=*/false)) ||
      failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  if (getSeqOffsets() && !dimsCompatible(getQuery().getType().getDimSize(1),
                                         getKey().getType().getDimSize(1)))
    return emitOpError("with seq_offsets, queries and keys must be the same "
                       "tokens");
  return success();
}

LogicalResult DecodeAttentionOp::verify() {
  if (failed(verifyQKV(*this, getQuery(), getKey(), getValue(), getResult(),
                       /*allowGroups=*/true)))
    return failure();
  if (getMask() == MaskKind::none)
    return emitOpError("decode needs a causal, sliding_window or "
                       "block_diagonal mask");
  if ((getNormalizer() == Normalizer::power) != getPower().has_value())
    return emitOpError("power is required exactly with the power normalizer");
  ArrayRef<int64_t> k = getKey().getType().getShape();
  ArrayRef<int64_t> v = getValue().getType().getShape();
  int64_t batch = getQuery().getType().getDimSize(0);
  ArrayRef<int64_t> cache = getKeyCache().getType().getShape();
  int64_t ring = cache.size() == 4 ? cache[1] : ShapedType::kDynamic;
  if (failed(verifyGenerationState(*this, getKeyCache(),
                                   {ShapedType::kDynamic, ring, k[2], k[3]},
                                   getSlots(), getPositions(), batch)) ||
      failed(verifyGenerationState(*this, getValueCache(),
                                   {ShapedType::kDynamic, ring, v[2], v[3]},
                                   Value(), Value(), batch)))
    return failure();
  return success();
}

LogicalResult LinearAttentionStepOp::verify() {
  if (failed(verifyQKV(*this, getQuery(), getKey(), getValue(), getResult(),
                       /*allowGroups=*/false)))
    return failure();
  ArrayRef<int64_t> k = getKey().getType().getShape();
  ArrayRef<int64_t> v = getValue().getType().getShape();
  int64_t batch = getQuery().getType().getDimSize(0);
  if (failed(verifyGenerationState(
          *this, getKvState(), {ShapedType::kDynamic, k[2], k[3], v[3]},
          getSlots(), Value(), batch)) ||
      failed(verifyGenerationState(*this, getKeySum(),
                                   {ShapedType::kDynamic, k[2], k[3]},
                                   Value(), Value(), batch)))
    return failure();
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Attn/IR/AttnOps.cpp.inc"
