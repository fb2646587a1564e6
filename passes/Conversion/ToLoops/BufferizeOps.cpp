//===- BufferizeOps.cpp - A buffer for every result of a Kiln op ----------===//
//
// The kiln-bufferize-ops pass: the second step of bufferization, after
// kiln-bufferize-boundaries. It chooses where each Kiln op writes each of
// its results: the function's out-parameter when the result is returned
// and nothing after the return's materialization reads it, the buffer of
// an elementwise op's operand that dies there, else a new buffer sized by
// the op's shape rule; a constant that is no splat gets a read-only
// global. The ops stay on tensors; the choice is a
// materialize_in_destination of the result into its buffer, which the
// result's readers then read through to_tensor (ResultBuffers.h). The
// lowering writes the buffers it is given and allocates none.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"
#include "passes/Conversion/ToLoops/ResultBuffers.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace kiln {
#define GEN_PASS_DEF_BUFFERIZEOPS
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Whether the out-parameter `out` can hold a result of `type`: the same
/// element type and rank, and equal sizes where both are static.
bool fits(MemRefType type, MemRefType out) {
  if (type.getElementType() != out.getElementType() ||
      type.getRank() != out.getRank() || !out.getLayout().isIdentity() ||
      type.getMemorySpace() != out.getMemorySpace())
    return false;
  for (auto [size, outSize] : llvm::zip(type.getShape(), out.getShape()))
    if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(outSize) &&
        size != outSize)
      return false;
  return true;
}

/// The materialization of `result` into an out-parameter that can be its
/// buffer: the parameter is written by nothing else, and every other
/// reader of `result` comes before it, so the result may be computed in
/// place there.
bufferization::MaterializeInDestinationOp
outParameterFor(Value result, MemRefType type, Block &body) {
  for (Operation *user : result.getUsers()) {
    auto materialize =
        dyn_cast<bufferization::MaterializeInDestinationOp>(user);
    if (!materialize || materialize->getBlock() != &body)
      continue;
    auto out = dyn_cast<BlockArgument>(materialize.getDest());
    if (!out || out.getOwner() != &body || !out.hasOneUse() ||
        !fits(type, cast<MemRefType>(out.getType())))
      continue;
    bool readBefore = llvm::all_of(result.getUsers(), [&](Operation *other) {
      Operation *top = body.findAncestorOpInBlock(*other);
      return other == user || (top && top->isBeforeInBlock(user));
    });
    if (readBefore)
      return materialize;
  }
  return nullptr;
}

/// The buffer that `value` is read from: its to_tensor's, through views.
Value bufferOf(Value value) {
  while (Operation *view = value.getDefiningOp()) {
    if (!view->hasTrait<graph::BufferView>())
      break;
    value = view->getOperand(0);
  }
  auto read = value.getDefiningOp<bufferization::ToTensorOp>();
  return read ? read.getMemref() : nullptr;
}

/// Whether anything but ops up to `op` reads or writes `buffer`: a
/// reader of its tensor, or of a view of it, after `op`, or a use of the
/// buffer itself other than its materialization and its reads.
bool usedAfter(Value buffer, Operation *op, Block &body) {
  SmallVector<Value> values;
  for (Operation *user : buffer.getUsers()) {
    if (isa<bufferization::ToTensorOp>(user))
      values.push_back(user->getResult(0));
    else if (!isa<bufferization::MaterializeInDestinationOp>(user))
      return true;
  }
  while (!values.empty()) {
    for (Operation *user : values.pop_back_val().getUsers()) {
      if (user->hasTrait<graph::BufferView>()) {
        values.push_back(user->getResult(0));
        continue;
      }
      Operation *top = body.findAncestorOpInBlock(*user);
      if (!top || (top != op && !top->isBeforeInBlock(op)))
        return true;
    }
  }
  return false;
}

/// Whether `op` computes each result element from its operands' elements
/// at that index alone (or a broadcast one), reading each before writing
/// it: a plain elementwise op, or a fused group of them with no data
/// movement.
bool mapsElements(Operation *op) {
  if (auto group = dyn_cast<graph::FusedElementwiseOp>(op))
    return llvm::all_of(
        group.getBody().front().without_terminator(),
        [](Operation &member) { return graph::isElementwise(&member); });
  return graph::isElementwise(op);
}

/// A buffer `result` can be computed in place of an operand's: an
/// elementwise op's operand of the result's type (so read at the same
/// index), in a buffer of this body that nothing reads after `op` and no
/// other operand reads.
Value reusableOperandBuffer(OpResult result, MemRefType type, Block &body) {
  Operation *op = result.getOwner();
  if (op->getNumResults() != 1 || !mapsElements(op))
    return nullptr;
  for (Value operand : op->getOperands()) {
    Value buffer = bufferOf(operand);
    if (operand.getType() != result.getType() || !buffer ||
        buffer.getType() != type || !buffer.getDefiningOp<memref::AllocOp>())
      continue;
    bool readElsewhere = llvm::any_of(op->getOperands(), [&](Value other) {
      return other != operand && bufferOf(other) == buffer;
    });
    if (!readElsewhere && !usedAfter(buffer, op, body))
      return buffer;
  }
  return nullptr;
}

