//===- GraphOps.cpp - Kiln graph dialect operations -----------------------===//
//
// Verifiers, folders and canonicalization patterns of the graph dialect.
// Every verifier message is covered by test/dialects/Graph/invalid.mlir.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Graph/IR/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

/// Checks that all `values` share the element type of the first one.
static LogicalResult verifySameElementType(Operation *op, ValueRange values) {
  Type element = getElementTypeOrSelf(values.front().getType());
  for (Value value : values.drop_front())
    if (getElementTypeOrSelf(value.getType()) != element)
      return op->emitOpError("requires all operands and results to have "
                             "element type ")
             << element;
  return success();
}

/// Checks a per-feature vector (norm weight, bias) of `size` elements.
static LogicalResult verifyFeatureVector(Operation *op, Value vector,
                                         StringRef name, int64_t size) {
  ArrayRef<int64_t> shape = tensorType(vector).getShape();
  if (shape.size() != 1 || !dimsCompatible(shape[0], size))
    return op->emitOpError() << name << " must have shape [" << size
                             << "], got " << formatShape(shape);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// The broadcast rule of a binary op or a comparison.
static shapes::ShapeResult binaryShape(Operation *op) {
  return shapes::elementwiseShape(
      ruleShape(tensorType(op->getOperand(0)).getShape()),
      ruleShape(tensorType(op->getOperand(1)).getShape()),
      shapes::Naming{{"lhs", "rhs"}});
}

static LogicalResult verifyBinary(Operation *op) {
  if (failed(verifySameElementType(op, {op->getOperand(0), op->getOperand(1),
                                        op->getResult(0)})))
    return failure();
  return verifyShapeRule(op, binaryShape(op));
}

LogicalResult AddOp::verify() { return verifyBinary(*this); }
LogicalResult SubOp::verify() { return verifyBinary(*this); }
LogicalResult MulOp::verify() { return verifyBinary(*this); }
LogicalResult DivOp::verify() { return verifyBinary(*this); }

//===----------------------------------------------------------------------===//
// Projections and normalization
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  // The result may have another float type (a fused cast), then without a
  // residual.
  SmallVector<Value> factors = {getInput(), getWeight()};
  if (getBias())
    factors.push_back(getBias());
  if (getResidual())
    factors.push_back(getResult());
  if (failed(verifySameElementType(*this, factors)))
    return failure();
  std::optional<shapes::Shape> bias;
  if (getBias())
    bias = ruleShape(getBias().getType().getShape());
  shapes::ShapeResult rule = shapes::linearShape(
      ruleShape(getInput().getType().getShape()),
      ruleShape(getWeight().getType().getShape()), bias ? &*bias : nullptr,
      shapes::Naming{{"input", "weight", "bias"}});
  if (!rule)
    return emitOpError(rule.error().message);
  if (failed(verifyNormPrologue(*this, getInput(), getNormWeight(),
                                getNormBias(), getNorm(), getNormEps())))
    return failure();
  if (failed(verifyRopeEpilogue()))
    return failure();
  return verifyShapeRule(*this, rule);
}

LogicalResult LinearOp::verifyRopeEpilogue() {
  std::optional<uint64_t> headDim = getRopeHeadDim(),
                          rotaryDim = getRopeRotaryDim();
  std::optional<APFloat> theta = getRopeTheta();
  if (!headDim && !rotaryDim && !theta && !getRopePositions() &&
      !getRopeInterleaved())
    return success();
  if (!headDim || !rotaryDim || !theta)
    return emitOpError("a rope epilogue needs `rope_head_dim`, "
                       "`rope_rotary_dim` and `rope_theta` together");
  ArrayRef<int64_t> shape = getResult().getType().getShape();
  if (shape.size() != 3)
    return emitOpError("a rope epilogue needs a [batch, seq, heads * "
                       "head_dim] result, got ")
           << formatShape(shape);
  int64_t head = *headDim, rotary = *rotaryDim;
  if (!ShapedType::isDynamic(shape[2]) && shape[2] % head != 0)
    return emitOpError("result features ")
           << shape[2] << " are no multiple of rope_head_dim " << head;
  if (rotary % 2 != 0 || rotary > head)
    return emitOpError("rope_rotary_dim must be even and at most "
                       "rope_head_dim ")
           << head << ", got " << rotary;
  if (!(theta->convertToDouble() > 0.0))
    return emitOpError("rope_theta must be positive");
  if (getRopePositions() &&
      !shapesCompatible(getRopePositions().getType().getShape(),
                        shape.take_front(2)))
    return emitOpError("rope_positions must have shape [batch, seq], got ")
           << formatShape(getRopePositions().getType().getShape());
  return success();
}

