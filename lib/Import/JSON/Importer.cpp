//===- Importer.cpp - JSON IR model to MLIR -------------------------------===//
//
// Emits one Kiln op per node of a validated model. The model has already
// been checked and shape-inferred (Model.h), so every node's attributes are
// normalized and every value's type is known; this file only translates.
//
// A model that can generate (Generation.h) also gets `@kiln_prefill` and
// `@kiln_decode`: the same nodes, with each stateful node in its stateful
// form reading and updating the per-sequence state arguments
// (docs/compiler.md, "Generation").
//
//===----------------------------------------------------------------------===//

#include "lib/Import/JSON/Importer.h"
#include "lib/Import/JSON/Generation.h"

#include "dialects/Attn/IR/AttnOps.h"
#include "dialects/FFN/IR/FFNOps.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using nlohmann::json;

namespace kiln {
namespace {

/// linear_attention's feature map and normalization, from its attrs.
attn::FeatureMap featureMapOf(const json &attrs) {
  return llvm::StringSwitch<attn::FeatureMap>(
             attrs["feature_map"].get<std::string>())
      .Case("relu", attn::FeatureMap::relu)
      .Case("identity", attn::FeatureMap::identity)
      .Default(attn::FeatureMap::elu1);
}

attn::Normalize normalizeOf(const json &attrs) {
  return attrs["normalize"] == "none" ? attn::Normalize::none
                                      : attn::Normalize::denominator;
}

/// An attention op's power normalizer and soft cap, when its attrs ask for
/// them.
template <typename AttentionOp>
void setNormalizerAndSoftcap(AttentionOp op, const json &attrs) {
  if (attrs.contains("softcap"))
    op.setSoftcapAttr(FloatAttr::get(Float64Type::get(op.getContext()),
                                     attrs["softcap"].get<double>()));
  if (attrs["normalizer"]["kind"] != "power")
    return;
  op.setNormalizer(attn::Normalizer::power);
  op.setPower(attrs["normalizer"]["p"].get<int64_t>());
}

/// The function being emitted: the full-sequence model, or one of the
/// generation entries.
enum class Entry { Full, Prefill, Decode };

class Importer {
public:
  Importer(MLIRContext &context, const model::Model &model)
      : model(model), plan(model::planGeneration(model)), builder(&context) {}

  OwningOpRef<ModuleOp> run();

private:
  LogicalResult emitFunction(ModuleOp module, Entry kind);
  Type elementType(model::DType dtype);
  RankedTensorType tensorType(const model::TensorType &type);
  /// The type of value `id` in the function being emitted.
  Type typeOf(int id);
  /// The stateful form of a node in a generation entry; empty when the node
  /// has none.
  SmallVector<Value> importStateful(const model::Node &node, int index,
                                    Location loc);
  /// `arange` along the sequence in the decode entry.
  Value importDecodePositions(const model::Node &node, Location loc);
  /// Each token's position, `positions[:, None] + arange(seq)` `[batch, seq]`.
  Value tokenPositions(Location loc);
  /// The mapped value of input `position` of `node`, or null when absent.
  Value input(const model::Node &node, size_t position);
  /// The run-time size of a symbolic dimension.
  Value symbolSize(int symbol);
  LogicalResult importNode(const model::Node &node, int index);
  SmallVector<Value> importComposite(const model::Node &node, Location loc);
  SmallVector<Value> importGraphOp(const model::Node &node, Location loc);
  /// The generation glue ops (docs/json-ir.md, "Additions to v1").
  SmallVector<Value> importAddition(const model::Node &node, Location loc);
  DenseElementsAttr constantValue(const model::Node &node);

  /// Creates a one-result op of the node: an op that infers its result
  /// type from the shared shape rule (InferTypeOpInterface) is built without
  /// one, any other with the output type the JSON front end inferred.
  template <typename Op, typename... Args>
  SmallVector<Value> single(Location loc, const model::Node &node,
                            Args &&...args) {
    if constexpr (Op::template hasTrait<InferTypeOpInterface::Trait>())
      return {builder.create<Op>(loc, std::forward<Args>(args)...).getResult()};
    else
      return {builder.create<Op>(loc, typeOf(node.outputs[0]),
                                 std::forward<Args>(args)...)
                  .getResult()};
  }

