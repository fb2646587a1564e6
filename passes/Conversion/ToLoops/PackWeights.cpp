//===- PackWeights.cpp - GEMM weights packed at bind time -----------------===//
//
// The kiln-pack-weights pass: which GEMM weights are packed into panels
// once, when a session binds its parameters, instead of on every call
// (docs/abi.md, "Packed weights").
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/PackWeights.h"
#include "passes/Conversion/Passes.h"
#include "passes/Conversion/ToLoops/ResultBuffers.h"

#include "dialects/FFN/IR/FFNOps.h"
#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;

namespace kiln {
#define GEN_PASS_DEF_PACKWEIGHTS
#include "passes/Conversion/Passes.h.inc"

namespace {

/// The rows of a parameter that a weight reads: `[start, start + size)` of
/// its output axis (a glu's gate and up taken from one gate_up weight), or
/// all of them (size -1).
struct ParamRows {
  unsigned param;
  int64_t start = 0, size = -1;
  bool operator==(const ParamRows &other) const {
    return param == other.param && start == other.start && size == other.size;
  }
};

/// One packed buffer: the parameter rows it is packed from, in panel order.
struct PackedBuffer {
  SmallVector<ParamRows> sources;
  WeightLayout layout;
  MemRefType type;
};

/// A function whose GEMM weights read packed buffers, and where its
/// parameters start among its arguments.
struct PackedFunction {
  func::FuncOp func;
  unsigned firstParam;
};

/// Weight operands of a GEMM op that share one packed buffer.
struct WeightGroup {
  SmallVector<unsigned> operands;
  WeightLayout layout = WeightLayout::OutIn;
};

/// The weight groups of a GEMM op: one per GEMM the op runs. A matmul's
/// right operand is a weight when it is one [K, N] matrix for every batch.
SmallVector<WeightGroup> weightGroups(Operation *op) {
  if (auto linear = dyn_cast<graph::LinearOp>(op))
    return {{{linear.getWeightMutable().getOperandNumber()}}};
  if (auto matmul = dyn_cast<graph::MatmulOp>(op);
      matmul && matmul.getRhs().getType().getRank() == 2)
    return {{{matmul.getRhsMutable().getOperandNumber()}, WeightLayout::InOut}};
  if (auto mlp = dyn_cast<ffn::MLPOp>(op))
    return {{{mlp.getWInMutable().getOperandNumber()}},
            {{mlp.getWOutMutable().getOperandNumber()}}};
  if (auto glu = dyn_cast<ffn::GLUOp>(op))
    return {{{glu.getWGateMutable().getOperandNumber(),
              glu.getWUpMutable().getOperandNumber()}},
            {{glu.getWDownMutable().getOperandNumber()}}};
  return {};
}

/// The other layout: a transposed weight's.
WeightLayout swapped(WeightLayout layout) {
  return layout == WeightLayout::OutIn ? WeightLayout::InOut
                                       : WeightLayout::OutIn;
}

/// Static rows `[start, start + size)` along `axis` of a matrix.
struct RowRange {
  int64_t axis, start, size;
};

/// A weight operand as read from its source: through a transpose, a
/// slice or split part of rows, both (`transpose(slice(p))`) or neither.
struct WeightView {
  Value source;
  bool transposed = false;
  std::optional<RowRange> rows;
};

/// The rows of its input that `part`, a slice or a split part of a matrix,
/// holds, when they are static.
std::optional<RowRange> rowsOf(Value part) {
  auto type = dyn_cast<RankedTensorType>(part.getType());
  if (!type || type.getRank() != 2)
    return std::nullopt;
  if (auto slice = part.getDefiningOp<graph::SliceOp>()) {
    int64_t axis = slice.getAxis();
    if (ShapedType::isDynamic(type.getDimSize(axis)))
      return std::nullopt;
    return RowRange{axis, static_cast<int64_t>(slice.getStart()),
                    type.getDimSize(axis)};
  }
  if (auto split = part.getDefiningOp<graph::SplitOp>()) {
    // The parts' sizes along the axis are static (the verifier's rule).
    int64_t axis = split.getAxis(), start = 0;
    unsigned index = cast<OpResult>(part).getResultNumber();
    for (Value earlier : split.getResults().take_front(index))
      start += cast<RankedTensorType>(earlier.getType()).getDimSize(axis);
    return RowRange{axis, start, type.getDimSize(axis)};
  }
  return std::nullopt;
}

WeightView viewOf(Value weight) {
  WeightView view;
  view.source = weight;
  if (Value input = transposedMatrix(view.source)) {
    view.transposed = true;
    view.source = input;
  }
  if ((view.rows = rowsOf(view.source)))
    view.source = view.source.getDefiningOp()->getOperand(0);
  return view;
}

/// A view of a weight that packing reads through: a transpose, a slice or
/// a split.
bool isWeightView(Operation *op) {
  return isa<graph::TransposeOp, graph::SliceOp, graph::SplitOp>(op);
}

/// Whether `use` of a parameter reads it only through panels: a packed
/// weight operand, or a view (transpose, slice, split) that only such uses
/// read.
bool isPackedRead(OpOperand &use,
                  const llvm::DenseSet<OpOperand *> &packedReads) {
  if (packedReads.contains(&use))
    return true;
  Operation *owner = use.getOwner();
  return isWeightView(owner) && !owner->use_empty() &&
         llvm::all_of(owner->getUses(), [&](OpOperand &viewed) {
           return isPackedRead(viewed, packedReads);
         });
}

/// `param`, or the view of its rows `rows` along the output axis of
/// `layout`.
Value paramRows(ImplicitLocOpBuilder &b, Value param, const ParamRows &rows,
                WeightLayout layout) {
  if (rows.size < 0)
    return param;
  auto type = cast<MemRefType>(param.getType());
  int64_t nAxis = outputAxis(layout);
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0)),
      sizes = {b.getIndexAttr(type.getDimSize(0)),
               b.getIndexAttr(type.getDimSize(1))},
      strides(2, b.getIndexAttr(1));
  offsets[nAxis] = b.getIndexAttr(rows.start);
  sizes[nAxis] = b.getIndexAttr(rows.size);
  return b.create<memref::SubViewOp>(param, offsets, sizes, strides);
}