LogicalResult MatmulOp::verify() {
  if (failed(verifySameElementType(*this, {getLhs(), getRhs(), getResult()})))
    return failure();
  return verifyShapeRule(
      *this, shapes::matmulShape(ruleShape(getLhs().getType().getShape()),
                                 ruleShape(getRhs().getType().getShape()),
                                 shapes::Naming{{"lhs", "rhs"}}));
}

/// Shared by layer_norm and rms_norm: normalization over the last dimension.
static LogicalResult verifyNorm(Operation *op, Value input, Value weight,
                                Value bias, double eps) {
  if (failed(verifySameElementType(op, op->getOperands())) ||
      failed(verifySameElementType(op, {input, op->getResult(0)})))
    return failure();
  if (!(eps > 0.0))
    return op->emitOpError("eps must be positive, got ") << eps;
  std::optional<shapes::Shape> biasShape;
  if (bias)
    biasShape = ruleShape(tensorType(bias).getShape());
  return verifyShapeRule(
      op, shapes::normShape(ruleShape(tensorType(input).getShape()),
                            ruleShape(tensorType(weight).getShape()),
                            biasShape ? &*biasShape : nullptr,
                            shapes::Naming{{"input", "weight", "bias"}}));
}

LogicalResult kiln::graph::verifyNormPrologue(Operation *op, Value input,
                                              Value normWeight, Value normBias,
                                              std::optional<NormKind> norm,
                                              std::optional<APFloat> eps) {
  if (!norm && !normWeight && !normBias && !eps)
    return success();
  if (!norm || !normWeight || !eps)
    return op->emitOpError(
        "a norm prologue needs `norm`, `norm_weight` and `norm_eps` together");
  if (normBias && *norm != NormKind::layer_norm)
    return op->emitOpError("norm_bias needs a layer_norm prologue, got ")
           << stringifyNormKind(*norm);
  if (!(eps->convertToDouble() > 0.0))
    return op->emitOpError("norm_eps must be positive, got ")
           << eps->convertToDouble();
  SmallVector<Value> vectors = {input, normWeight};
  if (normBias)
    vectors.push_back(normBias);
  if (failed(verifySameElementType(op, vectors)))
    return failure();
  int64_t features = tensorType(input).getShape().back();
  if (failed(verifyFeatureVector(op, normWeight, "norm_weight", features)) ||
      (normBias &&
       failed(verifyFeatureVector(op, normBias, "norm_bias", features))))
    return failure();
  return success();
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getInput(), getWeight(), getBias(),
                    getEps().convertToDouble());
}

LogicalResult RMSNormOp::verify() {
  return verifyNorm(*this, getInput(), getWeight(), Value(),
                    getEps().convertToDouble());
}

LogicalResult SoftmaxOp::verify() {
  // SameOperandsAndResultType checks the result.
  shapes::ShapeResult rule =
      shapes::softmaxShape(ruleShape(getInput().getType().getShape()),
                           getAxis(), shapes::Naming{{"input"}});
  if (!rule)
    return emitOpError(rule.error().message);
  return success();
}

LogicalResult EmbeddingOp::verify() {
  shapes::ShapeResult rule =
      shapes::embeddingShape(ruleShape(getIds().getType().getShape()),
                             ruleShape(getTable().getType().getShape()),
                             shapes::Naming{{"ids", "table"}});
  if (!rule)
    return emitOpError(rule.error().message);
  if (getTable().getType().getElementType() !=
      getResult().getType().getElementType())
    return emitOpError("result element type must match the table's");
  return verifyShapeRule(*this, rule);
}

