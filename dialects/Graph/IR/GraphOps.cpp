//===- GraphOps.cpp - Kiln graph dialect operations -----------------------===//
//
// Verifiers, result types inferred from lib/ShapeRules, folders and
// canonicalization patterns of the graph dialect. Every verifier message is
// covered by test/dialects/Graph/invalid.mlir.
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

/// The shape rule of binary ops and comparisons: the operands broadcast.
static shapes::ShapeResult binaryShape(Value lhs, Value rhs,
                                       const OperandShapes &shapes) {
  return shapes::elementwiseShape(shapes(lhs), shapes(rhs),
                                  shapes::Naming{{"lhs", "rhs"}});
}

/// Binary ops, matmul and where: lhs, rhs and the result share an element
/// type, and the result has the inferred type.
template <typename Op> static LogicalResult verifyBinary(Op op) {
  if (failed(verifySameElementType(op, {op.getLhs(), op.getRhs(),
                                        op.getResult()})))
    return failure();
  return verifyInferredType(op);
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
  shapes::ShapeResult rule = shapeRule(Adaptor(*this));
  if (!rule)
    return emitOpError(rule.error().message);
  if (failed(verifyNormPrologue(*this, getInput(), getNormWeight(),
                                getNormBias(), getNorm(), getNormEps())))
    return failure();
  if (failed(verifyRopeEpilogue()))
    return failure();
  return verifyShapeRule(*this, rule);
}

shapes::ShapeResult LinearOp::shapeRule(Adaptor adaptor,
                                        const OperandShapes &shapes) {
  std::optional<shapes::Shape> bias;
  return shapes::linearShape(shapes(adaptor.getInput()),
                             shapes(adaptor.getWeight()),
                             shapes.optional(adaptor.getBias(), bias),
                             shapes::Naming{{"input", "weight", "bias"}});
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

LogicalResult MatmulOp::verify() { return verifyBinary(*this); }

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getLhs()).getElementType(), types);
}

shapes::ShapeResult MatmulOp::shapeRule(Adaptor adaptor,
                                        const OperandShapes &shapes) {
  return shapes::matmulShape(shapes(adaptor.getLhs()), shapes(adaptor.getRhs()),
                             shapes::Naming{{"lhs", "rhs"}});
}

/// Shared by layer_norm and rms_norm: normalization over the last dimension.
template <typename Op> static LogicalResult verifyNorm(Op op) {
  if (failed(verifySameElementType(op, op->getOperands())) ||
      failed(verifySameElementType(op, {op.getInput(), op.getResult()})))
    return failure();
  double eps = op.getEps().convertToDouble();
  if (!(eps > 0.0))
    return op.emitOpError("eps must be positive, got ") << eps;
  return verifyInferredType(op);
}

/// The shape rule of layer_norm and rms_norm: the input's shape.
static shapes::ShapeResult normShape(Value input, Value weight, Value bias,
                                     const OperandShapes &shapes) {
  std::optional<shapes::Shape> biasShape;
  return shapes::normShape(shapes(input), shapes(weight),
                           shapes.optional(bias, biasShape),
                           shapes::Naming{{"input", "weight", "bias"}});
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

LogicalResult LayerNormOp::verify() { return verifyNorm(*this); }

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult LayerNormOp::shapeRule(Adaptor adaptor,
                                           const OperandShapes &shapes) {
  return normShape(adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
                   shapes);
}

LogicalResult RMSNormOp::verify() { return verifyNorm(*this); }

LogicalResult RMSNormOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> location,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult RMSNormOp::shapeRule(Adaptor adaptor,
                                         const OperandShapes &shapes) {
  return normShape(adaptor.getInput(), adaptor.getWeight(), Value(), shapes);
}

LogicalResult SoftmaxOp::verify() {
  // SameOperandsAndResultType checks the result.
  shapes::ShapeResult rule = shapeRule(Adaptor(*this));
  if (!rule)
    return emitOpError(rule.error().message);
  return success();
}

shapes::ShapeResult SoftmaxOp::shapeRule(Adaptor adaptor,
                                         const OperandShapes &shapes) {
  return shapes::softmaxShape(shapes(adaptor.getInput()), adaptor.getAxis(),
                              shapes::Naming{{"input"}});
}

LogicalResult EmbeddingOp::verify() { return verifyInferredType(*this); }

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getTable()).getElementType(), types);
}

