//===- NativeMath.cpp - PTX instructions instead of libdevice calls -------===//
//
// The kiln-gpu-native-math pass. convert-gpu-to-nvvm lowers every math op
// to a libdevice function, even those PTX computes in one instruction; a
// kernel calling them would need libdevice linked (the CUDA toolkit at
// compile time) for nothing. They become LLVM intrinsics instead, which
// the NVPTX back end emits as those instructions.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_GPUNATIVEMATH
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Builds the intrinsic that computes libdevice's `name` (f32 or f64
/// variant), or returns null if `name` has none.
Value buildIntrinsic(StringRef name, ValueRange args, Type type,
                     OpBuilder &builder, Location loc) {
  StringRef base = name;
  if (!base.consume_front("__nv_"))
    return nullptr;
  // f32 variants end in 'f'; "__nv_floorf" and "__nv_floor" both name floor.
  if (type.isF32() && !base.consume_back("f"))
    return nullptr;
  if (!type.isF32() && !type.isF64())
    return nullptr;
  auto unary = [&](auto tag) -> Value {
    using Op = decltype(tag);
    return args.size() == 1 ? builder.create<Op>(loc, type, args[0]).getResult()
                            : Value();
  };
  auto binary = [&](auto tag) -> Value {
    using Op = decltype(tag);
    return args.size() == 2
               ? builder.create<Op>(loc, type, args[0], args[1]).getResult()
               : Value();
  };
  return llvm::StringSwitch<std::function<Value()>>(base)
      .Case("sqrt", [&] { return unary(LLVM::SqrtOp()); })
      .Case("floor", [&] { return unary(LLVM::FFloorOp()); })
      .Case("ceil", [&] { return unary(LLVM::FCeilOp()); })
      .Case("trunc", [&] { return unary(LLVM::FTruncOp()); })
      .Case("fabs", [&] { return unary(LLVM::FAbsOp()); })
      .Case("rint", [&] { return unary(LLVM::RintOp()); })
      .Case("copysign", [&] { return binary(LLVM::CopySignOp()); })
      .Case("fmin", [&] { return binary(LLVM::MinNumOp()); })
      .Case("fmax", [&] { return binary(LLVM::MaxNumOp()); })
      .Case("fma",
            [&]() -> Value {
              return args.size() == 3
                         ? builder
                               .create<LLVM::FMAOp>(loc, type, args[0], args[1],
                                                    args[2])
                               .getResult()
                         : Value();
            })
      .Default([] { return Value(); })();
}

struct GPUNativeMathPass
    : kiln::impl::GPUNativeMathBase<GPUNativeMathPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    llvm::SmallSetVector<StringAttr, 8> replaced;
    getOperation()->walk([&](LLVM::CallOp call) {
      std::optional<StringRef> callee = call.getCallee();
      if (!callee || call.getNumResults() != 1)
        return;
      rewriter.setInsertionPoint(call);
      Value native = buildIntrinsic(*callee, call.getArgOperands(),
                                    call.getResult().getType(), rewriter,
                                    call.getLoc());
      if (!native)
        return;
      replaced.insert(call.getCalleeAttr().getAttr());
      rewriter.replaceOp(call, native);
    });
    for (StringAttr name : replaced) {
      auto declaration = SymbolTable::lookupNearestSymbolFrom<LLVM::LLVMFuncOp>(
          getOperation(), name);
      if (declaration && declaration.isExternal() &&
          SymbolTable::symbolKnownUseEmpty(declaration, getOperation()))
        rewriter.eraseOp(declaration);
    }
  }
};

} // namespace