LogicalResult RopeOp::verify() {
  if (getInput().getType() != getResult().getType())
    return emitOpError("result type must equal the input type");
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  if (shape.size() != 4)
    return emitOpError("input must be [batch, seq, heads, head_dim], got ")
           << formatShape(shape);
  int64_t rotary = getRotaryDim();
  if (rotary <= 0 || rotary % 2 != 0)
    return emitOpError("rotary_dim must be a positive even number, got ")
           << rotary;
  if (!ShapedType::isDynamic(shape[3]) && rotary > shape[3])
    return emitOpError("rotary_dim ")
           << rotary << " exceeds the head dimension " << shape[3];
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError("theta must be positive");
  if (getPositions() &&
      !shapesCompatible(getPositions().getType().getShape(),
                        shape.take_front(2)))
    return emitOpError("positions must have shape [batch, seq], got ")
           << formatShape(getPositions().getType().getShape());
  return success();
}

LogicalResult Conv1dOp::verify() {
  Type element = getInput().getType().getElementType();
  auto differs = [&](Value value) {
    return value != getSeqOffsets() &&
           getElementTypeOrSelf(value.getType()) != element;
  };
  // One message for both checks, so that a mismatch is reported once.
  if (llvm::any_of(getOperation()->getOperands(), differs) ||
      getInput().getType() != getResult().getType())
    return emitOpError("result type must equal the input type and all "
                       "operands share its element type");
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  ArrayRef<int64_t> weight = getWeight().getType().getShape();
  if (shape.size() != 3)
    return emitOpError("input must be [batch, seq, channels], got ")
           << formatShape(shape);
  if (weight.size() != 2 || !dimsCompatible(weight[0], shape[2]))
    return emitOpError("weight must be [channels, kernel] with channels = ")
           << shape[2] << ", got " << formatShape(weight);
  // The taps are unrolled, so the kernel size must be known.
  if (ShapedType::isDynamic(weight[1]))
    return emitOpError("kernel size must be static");
  if (getBias() &&
      failed(verifyFeatureVector(*this, getBias(), "bias", shape[2])))
    return failure();
  return verifySeqOffsets(*this, getSeqOffsets());
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

static LogicalResult verifyReduce(Operation *op, ArrayRef<int64_t> axes,
                                  bool keepdims) {
  if (failed(verifySameElementType(op, {op->getOperand(0), op->getResult(0)})))
    return failure();
  // The IR keeps axes sorted (its canonical form); the rule checks the rest.
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i - 1] >= axes[i])
      return op->emitOpError("axes must be sorted and unique");
  return verifyShapeRule(
      op,
      shapes::reduceShape(ruleShape(tensorType(op->getOperand(0)).getShape()),
                          std::vector<int64_t>(axes.begin(), axes.end()),
                          keepdims, shapes::Naming{{"input"}}));
}

LogicalResult ReduceSumOp::verify() {
  return verifyReduce(*this, getAxes(), getKeepdims());
}
LogicalResult ReduceMeanOp::verify() {
  // An integer mean has no exact result type (docs/json-ir.md: float only).
  Type element = getInput().getType().getElementType();
  if (!isa<FloatType>(element))
    return emitOpError("requires a float element type, got ") << element;
  return verifyReduce(*this, getAxes(), getKeepdims());
}
LogicalResult ReduceMaxOp::verify() {
  return verifyReduce(*this, getAxes(), getKeepdims());
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  RankedTensorType input = getInput().getType(), result = getResult().getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("cannot change the element type");
  if (static_cast<int64_t>(getSizes().size()) != result.getNumDynamicDims())
    return emitOpError("expects ")
           << result.getNumDynamicDims() << " sizes for the dynamic result "
           << "dimensions, got " << getSizes().size();
  if (input.hasStaticShape() && result.hasStaticShape() &&
      input.getNumElements() != result.getNumElements())
    return emitOpError("cannot reshape ")
           << input.getNumElements() << " elements into "
           << result.getNumElements();
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getResult().getType() &&
      getResult().getType().hasStaticShape())
    return getInput();
  return {};
}

namespace {
/// reshape(reshape(x)) -> reshape(x): a row-major reshape only depends on
/// the element order, which the inner reshape keeps.
struct FoldReshapeChain : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getInput(),
                                           op.getSizes());
    return success();
  }
};