shapes::ShapeResult EmbeddingOp::shapeRule(Adaptor adaptor,
                                           const OperandShapes &shapes) {
  return shapes::embeddingShape(shapes(adaptor.getIds()),
                                shapes(adaptor.getTable()),
                                shapes::Naming{{"ids", "table"}});
}

LogicalResult RopeOp::verify() {
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError("theta must be positive");
  return verifyInferredType(*this);
}

LogicalResult RopeOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult RopeOp::shapeRule(Adaptor adaptor,
                                      const OperandShapes &shapes) {
  std::optional<shapes::Shape> positions;
  return shapes::ropeShape(shapes(adaptor.getInput()),
                           shapes.optional(adaptor.getPositions(), positions),
                           static_cast<int64_t>(adaptor.getRotaryDim()),
                           shapes::Naming{{"input", "positions"}});
}

LogicalResult Conv1dOp::verify() {
  Type element = getInput().getType().getElementType();
  auto differs = [&](Value value) {
    return value != getSeqOffsets() &&
           getElementTypeOrSelf(value.getType()) != element;
  };
  if (llvm::any_of(getOperation()->getOperands(), differs))
    return emitOpError("requires all operands but seq_offsets to share the "
                       "input's element type");
  if (failed(verifySeqOffsets(*this, getSeqOffsets())))
    return failure();
  return verifyInferredType(*this);
}

/// The shape rule of conv1d and of its step form: the input's shape.
static shapes::ShapeResult conv1dShape(Value input, Value weight, Value bias,
                                       const OperandShapes &shapes = {}) {
  std::optional<shapes::Shape> biasShape;
  return shapes::conv1dShape(shapes(input), shapes(weight),
                             shapes.optional(bias, biasShape),
                             shapes::Naming{{"input", "weight", "bias"}});
}

LogicalResult Conv1dOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult Conv1dOp::shapeRule(Adaptor adaptor,
                                        const OperandShapes &shapes) {
  return conv1dShape(adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
                     shapes);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// The shape rule of a reduction.
static shapes::ShapeResult reduceShape(Value input, ArrayRef<int64_t> axes,
                                       bool keepdims,
                                       const OperandShapes &shapes) {
  return shapes::reduceShape(shapes(input),
                             std::vector<int64_t>(axes.begin(), axes.end()),
                             keepdims, shapes::Naming{{"input"}});
}

template <typename Op> static LogicalResult verifyReduce(Op op) {
  if (failed(verifySameElementType(op, {op.getInput(), op.getResult()})))
    return failure();
  // The IR keeps axes sorted (its canonical form); the rule checks the rest.
  ArrayRef<int64_t> axes = op.getAxes();
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i - 1] >= axes[i])
      return op.emitOpError("axes must be sorted and unique");
  return verifyInferredType(op);
}

LogicalResult ReduceSumOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceMeanOp::verify() {
  // An integer mean has no exact result type (docs/json-ir.md: float only).
  Type element = getInput().getType().getElementType();
  if (!isa<FloatType>(element))
    return emitOpError("requires a float element type, got ") << element;
  return verifyReduce(*this);
}
LogicalResult ReduceMaxOp::verify() { return verifyReduce(*this); }

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
  // The target shape is the result type's; only it can say the shape.
  shapes::ShapeResult rule = shapes::reshapeShape(
      ruleShape(input.getShape()), ruleShape(result.getShape()), std::nullopt,
      shapes::Naming{{"input"}});
  if (!rule)
    return emitOpError(rule.error().message);
  return success();
}

