//===- PackWeights.cpp - GEMM weights packed at bind time -----------------===//
//
// Implements planPackedWeights of PackWeights.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/PackWeights.h"

#include "dialects/FFN/IR/FFNOps.h"
#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;

namespace kiln {

namespace {

/// One packed buffer: the parameters it is packed from, in panel order.
struct PackedBuffer {
  SmallVector<unsigned> params;
  BlockArgument panels;
};

/// The weight operands of a GEMM op that share one packed buffer: one
/// group per GEMM the op runs.
SmallVector<SmallVector<unsigned>> weightGroups(Operation *op) {
  if (auto linear = dyn_cast<graph::LinearOp>(op))
    return {{linear.getWeightMutable().getOperandNumber()}};
  if (auto mlp = dyn_cast<ffn::MLPOp>(op))
    return {{mlp.getWInMutable().getOperandNumber()},
            {mlp.getWOutMutable().getOperandNumber()}};
  if (auto glu = dyn_cast<ffn::GLUOp>(op))
    return {{glu.getWGateMutable().getOperandNumber(),
             glu.getWUpMutable().getOperandNumber()},
            {glu.getWDownMutable().getOperandNumber()}};
  return {};
}

} // namespace

LogicalResult planPackedWeights(ModuleOp module, func::FuncOp model,
                                const GemmTiling &tiling,
                                PackedWeights &plan) {
  // Without a signature there is no bind time; with a packing function the
  // module has been planned already (this pass's own output, run again).
  auto signatureAttr = module->getAttrOfType<StringAttr>("kiln.signature");
  if (!signatureAttr || module.lookupSymbol(kPackFunction))
    return success();
  auto json = llvm::json::parse(signatureAttr.getValue());
  llvm::json::Object *signature = json ? json->getAsObject() : nullptr;
  llvm::json::Array *inputs = signature ? signature->getArray("inputs") : nullptr;
  llvm::json::Array *params = signature ? signature->getArray("params") : nullptr;
  if (!inputs || !params) {
    llvm::consumeError(json.takeError());
    return module.emitError("invalid kiln.signature: expected 'inputs' and "
                            "'params' arrays");
  }
  Block &body = model.getBody().front();
  unsigned firstParam = inputs->size(), numParams = params->size();
  if (body.getNumArguments() < firstParam + numParams)
    return model.emitError("expected ")
           << firstParam + numParams
           << " arguments (the signature's inputs and params)";
  for (unsigned p = 0; p < numParams; ++p)
    if (!isa<RankedTensorType>(body.getArgument(firstParam + p).getType()))
      return model.emitError("expected parameter ")
             << p << " (argument " << firstParam + p
             << ") to be a ranked tensor";

  // The parameter indices behind `operands` of `op`, if all are parameters.
  auto paramsOf = [&](Operation *op, ArrayRef<unsigned> operands)
      -> std::optional<SmallVector<unsigned>> {
    SmallVector<unsigned> indices;
    for (unsigned operand : operands) {
      auto arg = dyn_cast<BlockArgument>(op->getOperand(operand));
      if (!arg || arg.getOwner() != &body ||
          arg.getArgNumber() < firstParam ||
          arg.getArgNumber() >= firstParam + numParams)
        return std::nullopt;
      indices.push_back(arg.getArgNumber() - firstParam);
    }
    return indices;
  };

  SmallVector<PackedBuffer> buffers;
  // Operands that will read panels instead of their parameter.
  llvm::DenseSet<OpOperand *> packedReads;
  model.walk([&](Operation *op) {
    for (const SmallVector<unsigned> &group : weightGroups(op)) {
      std::optional<SmallVector<unsigned>> sources = paramsOf(op, group);
      if (!sources)
        continue;
      for (unsigned operand : group)
        packedReads.insert(&op->getOpOperand(operand));
      auto *existing = llvm::find_if(buffers, [&](const PackedBuffer &buffer) {
        return buffer.params == *sources;
      });
      if (existing == buffers.end()) {
        auto weight = cast<RankedTensorType>(op->getOperand(group[0]).getType());
        MemRefType type =
            packedPanelsType(module.getContext(), tiling, weight.getDimSize(0),
                             weight.getDimSize(1), group.size());
        buffers.push_back({*sources, body.addArgument(type, op->getLoc())});
        existing = std::prev(buffers.end());
      }
      plan.insert(op, group[0], existing->panels);
    }
  });

  // @kiln_pack(params..., panels..., which): every parameter, so that the
  // ABI passes the same buffers whichever are packed; `which` selects one
  // buffer to fill, or all when negative, so that the runtime can release
  // a parameter's pages as soon as the buffers read from it are filled.
  ImplicitLocOpBuilder b(model.getLoc(), module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<Type> argTypes;
  for (unsigned p = 0; p < numParams; ++p) {
    auto tensor = cast<RankedTensorType>(
        body.getArgument(firstParam + p).getType());
    argTypes.push_back(
        MemRefType::get(tensor.getShape(), tensor.getElementType()));
  }
  for (const PackedBuffer &buffer : buffers)
    argTypes.push_back(buffer.panels.getType());
  argTypes.push_back(b.getI64Type());
  auto pack = b.create<func::FuncOp>(kPackFunction,
                                     b.getFunctionType(argTypes, {}));
  pack.setPrivate();
  b.setInsertionPointToStart(pack.addEntryBlock());
  Value which = pack.getArguments().back();
  Value all = b.create<arith::CmpIOp>(
      arith::CmpIPredicate::slt, which,
      b.create<arith::ConstantIntOp>(0, b.getI64Type()));
  llvm::json::Array packed;
  for (auto [i, buffer] : llvm::enumerate(buffers)) {
    SmallVector<Value> sources;
    llvm::json::Array names;
    for (unsigned p : buffer.params) {
      sources.push_back(pack.getArgument(p));
      const llvm::json::Object *param = (*params)[p].getAsObject();
      names.push_back(param ? param->getString("name").value_or("") : "");
    }
    Value selected = b.create<arith::OrIOp>(
        all, b.create<arith::CmpIOp>(
                 arith::CmpIPredicate::eq, which,
                 b.create<arith::ConstantIntOp>(i, b.getI64Type())));
    auto ifSelected = b.create<scf::IfOp>(selected, /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifSelected.thenBlock());
      emitPackPanels(b, tiling, sources, pack.getArgument(numParams + i));
    }
    auto type = cast<MemRefType>(buffer.panels.getType());
    packed.push_back(llvm::json::Object{
        {"dtype", "f32"},
        {"shape", llvm::json::Array(type.getShape())},
        {"params", std::move(names)}});
  }
  b.create<func::ReturnOp>();
  signature->insert({"packed", std::move(packed)});
  // Parameters the model never reads once packed: the runtime may let the
  // operating system drop their pages (docs/abi.md).
  llvm::json::Array packedOnly;
  for (unsigned p = 0; p < numParams; ++p) {
    Value param = body.getArgument(firstParam + p);
    if (param.use_empty() ||
        !llvm::all_of(param.getUses(), [&](OpOperand &use) {
          return packedReads.contains(&use);
        }))
      continue;
    const llvm::json::Object *entry = (*params)[p].getAsObject();
    packedOnly.push_back(entry ? entry->getString("name").value_or("") : "");
  }
  signature->insert({"packed_only", std::move(packedOnly)});
  module->setAttr("kiln.signature",
                  b.getStringAttr(llvm::formatv("{0}", llvm::json::Value(
                                                           std::move(*signature)))
                                      .str()));
  return success();
}

} // namespace kiln