/// transpose(transpose(x)) -> transpose(x) with the composed permutation.
struct FoldTransposeChain : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> perm;
    for (int64_t axis : op.getPerm())
      perm.push_back(inner.getPerm()[axis]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(),
                                             perm);
    return success();
  }
};
} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<FoldReshapeChain>(context);
}

LogicalResult TransposeOp::verify() {
  ArrayRef<int64_t> perm = getPerm();
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  if (perm.size() != shape.size())
    return emitOpError("perm has ")
           << perm.size() << " entries for an input of rank " << shape.size();
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> expected;
  for (int64_t axis : perm) {
    if (axis < 0 || axis >= static_cast<int64_t>(perm.size()) || seen[axis])
      return emitOpError("perm must be a permutation of 0..")
             << perm.size() - 1;
    seen[axis] = true;
    expected.push_back(shape[axis]);
  }
  if (getInput().getType().getElementType() !=
      getResult().getType().getElementType())
    return emitOpError("cannot change the element type");
  return verifyResultShape(*this, expected);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  // The verifier admits a result more or less static than the input; only
  // an identical type may be replaced by the input.
  if (getInput().getType() != getResult().getType())
    return {};
  for (auto [i, axis] : llvm::enumerate(getPerm()))
    if (axis != static_cast<int64_t>(i))
      return {};
  return getInput();
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<FoldTransposeChain>(context);
}

/// Checks that `axis` names a static dimension of `type`.
static LogicalResult verifyStaticAxis(Operation *op, RankedTensorType type,
                                      int64_t axis) {
  if (axis < 0 || axis >= type.getRank())
    return op->emitOpError("axis ") << axis << " is out of range for rank "
                                    << type.getRank();
  if (type.isDynamicDim(axis))
    return op->emitOpError("axis ") << axis << " must be a static dimension";
  return success();
}

LogicalResult SliceOp::verify() {
  RankedTensorType input = getInput().getType();
  int64_t axis = getAxis(), start = getStart();
  if (axis < 0 || axis >= input.getRank())
    return emitOpError("axis ")
           << axis << " is out of range for rank " << input.getRank();
  if (input.getElementType() != getResult().getType().getElementType())
    return emitOpError("cannot change the element type");
  SmallVector<int64_t> expected(input.getShape());
  std::optional<int64_t> end = getEnd();
  if (input.isDynamicDim(axis)) {
    // Both bounds from the same end of the axis (docs/json-ir.md, slice).
    int64_t last = end.value_or(0);
    if ((start < 0) != (last < 0 || !end) || last - start <= 0)
      return emitOpError("range [")
             << start << ", " << (end ? std::to_string(*end) : "end")
             << ") of a dynamic axis must count both bounds from the same "
                "end and be non-empty";
    expected[axis] = last - start;
    return verifyResultShape(*this, expected);
  }
  int64_t size = input.getDimSize(axis);
  if (!end || start < 0 || start >= *end || *end > size)
    return emitOpError("range [")
           << start << ", " << (end ? std::to_string(*end) : "end")
           << ") is not a non-empty range within [0, " << size << ")";
  expected[axis] = *end - start;
  return verifyResultShape(*this, expected);
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getInput().getType() == getResult().getType() && getStart() == 0 &&
      getEnd() == getInput().getType().getDimSize(getAxis()))
    return getInput();
  return {};
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("expects at least one input");
  SmallVector<Value> all(getInputs());
  all.push_back(getResult());
  if (failed(verifySameElementType(*this, all)))
    return failure();
  RankedTensorType first = tensorType(getInputs().front());
  SmallVector<int64_t> expected(first.getShape());
  int64_t axis = getAxis(), total = 0;
  for (Value input : getInputs()) {
    RankedTensorType type = tensorType(input);
    if (type.getRank() != first.getRank())
      return emitOpError("inputs must share one rank");
    if (failed(verifyStaticAxis(*this, type, axis)))
      return failure();
    total += type.getDimSize(axis);
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != axis && !dimsCompatible(type.getDimSize(d), expected[d]))
        return emitOpError("inputs differ in dimension ") << d;
  }
  expected[axis] = total;
  return verifyResultShape(*this, expected);
}