LogicalResult ReshapeOp::reifyResultShapes(OpBuilder &builder,
                                           ReifiedRankedShapedTypeDims &dims) {
  // The result type's static sizes, `sizes` for the dynamic ones.
  SmallVector<OpFoldResult> &sizes = dims.emplace_back();
  ValueRange dynamic = getSizes();
  for (int64_t size : getResult().getType().getShape()) {
    if (ShapedType::isDynamic(size)) {
      sizes.push_back(dynamic.front());
      dynamic = dynamic.drop_front();
    } else {
      sizes.push_back(builder.getIndexAttr(size));
    }
  }
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

LogicalResult TransposeOp::verify() { return verifyInferredType(*this); }

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult TransposeOp::shapeRule(Adaptor adaptor,
                                           const OperandShapes &shapes) {
  ArrayRef<int64_t> perm = adaptor.getPerm();
  return shapes::transposeShape(shapes(adaptor.getInput()),
                                std::vector<int64_t>(perm.begin(), perm.end()),
                                shapes::Naming{{"input"}});
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

LogicalResult SliceOp::verify() { return verifyInferredType(*this); }

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> location,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult SliceOp::shapeRule(Adaptor adaptor,
                                       const OperandShapes &shapes) {
  std::optional<int64_t> end;
  if (adaptor.getEnd())
    end = static_cast<int64_t>(*adaptor.getEnd());
  return shapes::sliceShape(
      shapes(adaptor.getInput()), static_cast<int64_t>(adaptor.getAxis()),
      static_cast<int64_t>(adaptor.getStart()), end, shapes::Naming{{"input"}});
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
  if (failed(verifySameElementType(*this, getInputs())))
    return failure();
  return verifyInferredType(*this);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(location, "'", getOperationName(),
                             "' op expects at least one input");
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInputs().front()).getElementType(),
                       types);
}

shapes::ShapeResult ConcatOp::shapeRule(Adaptor adaptor,
                                        const OperandShapes &shapes) {
  shapes::Naming naming;
  std::vector<shapes::Shape> inputs;
  for (Value input : adaptor.getInputs()) {
    naming.roles.push_back("x" + std::to_string(inputs.size()));
    inputs.push_back(shapes(input));
  }
  return shapes::concatShape(inputs, static_cast<int64_t>(adaptor.getAxis()),
                             naming);
}

/// The shape rule of split: the part sizes along the axis are the
/// results' sizes there (the verifier checks that they are static).
static shapes::ShapesResult splitRule(SplitOp op,
                                      const OperandShapes &shapes = {}) {
  int64_t axis = op.getAxis();
  std::vector<int64_t> sizes;
  for (Value result : op.getResults()) {
    RankedTensorType type = tensorType(result);
    // An axis out of range is the rule's to report.
    if (axis >= 0 && axis < type.getRank())
      sizes.push_back(type.getDimSize(axis));
  }
  return shapes::splitShapes(shapes(op.getInput()), axis, sizes, sizes.size(),
                             shapes::Naming{{"input"}});
}

LogicalResult SplitOp::reifyResultShapes(OpBuilder &builder,
                                         ReifiedRankedShapedTypeDims &dims) {
  return reifyRuleShapes(
      *this, builder, splitRule(*this, OperandShapes((*this)->getOperands())),
      dims);
}

LogicalResult SplitOp::verify() {
  RankedTensorType input = getInput().getType();
  if (getResults().empty())
    return emitOpError("expects at least one result");
  int64_t axis = getAxis();
  for (Value result : getResults()) {
    RankedTensorType type = tensorType(result);
    if (type.getElementType() != input.getElementType() ||
        type.getRank() != input.getRank())
      return emitOpError("results must keep the input's rank and element "
                         "type");
    if (axis >= 0 && axis < type.getRank() && type.isDynamicDim(axis))
      return emitOpError("result sizes along the axis must be static");
  }
  return verifyShapeRules(*this, splitRule(*this));
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
template <typename Op> static LogicalResult verifyCompare(Op op) {
  if (failed(verifySameElementType(op, {op.getLhs(), op.getRhs()})))
    return failure();
  return verifyInferredType(op);
}

LogicalResult EqualOp::verify() { return verifyCompare(*this); }
LogicalResult NotEqualOp::verify() { return verifyCompare(*this); }
LogicalResult LessOp::verify() { return verifyCompare(*this); }
LogicalResult LessEqualOp::verify() { return verifyCompare(*this); }
LogicalResult GreaterOp::verify() { return verifyCompare(*this); }
LogicalResult GreaterEqualOp::verify() { return verifyCompare(*this); }

LogicalResult WhereOp::verify() { return verifyBinary(*this); }

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> location,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getLhs()).getElementType(), types);
}

shapes::ShapeResult WhereOp::shapeRule(Adaptor adaptor,
                                       const OperandShapes &shapes) {
  return shapes::whereShape(shapes(adaptor.getCond()), shapes(adaptor.getLhs()),
                            shapes(adaptor.getRhs()),
                            shapes::Naming{{"cond", "lhs", "rhs"}});
}

LogicalResult ArangeOp::verify() {
  // The result's element type is its own (a `dtype`), so its type is not
  // inferred: the verifier checks its shape.
  return verifyShapeRule(*this, shapeRule(Adaptor(*this)));
}

