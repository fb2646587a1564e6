//===- EmitModelABI.cpp - Add the compiled-model ABI symbols --------------===//
//
// The kiln-emit-model-abi pass. After the lowering to the LLVM dialect the
// model function takes one exploded memref descriptor per tensor; this pass
// adds the C entry points of docs/abi.md around it: the version, the
// signature and source strings, `kiln_compiled_entry`, which builds each
// descriptor from a bare pointer, the static sizes and the run-time values of
// the symbolic dimensions, and `kiln_compiled_pack` and
// `kiln_compiled_pack_one`, which fill all packed weights, or one, from the
// parameters through `@kiln_pack`.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/Support/JSON.h"

namespace kiln {
#define GEN_PASS_DEF_EMITMODELABI
#include "passes/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// One dimension of a tensor in the signature: a static size, or the index
/// of a symbolic dimension.
struct SignatureDim {
  int64_t size = 0;
  int symbol = -1;
};
using SignatureShape = SmallVector<SignatureDim>;

/// The shapes of the signature's tensors, in ABI order.
struct SignatureShapes {
  SmallVector<SignatureShape> all;
  /// Where the parameters and the packed weights start in `all`, and how
  /// many there are.
  size_t firstParam = 0, numParams = 0, numPacked = 0;
};

/// Reads the shapes of inputs, params, packed weights (optional) and
/// outputs, in ABI order; for a generation entry (docs/abi.md,
/// "Generation"), its inputs and dims and the state after the params.
FailureOr<SignatureShapes> parseShapes(StringRef text, bool generation,
                                       std::string &error) {
  auto json = llvm::json::parse(text);
  if (!json) {
    error = llvm::toString(json.takeError());
    return failure();
  }
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *entry =
      !root ? nullptr : generation ? root->getObject("generation") : root;
  const llvm::json::Array *dims = entry ? entry->getArray("dims") : nullptr;
  if (!dims) {
    error = generation ? "signature has no 'generation' entries"
                       : "signature has no 'dims' array";
    return failure();
  }
  SignatureShapes shapes;
  for (StringRef group : {"inputs", "params", "state", "packed", "outputs"}) {
    const llvm::json::Object *holder =
        group == "inputs" || group == "state" ? entry : root;
    const llvm::json::Array *tensors = holder->getArray(group);
    if (group == "params")
      shapes.firstParam = shapes.all.size();
    if (group == "state" && !generation)
      continue;
    if (!tensors && group == "packed")
      continue;
    if (!tensors) {
      error = ("signature has no '" + group + "' array").str();
      return failure();
    }
    for (const llvm::json::Value &tensor : *tensors) {
      const llvm::json::Object *object = tensor.getAsObject();
      const llvm::json::Array *shape =
          object ? object->getArray("shape") : nullptr;
      if (!shape) {
        error = ("a tensor of '" + group + "' has no shape").str();
        return failure();
      }
      SignatureShape dimsOfTensor;
      for (const llvm::json::Value &dim : *shape) {
        if (auto size = dim.getAsInteger()) {
          dimsOfTensor.push_back({*size, -1});
          continue;
        }
        auto name = dim.getAsString();
        auto it = name ? llvm::find_if(*dims,
                                       [&](const llvm::json::Value &d) {
                                         return d.getAsString() == name;
                                       })
                       : dims->end();
        if (it == dims->end()) {
          error = "signature shape names an undeclared dimension";
          return failure();
        }
        dimsOfTensor.push_back({0, static_cast<int>(it - dims->begin())});
      }
      shapes.all.push_back(std::move(dimsOfTensor));
    }
    if (group == "params")
      shapes.numParams = tensors->size();
    if (group == "packed")
      shapes.numPacked = tensors->size();
  }
  return shapes;
}

/// Adds `llvm.func @name() -> !llvm.ptr` returning a NUL-terminated copy of
/// `text` held in a private constant global.
void addStringGetter(ImplicitLocOpBuilder &b, StringRef name, StringRef text) {
  std::string data = text.str();
  data.push_back('\0');
  auto arrayType = LLVM::LLVMArrayType::get(b.getI8Type(), data.size());
  auto global = b.create<LLVM::GlobalOp>(
      arrayType, /*isConstant=*/true, LLVM::Linkage::Private,
      (name + "_data").str(), b.getStringAttr(data));
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  auto func = b.create<LLVM::LLVMFuncOp>(
      name, LLVM::LLVMFunctionType::get(ptr, {}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(func.addEntryBlock(b));
  b.create<LLVM::ReturnOp>(ValueRange{b.create<LLVM::AddressOfOp>(global)});
}

struct EmitModelABIPass : kiln::impl::EmitModelABIBase<EmitModelABIPass> {
  using EmitModelABIBase::EmitModelABIBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto signature = module->getAttrOfType<StringAttr>("kiln.signature");
    auto source = module->getAttrOfType<StringAttr>("kiln.source");
    auto model = module.lookupSymbol<LLVM::LLVMFuncOp>(entryFunction);
    if (!signature || !source || !model) {
      module.emitError("expected the kiln.signature and kiln.source module "
                       "attributes and an llvm.func @")
          << entryFunction;
      return signalPassFailure();
    }
    std::string error;
    auto shapes = parseShapes(signature.getValue(), /*generation=*/false, error);
    if (failed(shapes)) {
      module.emitError("invalid kiln.signature: ") << error;
      return signalPassFailure();
    }
    if (failed(checkArguments(model, shapes->all)))
      return signalPassFailure();
    ArrayRef<SignatureShape> packShapes = ArrayRef(shapes->all).slice(
        shapes->firstParam, shapes->numParams + shapes->numPacked);
    auto pack = module.lookupSymbol<LLVM::LLVMFuncOp>(packFunction);
    if (pack && failed(checkArguments(pack, packShapes, /*extra=*/1)))
      return signalPassFailure();
    if (!pack && shapes->numPacked) {
      module.emitError("the signature lists packed weights but there is no "
                       "llvm.func @")
          << packFunction;
      return signalPassFailure();
    }

    ImplicitLocOpBuilder b(module.getLoc(), module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    addStringGetter(b, "kiln_compiled_signature", signature.getValue());
    addStringGetter(b, "kiln_compiled_source", source.getValue());
    emitVersion(b);
    emitCaller(b, "kiln_compiled_entry", model, shapes->all, Trailer::Dims);
    emitCaller(b, "kiln_compiled_pack", pack, packShapes, Trailer::PackAll);
    emitCaller(b, "kiln_compiled_pack_one", pack, packShapes,
               Trailer::PackOne);
    if (failed(emitGenerationEntries(b, module, signature.getValue())))
      return signalPassFailure();
    // Only the ABI symbols are exported; the model itself may be inlined.
    model.setLinkage(LLVM::Linkage::Internal);
    if (pack)
      pack.setLinkage(LLVM::Linkage::Internal);
    module->removeAttr("kiln.signature");
    module->removeAttr("kiln.source");
  }

  /// `kiln_compiled_prefill` and `kiln_compiled_decode`, when the model has
  /// generation entries.
  LogicalResult emitGenerationEntries(ImplicitLocOpBuilder &b,
                                      ModuleOp module, StringRef signature) {
    auto prefill = module.lookupSymbol<LLVM::LLVMFuncOp>("kiln_prefill");
    auto decode = module.lookupSymbol<LLVM::LLVMFuncOp>("kiln_decode");
    if (!prefill && !decode)
      return success();
    std::string error;
    auto shapes = parseShapes(signature, /*generation=*/true, error);
    if (failed(shapes))
      return module.emitError("invalid kiln.signature: ") << error;
    for (auto [name, func] : {std::pair{"kiln_compiled_prefill", prefill},
                              std::pair{"kiln_compiled_decode", decode}}) {
      if (!func)
        return module.emitError("expected both llvm.func @kiln_prefill and "
                                "@kiln_decode");
      if (failed(checkArguments(func, shapes->all)))
        return failure();
      emitCaller(b, name, func, shapes->all, Trailer::Dims);
      func.setLinkage(LLVM::Linkage::Internal);
    }
    return success();
  }

  void emitVersion(ImplicitLocOpBuilder &b) {
    auto func = b.create<LLVM::LLVMFuncOp>(
        "kiln_compiled_abi_version",
        LLVM::LLVMFunctionType::get(b.getI32Type(), {}));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(func.addEntryBlock(b));
    b.create<LLVM::ReturnOp>(ValueRange{
        b.create<LLVM::ConstantOp>(b.getI32Type(), b.getI32IntegerAttr(2))});
  }

  /// Checks that `func` takes one exploded memref descriptor per shape,
  /// then `extra` scalars.
  LogicalResult checkArguments(LLVM::LLVMFuncOp func,
                               ArrayRef<SignatureShape> shapes,
                               size_t extra = 0) {
    size_t expectedArgs = extra;
    for (const SignatureShape &shape : shapes)
      expectedArgs += 3 + 2 * shape.size();
    if (func.getNumArguments() == expectedArgs)
      return success();
    return func.emitError("expected ")
           << expectedArgs << " arguments (one memref descriptor per tensor "
           << "of the signature" << (extra ? ", then the buffer to pack" : "")
           << "), got " << func.getNumArguments();
  }

  /// What an exported function takes after `void *const *buffers`, and
  /// passes after the descriptors.
  enum class Trailer {
    Dims,    ///< `const int64_t *dims`, read for the symbolic sizes.
    PackAll, ///< Nothing; passes -1: fill every packed buffer.
    PackOne, ///< `int64_t which`, passed on: fill that buffer only.
  };

  /// Adds `void name(void *const *buffers, <trailer>)`, which calls `callee`
  /// (when there is one) with a descriptor per shape.
  void emitCaller(ImplicitLocOpBuilder &b, StringRef name,
                  LLVM::LLVMFuncOp callee, ArrayRef<SignatureShape> shapes,
                  Trailer trailer) {
    auto ptr = LLVM::LLVMPointerType::get(b.getContext());
    Type i64 = b.getI64Type();
    SmallVector<Type> params = {ptr};
    if (trailer == Trailer::Dims)
      params.push_back(ptr);
    if (trailer == Trailer::PackOne)
      params.push_back(i64);
    auto func = b.create<LLVM::LLVMFuncOp>(
        name, LLVM::LLVMFunctionType::get(
                  LLVM::LLVMVoidType::get(b.getContext()), params));
    OpBuilder::InsertionGuard guard(b);
    Block *entry = func.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    if (!callee) {
      b.create<LLVM::ReturnOp>(ValueRange{});
      return;
    }
    Value buffers = entry->getArgument(0);
    Value dims = trailer == Trailer::Dims ? entry->getArgument(1) : Value();
    auto constant = [&](int64_t value) -> Value {
      return b.create<LLVM::ConstantOp>(i64, b.getI64IntegerAttr(value));
    };
    DenseMap<int, Value> symbolValues;
    auto symbolValue = [&](int symbol) {
      Value &value = symbolValues[symbol];
      if (!value) {
        Value address = b.create<LLVM::GEPOp>(ptr, i64, dims,
                                              ArrayRef<LLVM::GEPArg>{symbol});
        value = b.create<LLVM::LoadOp>(i64, address);
      }
      return value;
    };

    SmallVector<Value> args;
    for (auto [i, shape] : llvm::enumerate(shapes)) {
      Value slot = b.create<LLVM::GEPOp>(
          ptr, ptr, buffers, ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      Value data = b.create<LLVM::LoadOp>(ptr, slot);
      args.append({data, data, constant(0)});
      SmallVector<Value> sizes;
      for (const SignatureDim &dim : shape)
        sizes.push_back(dim.symbol >= 0 ? symbolValue(dim.symbol)
                                        : constant(dim.size));
      SmallVector<Value> strides(shape.size());
      Value stride = constant(1);
      for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
        strides[d] = stride;
        stride = b.create<LLVM::MulOp>(stride, sizes[d]);
      }
      args.append(sizes);
      args.append(strides);
    }
    if (trailer == Trailer::PackAll)
      args.push_back(constant(-1));
    if (trailer == Trailer::PackOne)
      args.push_back(entry->getArgument(1));
    b.create<LLVM::CallOp>(callee, args);
    b.create<LLVM::ReturnOp>(ValueRange{});
  }
};

} // namespace