LogicalResult SplitOp::verify() {
  RankedTensorType input = getInput().getType();
  int64_t axis = getAxis();
  if (failed(verifyStaticAxis(*this, input, axis)))
    return failure();
  if (getResults().empty())
    return emitOpError("expects at least one result");
  int64_t total = 0;
  for (Value result : getResults()) {
    RankedTensorType type = tensorType(result);
    if (type.getElementType() != input.getElementType() ||
        type.getRank() != input.getRank())
      return emitOpError("results must keep the input's rank and element "
                         "type");
    if (type.isDynamicDim(axis))
      return emitOpError("result sizes along the axis must be static");
    total += type.getDimSize(axis);
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != axis &&
          !dimsCompatible(type.getDimSize(d), input.getDimSize(d)))
        return emitOpError("result dimension ") << d << " differs from the "
                                                << "input's";
  }
  if (total != input.getDimSize(axis))
    return emitOpError("result sizes sum to ")
           << total << ", expected " << input.getDimSize(axis);
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Additions for generation
//===----------------------------------------------------------------------===//

LogicalResult MaximumOp::verify() { return verifyBinary(*this); }
LogicalResult MinimumOp::verify() { return verifyBinary(*this); }
LogicalResult PowOp::verify() { return verifyBinary(*this); }

/// Comparisons: operands of one element type, broadcast, a bool result.
static LogicalResult verifyCompare(Operation *op) {
  if (failed(verifySameElementType(op, {op->getOperand(0), op->getOperand(1)})))
    return failure();
  return verifyShapeRule(op, binaryShape(op));
}

LogicalResult EqualOp::verify() { return verifyCompare(*this); }
LogicalResult NotEqualOp::verify() { return verifyCompare(*this); }
LogicalResult LessOp::verify() { return verifyCompare(*this); }
LogicalResult LessEqualOp::verify() { return verifyCompare(*this); }
LogicalResult GreaterOp::verify() { return verifyCompare(*this); }
LogicalResult GreaterEqualOp::verify() { return verifyCompare(*this); }

LogicalResult WhereOp::verify() {
  if (failed(verifySameElementType(*this, {getLhs(), getRhs(), getResult()})))
    return failure();
  return verifyShapeRule(
      *this, shapes::whereShape(ruleShape(getCond().getType().getShape()),
                                ruleShape(getLhs().getType().getShape()),
                                ruleShape(getRhs().getType().getShape()),
                                shapes::Naming{{"cond", "lhs", "rhs"}}));
}

/// Checks that `axis` is a dimension of `type`.
static LogicalResult verifyAxis(Operation *op, ShapedType type, int64_t axis) {
  if (axis < 0 || axis >= type.getRank())
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << type.getRank();
  return success();
}

/// A packed batch runs along axis 1, the sequence axis of `[B, T, ...]`.
static LogicalResult verifyPackedAxis(Operation *op, Value seqOffsets,
                                      int64_t axis) {
  if (failed(verifySeqOffsets(op, seqOffsets)))
    return failure();
  if (seqOffsets && axis != 1)
    return op->emitOpError("with seq_offsets, axis must be 1 (the sequence "
                           "axis), got ")
           << axis;
  return success();
}

LogicalResult ArangeOp::verify() {
  if (failed(verifyAxis(*this, getInput().getType(), getAxis())) ||
      failed(verifyPackedAxis(*this, getSeqOffsets(), getAxis())))
    return failure();
  if (getResult().getType().getRank() != 1)
    return emitOpError("result must have rank 1");
  return verifyResultShape(*this, {getInput().getType().getDimSize(getAxis())});
}

LogicalResult GatherOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyAxis(*this, input, getAxis())) ||
      failed(verifySameElementType(*this, {getInput(), getResult()})))
    return failure();
  ArrayRef<int64_t> shape = input.getShape();
  SmallVector<int64_t> expected(shape.take_front(getAxis()));
  llvm::append_range(expected, getIndices().getType().getShape());
  llvm::append_range(expected, shape.drop_front(getAxis() + 1));
  return verifyResultShape(*this, expected);
}

LogicalResult TakeAlongAxisOp::verify() {
  RankedTensorType input = getInput().getType();
  ArrayRef<int64_t> indices = getIndices().getType().getShape();
  if (failed(verifyAxis(*this, input, getAxis())) ||
      failed(verifySameElementType(*this, {getInput(), getResult()})))
    return failure();
  return verifyShapeRule(
      *this, shapes::takeAlongAxisShape(ruleShape(input.getShape()),
                                        ruleShape(indices), getAxis(),
                                        shapes::Naming{{"input", "indices"}}));
}