  const model::Model &model;
  const model::GenerationPlan plan;
  OpBuilder builder;
  std::vector<Value> values;
  DenseMap<int, Value> symbolSizes;
  Block *entry = nullptr;
  Entry kind = Entry::Full;
  /// Arguments of the generation entries.
  Value slots, positions, positionsOfTokens;
  SmallVector<Value> states;
};

Type Importer::typeOf(int id) {
  RankedTensorType type = tensorType(model.value(id).type);
  if (kind != Entry::Decode || !plan.batchedInDecode.count(id))
    return type;
  SmallVector<int64_t> shape = {ShapedType::kDynamic};
  llvm::append_range(shape, type.getShape());
  return RankedTensorType::get(shape, type.getElementType());
}

Type Importer::elementType(model::DType dtype) {
  switch (dtype) {
  case model::DType::F32:
    return builder.getF32Type();
  case model::DType::F16:
    return builder.getF16Type();
  case model::DType::BF16:
    return builder.getBF16Type();
  case model::DType::I32:
    return builder.getI32Type();
  case model::DType::I64:
    return builder.getI64Type();
  case model::DType::Bool:
    return builder.getI1Type();
  }
  llvm_unreachable("unknown dtype");
}

RankedTensorType Importer::tensorType(const model::TensorType &type) {
  SmallVector<int64_t> shape;
  for (const model::Dim &dim : type.shape)
    shape.push_back(dim.isStatic() ? dim.size : ShapedType::kDynamic);
  return RankedTensorType::get(shape, elementType(type.dtype));
}

Value Importer::input(const model::Node &node, size_t position) {
  if (position >= node.inputs.size() || node.inputs[position] < 0)
    return Value();
  return values[node.inputs[position]];
}

Value Importer::symbolSize(int symbol) {
  Value &size = symbolSizes[symbol];
  if (size)
    return size;
  // Every symbolic dimension is bound by some graph input (the validator
  // checks it); read it from the first one that carries it.
  for (int id : model.inputs) {
    const model::Shape &shape = model.value(id).type.shape;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d].symbol != symbol)
        continue;
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(entry);
      size = builder.create<tensor::DimOp>(values[id].getLoc(), values[id],
                                           static_cast<int64_t>(d));
      return size;
    }
  }
  return Value();
}

OwningOpRef<ModuleOp> Importer::run() {
  Location fileLoc = FileLineColLoc::get(builder.getContext(),
                                         model.name + ".json", 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc, model.name);
  module->getOperation()->setAttr("kiln.signature",
                                  builder.getStringAttr(buildSignature(model)));
  module->getOperation()->setAttr("kiln.source",
                                  builder.getStringAttr(model.source));

  if (failed(emitFunction(*module, Entry::Full)))
    return nullptr;
  if (plan.available() && (failed(emitFunction(*module, Entry::Prefill)) ||
                           failed(emitFunction(*module, Entry::Decode))))
    return nullptr;
  return module;
}