/// A new buffer for `result` of `op`, its dynamic sizes from the op's
/// shape rule (reified once per op, into `sizes`, when first needed).
FailureOr<Value>
allocateBuffer(OpBuilder &builder, OpResult result, MemRefType type,
               std::optional<ReifiedRankedShapedTypeDims> &sizes) {
  Operation *op = result.getOwner();
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d))
      continue;
    if (!sizes && failed(reifyResultShapes(builder, op, sizes.emplace())))
      return op->emitOpError("has no shape rule to size its result buffers");
    dynamic.push_back(getValueOrCreateConstantIndexOp(
        builder, op->getLoc(), (*sizes)[result.getResultNumber()][d]));
  }
  // 64-byte alignment: one cache line, and a full AVX-512 vector.
  return builder
      .create<memref::AllocOp>(op->getLoc(), type, dynamic,
                               builder.getI64IntegerAttr(64))
      .getResult();
}

/// Gives every tensor result of `op` its buffer.
LogicalResult bufferizeResults(Operation *op, Block &body) {
  OpBuilder builder(op);
  std::optional<ReifiedRankedShapedTypeDims> sizes;
  Operation *last = op;
  for (OpResult result : op->getResults()) {
    auto tensor = dyn_cast<RankedTensorType>(result.getType());
    if (!tensor)
      continue;
    MemRefType type = bufferType(tensor);
    Value buffer;
    builder.setInsertionPoint(op);
    if (auto returned = outParameterFor(result, type, body)) {
      buffer = returned.getDest();
      if (buffer.getType() != type)
        buffer = builder.create<memref::CastOp>(op->getLoc(), type, buffer);
      returned.erase();
    } else if (Value reused = reusableOperandBuffer(result, type, body)) {
      buffer = reused;
    } else {
      FailureOr<Value> allocated = allocateBuffer(builder, result, type, sizes);
      if (failed(allocated))
        return failure();
      buffer = *allocated;
    }
    builder.setInsertionPointAfter(last);
    last = builder.create<bufferization::MaterializeInDestinationOp>(
        op->getLoc(), TypeRange(), result, buffer, /*restrict=*/false,
        /*writable=*/true);
    if (result.hasOneUse())
      continue;
    auto read =
        builder.create<bufferization::ToTensorOp>(op->getLoc(), tensor, buffer);
    result.replaceAllUsesExcept(read, last);
    last = read;
  }
  return success();
}

/// A constant that is no splat is read from a private global initialized
/// with its value, as upstream bufferizes arith.constant; a splat keeps its
/// op, which fills a buffer instead of storing an initializer of its size.
void bufferizeToGlobal(graph::ConstantOp constant, SymbolTable &symbols) {
  auto tensor = cast<RankedTensorType>(constant.getType());
  OpBuilder builder(symbols.getOp()->getContext());
  builder.setInsertionPointToStart(&symbols.getOp()->getRegion(0).front());
  auto global = builder.create<memref::GlobalOp>(
      constant.getLoc(), "kiln_constant", builder.getStringAttr("private"),
      bufferType(tensor), constant.getValue(), /*constant=*/true,
      builder.getI64IntegerAttr(64));
  symbols.insert(global);
  builder.setInsertionPoint(constant);
  Value buffer = builder.create<memref::GetGlobalOp>(
      constant.getLoc(), bufferType(tensor), global.getSymName());
  Value read = builder.create<bufferization::ToTensorOp>(constant.getLoc(),
                                                         tensor, buffer);
  constant.getResult().replaceAllUsesWith(read);
  constant.erase();
}

LogicalResult bufferizeFunction(func::FuncOp func, SymbolTable &symbols) {
  if (hasTensorBoundary(func))
    return func.emitError("function boundary on tensors: kiln-bufferize-ops "
                          "runs after kiln-bufferize-boundaries");
  Block &body = func.getBody().front();
  // Collected first: choosing an out-parameter erases its materialization.
  SmallVector<Operation *> ops =
      llvm::to_vector(llvm::make_pointer_range(llvm::make_filter_range(
          body, [](Operation &op) { return writesResultBuffers(&op); })));
  for (Operation *op : ops) {
    auto constant = dyn_cast<graph::ConstantOp>(op);
    if (constant && !constant.getValue().isSplat())
      bufferizeToGlobal(constant, symbols);
    else if (failed(bufferizeResults(op, body)))
      return failure();
  }
  return success();
}

struct BufferizeOpsPass : kiln::impl::BufferizeOpsBase<BufferizeOpsPass> {
  void runOnOperation() override {
    SymbolTable symbols(getOperation());
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(bufferizeFunction(func, symbols)))
        return signalPassFailure();
  }
};

} // namespace