shapes::ShapeResult ArangeOp::shapeRule(Adaptor adaptor,
                                        const OperandShapes &shapes) {
  std::optional<shapes::Shape> offsets;
  return shapes::arangeShape(shapes(adaptor.getInput()),
                             shapes.optional(adaptor.getSeqOffsets(), offsets),
                             adaptor.getAxis(),
                             shapes::Naming{{"input", "seq_offsets"}});
}

LogicalResult GatherOp::verify() { return verifyInferredType(*this); }

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult GatherOp::shapeRule(Adaptor adaptor,
                                        const OperandShapes &shapes) {
  return shapes::gatherShape(shapes(adaptor.getInput()),
                             shapes(adaptor.getIndices()),
                             static_cast<int64_t>(adaptor.getAxis()),
                             shapes::Naming{{"input", "indices"}});
}

LogicalResult TakeAlongAxisOp::verify() { return verifyInferredType(*this); }

LogicalResult TakeAlongAxisOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult TakeAlongAxisOp::shapeRule(Adaptor adaptor,
                                               const OperandShapes &shapes) {
  return shapes::takeAlongAxisShape(shapes(adaptor.getInput()),
                                    shapes(adaptor.getIndices()),
                                    static_cast<int64_t>(adaptor.getAxis()),
                                    shapes::Naming{{"input", "indices"}});
}

LogicalResult ArgmaxOp::verify() { return verifyInferredType(*this); }

LogicalResult ArgmaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       IntegerType::get(context, 64), types);
}

shapes::ShapeResult ArgmaxOp::shapeRule(Adaptor adaptor,
                                        const OperandShapes &shapes) {
  return shapes::argmaxShape(shapes(adaptor.getInput()),
                             static_cast<int64_t>(adaptor.getAxis()),
                             adaptor.getKeepdims(), shapes::Naming{{"input"}});
}

LogicalResult TopKOp::verify() {
  // The indices are optional, so the results are not inferred: the
  // verifier checks both against the rule.
  if (failed(verifySameElementType(*this, {getInput(), getValues()})))
    return failure();
  shapes::ShapeResult rule = shapeRule(Adaptor(*this));
  if (!rule)
    return emitOpError(rule.error().message);
  std::vector<shapes::Shape> results(getNumResults(), *rule);
  return verifyShapeRules(*this, results);
}

shapes::ShapeResult TopKOp::shapeRule(Adaptor adaptor,
                                      const OperandShapes &shapes) {
  return shapes::topKShape(shapes(adaptor.getInput()), adaptor.getAxis(),
                           adaptor.getK(), shapes::Naming{{"input"}});
}

LogicalResult CumsumOp::verify() { return verifyInferredType(*this); }

LogicalResult CumsumOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  // As torch.cumsum: integer sums are i64.
  Type element = tensorType(adaptor.getInput()).getElementType();
  if (!isa<FloatType>(element))
    element = IntegerType::get(context, 64);
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       element, types);
}