LogicalResult Importer::emitFunction(ModuleOp module, Entry entryKind) {
  kind = entryKind;
  Location fileLoc = FileLineColLoc::get(builder.getContext(),
                                         model.name + ".json", 0, 0);
  bool generating = kind != Entry::Full;
  auto indexType = RankedTensorType::get({ShapedType::kDynamic},
                                         builder.getI64Type());
  SmallVector<Type> argTypes, resultTypes;
  for (int id : model.inputs)
    argTypes.push_back(typeOf(id));
  if (generating)
    argTypes.append({indexType, indexType});
  for (int id : model.params)
    argTypes.push_back(typeOf(id));
  if (generating)
    for (const model::StateBuffer &state : plan.states) {
      SmallVector<int64_t> shape = {ShapedType::kDynamic};
      if (state.hasRing)
        shape.push_back(state.ring ? state.ring : ShapedType::kDynamic);
      llvm::append_range(shape, state.rest);
      argTypes.push_back(RankedTensorType::get(shape, builder.getF32Type()));
    }
  for (int id : model.outputs)
    resultTypes.push_back(typeOf(id));
  builder.setInsertionPointToEnd(module.getBody());
  StringRef name = kind == Entry::Full      ? kModelFunctionName
                   : kind == Entry::Prefill ? kPrefillFunctionName
                                            : kDecodeFunctionName;
  auto func = builder.create<func::FuncOp>(
      fileLoc, name, builder.getFunctionType(argTypes, resultTypes));
  entry = func.addEntryBlock();

  values.assign(model.values.size(), Value());
  symbolSizes.clear();
  positionsOfTokens = Value();
  states.clear();
  unsigned argument = 0;
  for (int id : model.inputs)
    values[id] = entry->getArgument(argument++);
  if (generating) {
    slots = entry->getArgument(argument++);
    positions = entry->getArgument(argument++);
  }
  for (int id : model.params)
    values[id] = entry->getArgument(argument++);
  if (generating)
    for (size_t i = 0; i < plan.states.size(); ++i)
      states.push_back(entry->getArgument(argument++));
  builder.setInsertionPointToEnd(entry);
  for (auto [index, node] : llvm::enumerate(model.nodes))
    if (failed(importNode(node, index)))
      return failure();
  SmallVector<Value> results;
  for (int id : model.outputs)
    results.push_back(values[id]);
  builder.create<func::ReturnOp>(fileLoc, results);
  return success();
}

Value Importer::tokenPositions(Location loc) {
  if (positionsOfTokens)
    return positionsOfTokens;
  using namespace graph;
  Type i64 = builder.getI64Type();
  int64_t dynamic = ShapedType::kDynamic;
  Value column = builder.create<ReshapeOp>(
      loc, RankedTensorType::get({dynamic, 1}, i64), positions,
      ValueRange{symbolSize(plan.batchSymbol)});
  Value steps = builder.create<ArangeOp>(
      loc, RankedTensorType::get({dynamic}, i64), values[plan.tokens],
      Value(), builder.getI64IntegerAttr(1), builder.getF64FloatAttr(0.0));
  positionsOfTokens = builder.create<AddOp>(
      loc, RankedTensorType::get({dynamic, dynamic}, i64), column, steps);
  return positionsOfTokens;
}

Value Importer::importDecodePositions(const model::Node &node, Location loc) {
  auto type = cast<RankedTensorType>(typeOf(node.outputs[0]));
  Value result = tokenPositions(loc);
  if (type.getElementType() != builder.getI64Type())
    result = builder.create<graph::CastOp>(loc, type, result);
  double start = node.attrs["start"].get<double>();
  if (start == 0.0)
    return result;
  auto scalar = RankedTensorType::get({}, type.getElementType());
  Attribute value =
      isa<FloatType>(type.getElementType())
          ? Attribute(builder.getFloatAttr(type.getElementType(), start))
          : Attribute(builder.getIntegerAttr(type.getElementType(),
                                             static_cast<int64_t>(start)));
  Value offset = builder.create<graph::ConstantOp>(
      loc, scalar, DenseElementsAttr::get(scalar, value));
  return builder.create<graph::AddOp>(loc, type, result, offset);
}