/// Adds the panels arguments, `kiln.packed_panels` attributes, `@kiln_pack`
/// and the signature's "packed" and "packed_only" lists (see Passes.td).
LogicalResult packWeights(ModuleOp module, const GemmTiling &tiling) {
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
  auto model = module.lookupSymbol<func::FuncOp>(kModelFunction);
  if (!model || model.isExternal())
    return success();
  unsigned numParams = params->size();
  SmallVector<PackedFunction> functions = {{model, (unsigned)inputs->size()}};
  // The generation entries take the token input, slots and positions.
  const llvm::json::Object *generation = signature->getObject("generation");
  const llvm::json::Array *generationInputs =
      generation ? generation->getArray("inputs") : nullptr;
  for (StringRef name : {kPrefillFunction, kDecodeFunction}) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func || func.isExternal())
      continue;
    if (!generationInputs)
      return func.emitError("expected the signature's generation inputs");
    functions.push_back({func, (unsigned)generationInputs->size()});
  }
  for (auto [func, firstParam] : functions) {
    Block &body = func.getBody().front();
    if (body.getNumArguments() < firstParam + numParams)
      return func.emitError("expected ")
             << firstParam + numParams
             << " arguments (the signature's inputs and params)";
    for (unsigned p = 0; p < numParams; ++p)
      if (!isa<RankedTensorType>(body.getArgument(firstParam + p).getType()))
        return func.emitError("expected parameter ")
               << p << " (argument " << firstParam + p
               << ") to be a ranked tensor";
  }

  // The parameter behind `value`, if it is one.
  auto paramOf = [&](PackedFunction function,
                     Value value) -> std::optional<unsigned> {
    auto arg = dyn_cast<BlockArgument>(value);
    if (!arg || arg.getOwner() != &function.func.getBody().front() ||
        arg.getArgNumber() < function.firstParam ||
        arg.getArgNumber() >= function.firstParam + numParams)
      return std::nullopt;
    return arg.getArgNumber() - function.firstParam;
  };
  // The parameter rows behind `group`'s operands of `op` and the layout
  // they are read in, if all are parameters (or rows of one along its output
  // axis), all as they are or all transposed.
  auto sourcesOf = [&](PackedFunction function, Operation *op,
                       const WeightGroup &group)
      -> std::optional<std::pair<SmallVector<ParamRows>, WeightLayout>> {
    SmallVector<ParamRows> sources;
    std::optional<bool> transposed;
    for (unsigned operand : group.operands) {
      WeightView view = viewOf(op->getOperand(operand));
      if (transposed.value_or(view.transposed) != view.transposed)
        return std::nullopt;
      transposed = view.transposed;
      std::optional<unsigned> param = paramOf(function, view.source);
      if (!param)
        return std::nullopt;
      ParamRows rows{*param};
      if (view.rows) {
        WeightLayout read =
            view.transposed ? swapped(group.layout) : group.layout;
        if (view.rows->axis != outputAxis(read))
          return std::nullopt;
        rows.start = view.rows->start;
        rows.size = view.rows->size;
      }
      sources.push_back(rows);
    }
    return std::make_pair(sources,
                          *transposed ? swapped(group.layout) : group.layout);
  };

  // Every packed GEMM weight of every function, then the same panels
  // arguments for each function.
  SmallVector<PackedBuffer> buffers;
  // Operands that will read panels instead of their parameter.
  llvm::DenseSet<OpOperand *> packedReads;
  SmallVector<std::tuple<unsigned, Operation *, unsigned, size_t>> uses;
  for (unsigned f = 0; f < functions.size(); ++f) {
    PackedFunction function = functions[f];
    function.func.walk([&](Operation *op) {
      for (const WeightGroup &group : weightGroups(op)) {
        auto sources = sourcesOf(function, op, group);
        if (!sources)
          continue;
        const SmallVector<ParamRows> &params = sources->first;
        WeightLayout layout = sources->second;
        for (unsigned operand : group.operands)
          packedReads.insert(&op->getOpOperand(operand));
        auto *existing =
            llvm::find_if(buffers, [&](const PackedBuffer &buffer) {
              return buffer.sources == params && buffer.layout == layout;
            });
        if (existing == buffers.end()) {
          auto weight = cast<RankedTensorType>(
              function.func.getArgument(function.firstParam + params[0].param)
                  .getType());
          int64_t nAxis = outputAxis(layout);
          int64_t n =
              params[0].size < 0 ? weight.getDimSize(nAxis) : params[0].size;
          buffers.push_back({params, layout,
                             packedPanelsType(module.getContext(), tiling, n,
                                              weight.getDimSize(1 - nAxis),
                                              group.operands.size())});
          existing = std::prev(buffers.end());
        }
        uses.emplace_back(f, op, group.operands[0], existing - buffers.begin());
      }
    });
  }
  SmallVector<unsigned> firstPanels;
  for (PackedFunction &function : functions) {
    firstPanels.push_back(function.func.getNumArguments());
    for (const PackedBuffer &buffer : buffers)
      function.func.insertArgument(function.func.getNumArguments(),
                                   buffer.type, DictionaryAttr(),
                                   function.func.getLoc());
  }
  llvm::MapVector<Operation *, SmallVector<int64_t>> panelArguments;
  for (auto [f, op, operand, buffer] : uses) {
    SmallVector<int64_t> &pairs = panelArguments[op];
    pairs.push_back(operand);
    pairs.push_back(firstPanels[f] + buffer);
  }
  for (auto &[op, pairs] : panelArguments)
    op->setAttr(kPackedPanelsAttr,
                DenseI64ArrayAttr::get(module.getContext(), pairs));

  // @kiln_pack(params..., panels..., which): every parameter, so that the
  // ABI passes the same buffers whichever are packed; `which` selects one
  // buffer to fill, or all when negative, so that the runtime can release
  // a parameter's pages as soon as the buffers read from it are filled.
  ImplicitLocOpBuilder b(model.getLoc(), module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<Type> argTypes;
  for (unsigned p = 0; p < numParams; ++p) {
    auto tensor = cast<RankedTensorType>(
        model.getArgument(functions[0].firstParam + p).getType());
    argTypes.push_back(bufferType(tensor));
  }
  for (const PackedBuffer &buffer : buffers)
    argTypes.push_back(buffer.type);
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
    for (const ParamRows &rows : buffer.sources) {
      sources.push_back(
          paramRows(b, pack.getArgument(rows.param), rows, buffer.layout));
      const llvm::json::Object *param = (*params)[rows.param].getAsObject();
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
      emitPackPanels(b, tiling, sources, pack.getArgument(numParams + i),
                     buffer.layout);
    }
    MemRefType type = buffer.type;
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
    bool read = false, readUnpacked = false;
    for (PackedFunction &function : functions)
      for (OpOperand &use :
           function.func.getArgument(function.firstParam + p).getUses()) {
        read = true;
        readUnpacked |= !isPackedRead(use, packedReads);
      }
    if (!read || readUnpacked)
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

struct PackWeightsPass : impl::PackWeightsBase<PackWeightsPass> {
  using PackWeightsBase::PackWeightsBase;
  void runOnOperation() override {
    if (vectorWidth < 1 || vectorWidth > 64) {
      getOperation().emitError(
          "vector-width must be between 1 and 64 f32 lanes, got ")
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    if (failed(
            packWeights(getOperation(), GemmTiling::forWidth(vectorWidth))))
      signalPassFailure();
  }
};

} // namespace

Value transposedMatrix(Value value) {
  auto transpose = value.getDefiningOp<graph::TransposeOp>();
  if (!transpose || transpose.getPerm() != ArrayRef<int64_t>{1, 0})
    return {};
  return transpose.getInput();
}

bool isComputedForPanelsOnly(Operation *view) {
  if (!isWeightView(view) || view->use_empty())
    return false;
  return llvm::all_of(view->getUses(), [](OpOperand &use) {
    return packedPanels(use.getOwner(), use.getOperandNumber()) ||
           isComputedForPanelsOnly(use.getOwner());
  });
}

Value packedPanels(Operation *op, unsigned operand) {
  auto pairs = op->getAttrOfType<DenseI64ArrayAttr>(kPackedPanelsAttr);
  auto func = op->getParentOfType<func::FuncOp>();
  if (!pairs || !func)
    return {};
  ArrayRef<int64_t> values = pairs.asArrayRef();
  for (size_t i = 0; i + 1 < values.size(); i += 2)
    if (values[i] == operand && values[i + 1] >= 0 &&
        values[i + 1] < func.getNumArguments())
      return func.getArgument(values[i + 1]);
  return {};
}

} // namespace kiln
