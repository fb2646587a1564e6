//===- OutlineKernels.cpp - One function per distinct kernel --------------===//
//
// The kiln-outline-kernels pass. A 12-layer model lowers to 12 copies of
// each layer's loop nests; LLVM's O3 and code generation then cost 12 times
// one layer's. Outlined into functions and deduplicated by their printed
// bodies, each distinct kernel is optimized once and called per layer.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringMap.h"

namespace kiln {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The kernels of a function body: its top-level loop nests that write
/// buffers. A loop that yields values (a whole-tensor reduction) stays, as
/// its results are used in place.
bool isKernel(Operation &op) {
  return isa<scf::ParallelOp, scf::ForOp, scf::IfOp>(op) &&
         op.getNumResults() == 0;
}

/// Builds `func.func private @name(captured...)` holding a clone of
/// `kernel`, with the constants it reads cloned in.
func::FuncOp outline(Operation *kernel, ArrayRef<Value> captured,
                     StringRef name) {
  OpBuilder builder(kernel->getContext());
  auto type = builder.getFunctionType(ValueRange(captured).getTypes(), {});
  auto func =
      func::FuncOp::create(kernel->getLoc(), name, type);
  func.setPrivate();
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  IRMapping mapping;
  for (auto [value, arg] : llvm::zip(captured, body->getArguments()))
    mapping.map(value, arg);
  builder.clone(*kernel, mapping);
  builder.create<func::ReturnOp>(kernel->getLoc());
  // LLVM would inline a kernel called once and undo the sharing of the rest.
  func->setAttr("passthrough",
                builder.getArrayAttr({builder.getStringAttr("noinline")}));
  // Not exported from the model library.
  func->setAttr("llvm.linkage", LLVM::LinkageAttr::get(
                                    builder.getContext(),
                                    LLVM::Linkage::Internal));
  return func;
}

/// The function as text: candidates all carry the same name until one is
/// kept, so equal text means an equal kernel.
std::string bodyKey(func::FuncOp func) {
  std::string text;
  llvm::raw_string_ostream os(text);
  func.print(os, OpPrintingFlags().useLocalScope());
  return text;
}

struct OutlineKernelsPass
    : kiln::impl::OutlineKernelsBase<OutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    llvm::StringMap<func::FuncOp> byBody;
    // The model and the packing function; not the kernels added meanwhile.
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp function : functions)
      if (!function.isExternal())
        outlineKernels(function, symbols, byBody);
  }

  void outlineKernels(func::FuncOp function, SymbolTable &symbols,
                      llvm::StringMap<func::FuncOp> &byBody) {
    SmallVector<Operation *> kernels;
    for (Operation &op : function.getBody().front())
      if (isKernel(op))
        kernels.push_back(&op);
    for (Operation *kernel : kernels) {
      // Its operands (loop bounds) and the values its body reads from
      // outside; constants are cloned in rather than passed.
      llvm::SetVector<Value> above(kernel->operand_begin(),
                                   kernel->operand_end());
      getUsedValuesDefinedAbove(kernel->getRegions(), above);
      SmallVector<Value> captured;
      for (Value value : above) {
        Operation *def = value.getDefiningOp();
        if (!def || !def->hasTrait<OpTrait::ConstantLike>())
          captured.push_back(value);
      }
      func::FuncOp outlined = outline(kernel, captured, "kiln_kernel");
      OpBuilder inner(&outlined.getBody().front(),
                      outlined.getBody().front().begin());
      for (Value value : above) {
        Operation *def = value.getDefiningOp();
        if (def && def->hasTrait<OpTrait::ConstantLike>())
          replaceAllUsesInRegionWith(value, inner.clone(*def)->getResult(0),
                                     outlined.getBody());
      }
      std::string key = bodyKey(outlined);
      func::FuncOp callee = byBody.lookup(key);
      if (callee) {
        outlined.erase();
      } else {
        callee = outlined;
        symbols.insert(callee, function->getIterator());
        byBody[key] = callee;
      }
      OpBuilder builder(kernel);
      builder.create<func::CallOp>(kernel->getLoc(), callee, captured);
      kernel->erase();
    }
  }
};

} // namespace