SmallVector<Value> Importer::importStateful(const model::Node &node, int index,
                                            Location loc) {
  if (kind == Entry::Full)
    return {};
  if (kind == Entry::Decode && node.op == "arange" &&
      plan.batchedInDecode.count(node.outputs[0]))
    return {importDecodePositions(node, loc)};
  if (kind == Entry::Decode && node.op == "rope" && !input(node, 1)) {
    const json &attrs = node.attrs;
    return single<graph::RopeOp>(
        loc, node, input(node, 0), tokenPositions(loc),
        builder.getF64FloatAttr(attrs["theta"]),
        builder.getI64IntegerAttr(attrs["rotary_dim"]),
        attrs["interleaved"].get<bool>() ? builder.getUnitAttr() : UnitAttr());
  }
  auto found = plan.firstState.find(index);
  if (found == plan.firstState.end())
    return {};
  Value state = states[found->second];
  Value x0 = input(node, 0), x1 = input(node, 1), x2 = input(node, 2);
  const json &attrs = node.attrs;
  if (node.op == "attention") {
    Value valueCache = states[found->second + 1];
    if (kind == Entry::Prefill) {
      // The full-sequence attention over the prompt, which fills the cache.
      SmallVector<Value> result = importComposite(node, loc);
      builder.create<graph::RingStoreOp>(loc, state, x1, slots, positions);
      builder.create<graph::RingStoreOp>(loc, valueCache, x2, slots,
                                         positions);
      return result;
    }
    auto mask = llvm::StringSwitch<attn::MaskKind>(
                    attrs["mask"]["kind"].get<std::string>())
                    .Case("sliding_window", attn::MaskKind::sliding_window)
                    .Case("block_diagonal", attn::MaskKind::block_diagonal)
                    .Default(attn::MaskKind::causal);
    auto op = builder.create<attn::DecodeAttentionOp>(
        loc, typeOf(node.outputs[0]), x0, x1, x2, state, valueCache, slots,
        positions, builder.getF64FloatAttr(attrs["scale"].get<double>()),
        attn::MaskKindAttr::get(builder.getContext(), mask),
        attn::NormalizerAttr(), IntegerAttr(), /*softcap=*/FloatAttr());
    setNormalizerAndSoftcap(op, attrs);
    return {op.getResult()};
  }
  if (node.op == "linear_attention") {
    auto *ctx = builder.getContext();
    return single<attn::LinearAttentionStepOp>(
        loc, node, x0, x1, x2, state, states[found->second + 1], slots,
        attn::FeatureMapAttr::get(ctx, featureMapOf(attrs)),
        attn::NormalizeAttr::get(ctx, normalizeOf(attrs)));
  }
  if (node.op == "selective_scan")
    return single<scan::SelectiveScanStepOp>(
        loc, node, x0, x1, x2, input(node, 3), input(node, 4), input(node, 5),
        input(node, 6), input(node, 7), state, slots,
        attrs["delta_softplus"].get<bool>() ? builder.getUnitAttr()
                                            : UnitAttr());
  if (node.op == "linear_recurrence")
    return single<scan::LinearRecurrenceStepOp>(loc, node, x0, x1, state,
                                                slots);
  if (node.op == "conv1d")
    return single<graph::Conv1dStepOp>(loc, node, x0, x1, x2, state, slots,
                                       positions);
  return {};
}

LogicalResult Importer::importNode(const model::Node &node, int index) {
  Location loc = NameLoc::get(builder.getStringAttr(node.pointer),
                              FileLineColLoc::get(builder.getContext(),
                                                  model.name + ".json", 0, 0));
  SmallVector<Value> results = importStateful(node, index, loc);
  if (results.empty())
    results = importComposite(node, loc);
  if (results.empty())
    results = importGraphOp(node, loc);
  if (results.empty())
    results = importAddition(node, loc);
  if (results.size() != node.outputs.size())
    return emitError(loc) << "cannot import op '" << node.op << "'";
  for (auto [id, result] : llvm::zip(node.outputs, results))
    values[id] = result;
  return success();
}