shapes::ShapeResult CumsumOp::shapeRule(Adaptor adaptor,
                                        const OperandShapes &shapes) {
  std::optional<shapes::Shape> offsets;
  return shapes::cumsumShape(shapes(adaptor.getInput()),
                             shapes.optional(adaptor.getSeqOffsets(), offsets),
                             static_cast<int64_t>(adaptor.getAxis()),
                             shapes::Naming{{"input", "seq_offsets"}});
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

namespace {
/// A list of op classes that share a role, with the checks the role needs.
template <typename... Ops> struct OpList {
  static bool contains(Operation *op) { return isa<Ops...>(op); }

  /// The result shape of `op`, one of the list, by its own rule.
  static shapes::ShapeResult shapeRule(Operation *op,
                                       const OperandShapes &shapes) {
    std::optional<shapes::ShapeResult> result;
    (void)((isa<Ops>(op) && (result = Ops::shapeRule(
                                 typename Ops::Adaptor(cast<Ops>(op)), shapes),
                             true)) ||
           ...);
    return *result;
  }
};

using ElementwiseOps =
    OpList<ReluOp, GeluOp, GeluTanhOp, SiluOp, QuickGeluOp, SigmoidOp, TanhOp,
           ExpOp, SoftplusOp, NegOp, RsqrtOp, LogOp, SqrtOp, AbsOp, SquareOp,
           ErfOp, SinOp, CosOp, AddOp, SubOp, MulOp, DivOp, MaximumOp,
           MinimumOp, PowOp, CastOp>;
using DataMovementOps = OpList<SliceOp, ConcatOp, TransposeOp>;
} // namespace

bool kiln::graph::isElementwise(Operation *op) {
  return ElementwiseOps::contains(op);
}

bool kiln::graph::isGroupDataMovement(Operation *op) {
  if (auto slice = dyn_cast<SliceOp>(op))
    return !slice.getInput().getType().isDynamicDim(slice.getAxis());
  if (auto transpose = dyn_cast<TransposeOp>(op))
    return !transpose.getPerm().empty() &&
           transpose.getPerm().back() ==
               static_cast<int64_t>(transpose.getPerm().size()) - 1;
  return isa<ConcatOp>(op);
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
  for (Operation &op : body.without_terminator()) {
    if (!isGroupMember(&op))
      return op.emitOpError(
          "cannot be part of a fused elementwise group: only elementwise ops, "
          "slices of static axes, concats and transposes that keep the last "
          "axis last can");
    // The kernel evaluates an elementwise op's operands at the op's own
    // place: only the group's inputs may broadcast.
    if (!isElementwise(&op))
      continue;
    for (Value operand : op.getOperands())
      if (!isa<BlockArgument>(operand) &&
          cast<RankedTensorType>(operand.getType()).getShape() !=
              cast<RankedTensorType>(op.getResult(0).getType()).getShape())
        return op.emitOpError("broadcasts a value computed in the group; "
                              "only the group's inputs may broadcast");
  }
  return success();
}

shapes::ShapeResult FusedElementwiseOp::shapeRule(Adaptor adaptor,
                                                  const OperandShapes &shapes) {
  // Each body op applies its own rule to the shapes derived before it,
  // starting from the inputs' (with their origins when reifying).
  Region &region = *adaptor.getRegions().front();
  if (region.empty())
    return shapes::RuleError("the body is empty");
  Block &body = region.front();
  llvm::DenseMap<Value, shapes::Shape> derived;
  for (auto [arg, input] :
       llvm::zip_equal(body.getArguments(), adaptor.getInputs()))
    derived[arg] = shapes(input);
  OperandShapes inside(adaptor.getInputs(), derived);
  for (Operation &op : body.without_terminator()) {
    if (!isGroupMember(&op))
      return shapes::RuleError("'" + op.getName().getStringRef().str() +
                               "' cannot be part of a fused group");
    shapes::ShapeResult result = isElementwise(&op)
                                     ? ElementwiseOps::shapeRule(&op, inside)
                                     : DataMovementOps::shapeRule(&op, inside);
    if (!result)
      return result;
    derived[op.getResult(0)] = *result;
  }
  Operation *yield = body.getTerminator();
  if (!yield || yield->getNumOperands() != 1)
    return shapes::RuleError("the body yields no value");
  return inside(yield->getOperand(0));
}

LogicalResult Conv1dStepOp::verify() {
  if (failed(verifyInferredType(*this)))
    return failure();
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  shapes::ShapeResult state = shapes::conv1dStateShape(
      ruleShape(shape), ruleShape(getWeight().getType().getShape()),
      shapes::Naming{{"input", "weight"}});
  return verifyGenerationState(*this, getState(), state, getSlots(),
                               getPositions(), shape[0]);
}

LogicalResult Conv1dStepOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> location,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                       tensorType(adaptor.getInput()).getElementType(), types);
}

shapes::ShapeResult Conv1dStepOp::shapeRule(Adaptor adaptor,
                                            const OperandShapes &shapes) {
  return conv1dShape(adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
                     shapes);
}

LogicalResult RingStoreOp::verify() {
  ArrayRef<int64_t> values = getValues().getType().getShape();
  ArrayRef<int64_t> state = getState().getType().getShape();
  int64_t ring = state.size() >= 2 ? state[1] : ShapedType::kDynamic;
  int64_t batch = values.empty() ? ShapedType::kDynamic : values[0];
  return verifyGenerationState(
      *this, getState(),
      shapes::ringStateShape(ruleShape(values), ruleShape({ring})[0],
                             shapes::Naming{{"values"}}),
      getSlots(), getPositions(), batch);
}

#define GET_OP_CLASSES
#include "dialects/Graph/IR/GraphOps.cpp.inc"
