//===- ResultBuffers.cpp - Where each Kiln op writes its results ----------===//

#include "passes/Conversion/ToLoops/ResultBuffers.h"

#include "dialects/Attn/IR/AttnDialect.h"
#include "dialects/FFN/IR/FFNDialect.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Scan/IR/ScanDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

using namespace mlir;

MemRefType kiln::bufferType(RankedTensorType tensor) {
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

bool kiln::hasTensorBoundary(func::FuncOp func) {
  auto isTensor = llvm::IsaPred<TensorType>;
  return llvm::any_of(func.getArgumentTypes(), isTensor) ||
         llvm::any_of(func.getResultTypes(), isTensor);
}

bool kiln::writesResultBuffers(Operation *op) {
  return isa<graph::GraphDialect, attn::AttnDialect, scan::ScanDialect,
             ffn::FFNDialect>(op->getDialect()) &&
         isa_and_nonnull<func::FuncOp>(op->getParentOp()) &&
         !op->hasTrait<graph::BufferView>() &&
         llvm::any_of(op->getResultTypes(), llvm::IsaPred<RankedTensorType>);
}

Value kiln::resultBuffer(Operation *op, unsigned index) {
  Value result = op->getResult(index);
  if (!result.hasOneUse())
    return nullptr;
  auto materialize = dyn_cast<bufferization::MaterializeInDestinationOp>(
      *result.getUsers().begin());
  if (!materialize || !isa<MemRefType>(materialize.getDest().getType()))
    return nullptr;
  return materialize.getDest();
}