/// attn, scan and ffn ops; empty for anything else.
SmallVector<Value> Importer::importComposite(const model::Node &node,
                                             Location loc) {
  const json &attrs = node.attrs;
  Value x0 = input(node, 0), x1 = input(node, 1), x2 = input(node, 2);
  if (node.op == "attention") {
    const json &mask = attrs["mask"];
    auto kind = llvm::StringSwitch<attn::MaskKind>(
                    mask["kind"].get<std::string>())
                    .Case("causal", attn::MaskKind::causal)
                    .Case("sliding_window", attn::MaskKind::sliding_window)
                    .Case("block_diagonal", attn::MaskKind::block_diagonal)
                    .Default(attn::MaskKind::none);
    auto op = builder.create<attn::AttentionOp>(
        loc, typeOf(node.outputs[0]), x0, x1, x2, input(node, 3),
        input(node, 4), builder.getF64FloatAttr(attrs["scale"].get<double>()),
        attn::MaskKindAttr::get(builder.getContext(), kind), IntegerAttr(),
        IntegerAttr(), UnitAttr(), attn::NormalizerAttr(), IntegerAttr(),
        /*softcap=*/FloatAttr());
    if (kind == attn::MaskKind::sliding_window)
      op.setWindow(mask["window"].get<int64_t>());
    if (kind == attn::MaskKind::block_diagonal) {
      op.setBlock(mask["block"].get<int64_t>());
      op.setCausal(mask.value("causal", false));
    }
    setNormalizerAndSoftcap(op, attrs);
    return {op.getResult()};
  }
  if (node.op == "linear_attention") {
    auto *ctx = builder.getContext();
    return single<attn::LinearAttentionOp>(
        loc, node, x0, x1, x2, input(node, 3),
        attn::FeatureMapAttr::get(ctx, featureMapOf(attrs)),
        attrs["causal"].get<bool>() ? builder.getUnitAttr() : UnitAttr(),
        attn::NormalizeAttr::get(ctx, normalizeOf(attrs)));
  }
  if (node.op == "selective_scan") {
    Type stateType = node.outputs.size() > 1 ? typeOf(node.outputs[1]) : Type();
    auto op = builder.create<scan::SelectiveScanOp>(
        loc, typeOf(node.outputs[0]), stateType, x0, x1, x2, input(node, 3),
        input(node, 4), input(node, 5), input(node, 6), input(node, 7),
        input(node, 8),
        attrs["delta_softplus"].get<bool>() ? builder.getUnitAttr()
                                            : UnitAttr());
    SmallVector<Value> results = {op.getY()};
    if (stateType)
      results.push_back(op.getFinalState());
    return results;
  }
  if (node.op == "linear_recurrence")
    return single<scan::LinearRecurrenceOp>(
        loc, node, x0, x1, x2, input(node, 3),
        attrs["reverse"].get<bool>() ? builder.getUnitAttr() : UnitAttr());

  auto activation = [&]() {
    auto act = parseActivation(attrs["activation"].get<std::string>());
    return graph::ActivationAttr::get(builder.getContext(), *act);
  };
  if (node.op == "mlp")
    return single<ffn::MLPOp>(loc, node, x0, x1, x2, input(node, 3),
                              input(node, 4), /*residual=*/Value(),
                              activation());
  if (node.op == "glu")
    return single<ffn::GLUOp>(loc, node, x0, x1, x2, input(node, 3),
                              /*residual=*/Value(), activation());
  return {};
}

