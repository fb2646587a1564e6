//===- RuntimeDims.cpp - Dims that are one size at run time ---------------===//
//
// A fusion that replaces one tensor by another of the same type relies on
// their dynamic dims being equal at run time: followed back to the graph
// inputs, whose symbolic dims the runtime checks by name (kiln.signature).
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// Graph inputs share a symbolic dim by its name in kiln.signature, which
/// the runtime checks: dim `axis` of @kiln_main's argument `arg` as the
/// first input dim of that name (the one the importer reads sizes from).
std::pair<Value, int64_t> canonicalInputDim(BlockArgument arg, int64_t axis) {
  auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
  auto module = func ? func->getParentOfType<ModuleOp>() : ModuleOp();
  auto text = module ? module->getAttrOfType<StringAttr>("kiln.signature")
                     : StringAttr();
  if (!text || func.getSymName() != "kiln_main")
    return {arg, axis};
  llvm::Expected<llvm::json::Value> signature = llvm::json::parse(text);
  if (!signature) {
    llvm::consumeError(signature.takeError());
    return {arg, axis};
  }
  auto shapeOf = [&](unsigned input) -> const llvm::json::Array * {
    const llvm::json::Object *root = signature->getAsObject();
    const llvm::json::Array *inputs = root ? root->getArray("inputs") : nullptr;
    if (!inputs || input >= inputs->size())
      return nullptr;
    const llvm::json::Object *tensor = (*inputs)[input].getAsObject();
    return tensor ? tensor->getArray("shape") : nullptr;
  };
  const llvm::json::Array *shape = shapeOf(arg.getArgNumber());
  std::optional<llvm::StringRef> name =
      shape && axis < static_cast<int64_t>(shape->size())
          ? (*shape)[axis].getAsString()
          : std::nullopt;
  for (unsigned input = 0; name && shapeOf(input); ++input)
    for (auto [other, dim] : llvm::enumerate(*shapeOf(input)))
      if (dim.getAsString() == name)
        return {func.getArgument(input), static_cast<int64_t>(other)};
  return {arg, axis};
}

/// Broadcasts a binary op's operands may take part in, at most this deep:
/// each is followed through every operand, which a graph could repeat.
constexpr int kMaxBroadcastDepth = 8;

/// The (value, axis) whose size dim `axis` of `value` has at run time,
/// followed through transposes, concats and slices along other axes,
/// broadcasts, shape-keeping ops (norms and rope included) and reshapes
/// whose size operand for it is a tensor.dim, to a graph input's dim.
std::pair<Value, int64_t> dimOrigin(Value value, int64_t axis, int depth = 0) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto transpose = dyn_cast<TransposeOp>(def)) {
      axis = transpose.getPerm()[axis];
      value = transpose.getInput();
    } else if (auto concat = dyn_cast<ConcatOp>(def);
               concat && static_cast<int64_t>(concat.getAxis()) != axis) {
      value = concat.getInputs().front();
    } else if (auto slice = dyn_cast<SliceOp>(def);
               slice && static_cast<int64_t>(slice.getAxis()) != axis) {
      value = slice.getInput();
    } else if (auto split = dyn_cast<SplitOp>(def);
               split && static_cast<int64_t>(split.getAxis()) != axis) {
      value = split.getInput();
    } else if (isa<AddOp, SubOp, MulOp, DivOp, MaximumOp, MinimumOp, PowOp>(
                   def)) {
      // A broadcast: the dim is that of every operand where it is dynamic
      // (one of size 1 would broadcast), so those must agree.
      if (depth == kMaxBroadcastDepth)
        break;
      int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
      std::optional<std::pair<Value, int64_t>> agreed;
      bool disagree = false;
      for (Value operand : def->getOperands()) {
        auto type = cast<RankedTensorType>(operand.getType());
        int64_t at = axis - (rank - type.getRank());
        if (at < 0 || !type.isDynamicDim(at))
          continue;
        std::pair<Value, int64_t> origin = dimOrigin(operand, at, depth + 1);
        disagree = disagree || (agreed && *agreed != origin);
        agreed = origin;
      }
      if (!agreed || disagree)
        break;
      return *agreed;
    } else if (def->hasTrait<OpTrait::SameOperandsAndResultShape>() ||
               def->hasTrait<OpTrait::SameOperandsAndResultType>() ||
               isa<RopeOp, RMSNormOp, LayerNormOp>(def)) {
      // Elementwise ops, casts, rope and the norms (Qwen3's and Gemma 3's
      // per-head q and k norms): the shape of their input.
      value = def->getOperand(0);
    } else if (auto reshape = dyn_cast<ReshapeOp>(def)) {
      auto type = cast<RankedTensorType>(reshape.getType());
      if (!type.isDynamicDim(axis))
        break;
      auto dim = reshape.getSizes()[type.getDynamicDimIndex(axis)]
                     .getDefiningOp<tensor::DimOp>();
      std::optional<int64_t> source =
          dim ? dim.getConstantIndex() : std::nullopt;
      if (!source)
        break;
      value = dim.getSource();
      axis = *source;
    } else {
      break;
    }
  }
  if (auto arg = dyn_cast<BlockArgument>(value))
    return canonicalInputDim(arg, axis);
  return {value, axis};
}

} // namespace

bool kiln::sameRuntimeDim(Value a, int64_t axisA, Value b, int64_t axisB) {
  int64_t sizeA = cast<RankedTensorType>(a.getType()).getDimSize(axisA);
  int64_t sizeB = cast<RankedTensorType>(b.getType()).getDimSize(axisB);
  if (!ShapedType::isDynamic(sizeA) || !ShapedType::isDynamic(sizeB))
    return sizeA == sizeB;
  return dimOrigin(a, axisA) == dimOrigin(b, axisB);
}