LogicalResult ArgmaxOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyAxis(*this, input, getAxis())))
    return failure();
  SmallVector<int64_t> expected(input.getShape());
  if (getKeepdims())
    expected[getAxis()] = 1;
  else
    expected.erase(expected.begin() + getAxis());
  return verifyResultShape(*this, expected);
}

LogicalResult TopKOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyAxis(*this, input, getAxis())) ||
      failed(verifySameElementType(*this, {getInput(), getValues()})))
    return failure();
  int64_t size = input.getDimSize(getAxis()), k = getK();
  if (k < 1 || (!ShapedType::isDynamic(size) && k > size))
    return emitOpError("k = ") << k << " must be in [1, " << size << "]";
  SmallVector<int64_t> expected(input.getShape());
  expected[getAxis()] = k;
  if (getIndices() &&
      !shapesCompatible(getIndices().getType().getShape(), expected))
    return emitOpError("indices must have the shape of the values");
  return verifyResultShape(*this, expected);
}

LogicalResult CumsumOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyAxis(*this, input, getAxis())) ||
      failed(verifyPackedAxis(*this, getSeqOffsets(), getAxis())))
    return failure();
  Type from = input.getElementType(),
       to = getResult().getType().getElementType();
  if (isa<FloatType>(from) ? from != to : !to.isInteger(64))
    return emitOpError("result element type must be the input's (float) or "
                       "i64 (integer), got ")
           << to;
  return verifyResultShape(*this, input.getShape());
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

bool kiln::graph::isElementwise(Operation *op) {
  return isa<ReluOp, GeluOp, GeluTanhOp, SiluOp, SigmoidOp, TanhOp, ExpOp,
             SoftplusOp, NegOp, RsqrtOp, LogOp, SqrtOp, AbsOp, SquareOp, ErfOp,
             SinOp, CosOp, AddOp, SubOp, MulOp, DivOp, MaximumOp, MinimumOp,
             PowOp, CastOp>(op);
}

LogicalResult FusedElementwiseOp::verify() {
  Block &body = getBody().front();
  if (body.getArgumentTypes() != getInputs().getTypes())
    return emitOpError("body arguments must have the types of the inputs");
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("body must end with graph.yield");
  if (yield.getValue().getType() != getType())
    return emitOpError("yields ")
           << yield.getValue().getType() << " but the result is " << getType();
  for (Operation &op : body.without_terminator())
    if (!isElementwise(&op))
      return op.emitOpError("cannot be part of a fused elementwise group: "
                            "only elementwise ops can");
  return success();
}

LogicalResult Conv1dStepOp::verify() {
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  ArrayRef<int64_t> weight = getWeight().getType().getShape();
  if (shape.size() != 3 || getResult().getType() != getInput().getType())
    return emitOpError("input and result must be one [batch, seq, channels] "
                       "type");
  if (weight.size() != 2 || ShapedType::isDynamic(weight[1]) ||
      weight[1] < 2 || !dimsCompatible(weight[0], shape[2]))
    return emitOpError("weight must be [channels, kernel] with a static "
                       "kernel of at least 2, got ")
           << formatShape(weight);
  return verifyGenerationState(*this, getState(),
                               {ShapedType::kDynamic, weight[1] - 1, shape[2]},
                               getSlots(), getPositions(), shape[0]);
}

LogicalResult RingStoreOp::verify() {
  ArrayRef<int64_t> values = getValues().getType().getShape();
  ArrayRef<int64_t> state = getState().getType().getShape();
  if (values.size() < 2 || state.size() != values.size())
    return emitOpError("values must be [batch, seq, ...] and state "
                       "[sequences, ring, ...] of the same rank");
  SmallVector<int64_t> expected = {ShapedType::kDynamic, state[1]};
  llvm::append_range(expected, values.drop_front(2));
  return verifyGenerationState(*this, getState(), expected, getSlots(),
                               getPositions(), values[0]);
}

#define GET_OP_CLASSES
#include "dialects/Graph/IR/GraphOps.cpp.inc"