SmallVector<Value> Importer::importGraphOp(const model::Node &node,
                                           Location loc) {
  using namespace graph;
  const json &attrs = node.attrs;
  const std::string &op = node.op;
  Value x0 = input(node, 0), x1 = input(node, 1), x2 = input(node, 2);

  if (op == "add")
    return single<AddOp>(loc, node, x0, x1);
  if (op == "sub")
    return single<SubOp>(loc, node, x0, x1);
  if (op == "mul")
    return single<MulOp>(loc, node, x0, x1);
  if (op == "div")
    return single<DivOp>(loc, node, x0, x1);
  if (op == "relu")
    return single<ReluOp>(loc, node, x0);
  if (op == "gelu")
    return single<GeluOp>(loc, node, x0);
  if (op == "gelu_tanh")
    return single<GeluTanhOp>(loc, node, x0);
  if (op == "silu")
    return single<SiluOp>(loc, node, x0);
  if (op == "quick_gelu")
    return single<QuickGeluOp>(loc, node, x0);
  if (op == "sigmoid")
    return single<SigmoidOp>(loc, node, x0);
  if (op == "tanh")
    return single<TanhOp>(loc, node, x0);
  if (op == "exp")
    return single<ExpOp>(loc, node, x0);
  if (op == "softplus")
    return single<SoftplusOp>(loc, node, x0);
  if (op == "neg")
    return single<NegOp>(loc, node, x0);
  if (op == "rsqrt")
    return single<RsqrtOp>(loc, node, x0);
  if (op == "linear")
    return single<LinearOp>(loc, node, x0, x1, x2);
  if (op == "matmul")
    return single<MatmulOp>(loc, node, x0, x1);
  if (op == "layer_norm")
    return single<LayerNormOp>(loc, node, x0, x1, x2,
                               builder.getF64FloatAttr(attrs["eps"]));
  if (op == "rms_norm")
    return single<RMSNormOp>(loc, node, x0, x1,
                             builder.getF64FloatAttr(attrs["eps"]));
  if (op == "softmax")
    return single<SoftmaxOp>(loc, node, x0,
                             builder.getI64IntegerAttr(attrs["axis"]));
  if (op == "embedding")
    return single<EmbeddingOp>(loc, node, x0, x1);
  if (op == "rope")
    return single<RopeOp>(
        loc, node, x0, x1, builder.getF64FloatAttr(attrs["theta"]),
        builder.getI64IntegerAttr(attrs["rotary_dim"]),
        attrs["interleaved"].get<bool>() ? builder.getUnitAttr() : UnitAttr());
  if (op == "conv1d")
    return single<Conv1dOp>(loc, node, x0, x1, x2, input(node, 3));
  if (op == "reduce_sum" || op == "reduce_mean" || op == "reduce_max") {
    auto axes = builder.getDenseI64ArrayAttr(
        attrs["axes"].get<std::vector<int64_t>>());
    UnitAttr keep = attrs["keepdims"].get<bool>() ? builder.getUnitAttr()
                                                  : UnitAttr();
    if (op == "reduce_sum")
      return single<ReduceSumOp>(loc, node, x0, axes, keep);
    if (op == "reduce_mean")
      return single<ReduceMeanOp>(loc, node, x0, axes, keep);
    return single<ReduceMaxOp>(loc, node, x0, axes, keep);
  }
  if (op == "reshape") {
    SmallVector<Value> sizes;
    for (const model::Dim &dim : model.value(node.outputs[0]).type.shape)
      if (!dim.isStatic())
        sizes.push_back(symbolSize(dim.symbol));
    return single<ReshapeOp>(loc, node, x0, sizes);
  }
  if (op == "transpose")
    return single<TransposeOp>(
        loc, node, x0,
        builder.getDenseI64ArrayAttr(attrs["perm"].get<std::vector<int64_t>>()));
  if (op == "slice") {
    // The whole of a symbolic axis is the input itself.
    if (typeOf(node.outputs[0]) == x0.getType())
      return {x0};
    const json &end = attrs["end"];
    return single<SliceOp>(
        loc, node, x0, builder.getI64IntegerAttr(attrs["axis"]),
        builder.getI64IntegerAttr(attrs["start"]),
        end.is_null() ? IntegerAttr() : builder.getI64IntegerAttr(end));
  }
  if (op == "concat") {
    SmallVector<Value> inputs;
    for (int id : node.inputs)
      inputs.push_back(values[id]);
    return single<ConcatOp>(loc, node, inputs,
                            builder.getI64IntegerAttr(attrs["axis"]));
  }
  if (op == "split") {
    SmallVector<Type> types;
    for (int id : node.outputs)
      types.push_back(typeOf(id));
    auto split = builder.create<SplitOp>(
        loc, types, x0, builder.getI64IntegerAttr(attrs["axis"]));
    return SmallVector<Value>(split.getResults());
  }
  if (op == "cast")
    return single<CastOp>(loc, node, x0);
  return {};
}

