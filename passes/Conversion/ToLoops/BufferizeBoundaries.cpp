//===- BufferizeBoundaries.cpp - Function boundaries on buffers -----------===//
//
// The kiln-bufferize-boundaries pass: the first step of bufferization. Each
// function takes its ranked tensors as memrefs and writes its tensor
// results into trailing out-parameters (the compiled-model ABI's
// destination-passing form, docs/abi.md); its body stays on tensors,
// bridged by bufferization.to_tensor and
// bufferization.materialize_in_destination, which kiln-convert-to-loops
// lowers with the ops.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"
#include "passes/Conversion/ToLoops/ResultBuffers.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_BUFFERIZEBOUNDARIES
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

void bufferizeBoundary(func::FuncOp func) {
  OpBuilder builder(func.getContext());
  Block &entry = func.getBody().front();
  builder.setInsertionPointToStart(&entry);
  SmallVector<Type> argTypes;
  for (BlockArgument arg : entry.getArguments()) {
    auto tensor = dyn_cast<RankedTensorType>(arg.getType());
    if (!tensor) {
      argTypes.push_back(arg.getType());
      continue;
    }
    arg.setType(bufferType(tensor));
    auto toTensor = builder.create<bufferization::ToTensorOp>(
        arg.getLoc(), tensor, arg);
    arg.replaceAllUsesExcept(toTensor, toTensor);
    argTypes.push_back(arg.getType());
  }

  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  SmallVector<Value> kept;
  builder.setInsertionPoint(ret);
  for (Value result : ret.getOperands()) {
    auto tensor = dyn_cast<RankedTensorType>(result.getType());
    if (!tensor) {
      kept.push_back(result);
      continue;
    }
    BlockArgument out = entry.addArgument(bufferType(tensor), ret.getLoc());
    argTypes.push_back(out.getType());
    builder.create<bufferization::MaterializeInDestinationOp>(
        ret.getLoc(), TypeRange(), result, out, /*restrict=*/false,
        /*writable=*/true);
  }
  builder.create<func::ReturnOp>(ret.getLoc(), kept);
  ret.erase();
  func.setFunctionType(builder.getFunctionType(argTypes, TypeRange(kept)));
}

struct BufferizeBoundariesPass
    : kiln::impl::BufferizeBoundariesBase<BufferizeBoundariesPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        bufferizeBoundary(func);
  }
};

} // namespace