DenseElementsAttr Importer::constantValue(const model::Node &node) {
  auto type = cast<RankedTensorType>(typeOf(node.outputs[0]));
  Type element = type.getElementType();
  auto attr = [&](const json &number) -> Attribute {
    if (isa<FloatType>(element))
      return builder.getFloatAttr(element, number.get<double>());
    return builder.getIntegerAttr(element, number.get<int64_t>());
  };
  const json &value = node.attrs["value"];
  if (!value.is_array())
    return DenseElementsAttr::get(type, attr(value));
  SmallVector<Attribute> elements;
  for (const json &number : value)
    elements.push_back(attr(number));
  return DenseElementsAttr::get(type, elements);
}

SmallVector<Value> Importer::importAddition(const model::Node &node,
                                            Location loc) {
  using namespace graph;
  const json &attrs = node.attrs;
  const std::string &op = node.op;
  Value x0 = input(node, 0), x1 = input(node, 1), x2 = input(node, 2);
  auto axis = [&]() { return builder.getI64IntegerAttr(attrs["axis"]); };
  auto flag = [&](const char *key) {
    return attrs[key].get<bool>() ? builder.getUnitAttr() : UnitAttr();
  };

  if (op == "log")
    return single<LogOp>(loc, node, x0);
  if (op == "sqrt")
    return single<SqrtOp>(loc, node, x0);
  if (op == "abs")
    return single<AbsOp>(loc, node, x0);
  if (op == "square")
    return single<SquareOp>(loc, node, x0);
  if (op == "erf")
    return single<ErfOp>(loc, node, x0);
  if (op == "sin")
    return single<SinOp>(loc, node, x0);
  if (op == "cos")
    return single<CosOp>(loc, node, x0);
  if (op == "maximum")
    return single<MaximumOp>(loc, node, x0, x1);
  if (op == "minimum")
    return single<MinimumOp>(loc, node, x0, x1);
  if (op == "pow")
    return single<PowOp>(loc, node, x0, x1);
  if (op == "equal")
    return single<EqualOp>(loc, node, x0, x1);
  if (op == "not_equal")
    return single<NotEqualOp>(loc, node, x0, x1);
  if (op == "less")
    return single<LessOp>(loc, node, x0, x1);
  if (op == "less_equal")
    return single<LessEqualOp>(loc, node, x0, x1);
  if (op == "greater")
    return single<GreaterOp>(loc, node, x0, x1);
  if (op == "greater_equal")
    return single<GreaterEqualOp>(loc, node, x0, x1);
  if (op == "where")
    return single<WhereOp>(loc, node, x0, x1, x2);
  if (op == "constant")
    return single<ConstantOp>(loc, node, constantValue(node));
  if (op == "arange")
    return single<ArangeOp>(loc, node, x0, x1, axis(),
                            builder.getF64FloatAttr(attrs["start"]));
  if (op == "gather")
    return single<GatherOp>(loc, node, x0, x1, axis());
  if (op == "take_along_axis")
    return single<TakeAlongAxisOp>(loc, node, x0, x1, axis());
  if (op == "argmax")
    return single<ArgmaxOp>(loc, node, x0, axis(), flag("keepdims"));
  if (op == "top_k") {
    Type indices = node.outputs.size() > 1 ? typeOf(node.outputs[1]) : Type();
    auto topK =
        builder.create<TopKOp>(loc, typeOf(node.outputs[0]), indices, x0,
                               builder.getI64IntegerAttr(attrs["k"]), axis());
    SmallVector<Value> results = {topK.getValues()};
    if (indices)
      results.push_back(topK.getIndices());
    return results;
  }
  if (op == "cumsum")
    return single<CumsumOp>(loc, node, x0, x1, axis(), flag("exclusive"),
                            flag("reverse"));
  return {};
}

} // namespace

OwningOpRef<ModuleOp> importModel(MLIRContext &context,
                                  const model::Model &model) {
  context.loadDialect<graph::GraphDialect, attn::AttnDialect,
                      scan::ScanDialect, ffn::FFNDialect, func::FuncDialect,
                      tensor::TensorDialect>();
  return Importer(context, model).run();
}

} // namespace kiln
