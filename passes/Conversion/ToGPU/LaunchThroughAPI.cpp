//===- LaunchThroughAPI.cpp - Kernel launches via the runtime's table -----===//
//
// The kiln-gpu-launch-through-api pass. A CUDA model library must not link
// against the CUDA driver (the runtime dlopens it), so its host code does
// not call the driver or MLIR's CUDA wrappers: it launches kernels and
// allocates device memory through a table of function pointers that the
// runtime binds before the first call (docs/abi.md, "CUDA models").
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToGPU/Passes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

namespace kiln {
#define GEN_PASS_DEF_GPULAUNCHTHROUGHAPI
#include "passes/Conversion/ToGPU/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The entries of `struct kiln_compiled_gpu_api`, in order.
enum APIEntry { kAlloc = 0, kFree = 1, kLaunch = 2 };

struct GPULaunchThroughAPIPass
    : kiln::impl::GPULaunchThroughAPIBase<GPULaunchThroughAPIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    kernelNames.clear();
    SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
    if (binaries.size() != 1) {
      module.emitError("expected one gpu.binary with the model's kernels, "
                       "found ")
          << binaries.size();
      return signalPassFailure();
    }
    std::optional<StringRef> ptx, cubin;
    StringRef chip;
    for (Attribute attribute : binaries.front().getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attribute);
      if (!object)
        continue;
      if (object.getFormat() == gpu::CompilationTarget::Assembly) {
        ptx = object.getObject().getValue();
        if (auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()))
          chip = target.getChip();
      } else if (object.getFormat() == gpu::CompilationTarget::Binary) {
        cubin = object.getObject().getValue();
      }
    }
    if (!ptx) {
      binaries.front().emitOpError("holds no PTX (compile the kernels with "
                                   "format=isa)");
      return signalPassFailure();
    }
    if (failed(checkHostCode(module)))
      return signalPassFailure();

    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    Location loc = module.getLoc();
    ptrType = LLVM::LLVMPointerType::get(&getContext());
    i64 = builder.getI64Type();
    api = addPointerGlobal(builder, loc, "kiln_gpu_api");
    context = addPointerGlobal(builder, loc, "kiln_gpu_context");
    addBind(builder, loc);
    addStringGetter(builder, loc, "kiln_compiled_gpu_ptx",
                    ptx->rtrim('\0'));
    addStringGetter(builder, loc, "kiln_compiled_gpu_arch", chip);
    addCubinGetter(builder, loc, cubin);
    defineAllocation(module, "_mlir_memref_to_llvm_alloc", kAlloc);
    defineAllocation(module, "_mlir_memref_to_llvm_free", kFree);

    SmallVector<gpu::LaunchFuncOp> launches;
    module.walk([&](gpu::LaunchFuncOp launch) { launches.push_back(launch); });
    for (gpu::LaunchFuncOp launch : launches)
      if (failed(lowerLaunch(launch, builder)))
        return signalPassFailure();
    binaries.front().erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
    if (failed(markCudaSignature(module)))
      signalPassFailure();
  }

  /// The memref lowering must have used the allocation functions this pass
  /// defines (use-generic-functions), and only the unaligned ones.
  LogicalResult checkHostCode(ModuleOp module) {
    for (StringRef name : {"malloc", "free", "aligned_alloc",
                           "_mlir_memref_to_llvm_aligned_alloc"})
      if (auto function = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
        return function.emitError("the host code calls '")
               << name << "', which does not allocate device memory; lower "
               << "memrefs with use-generic-functions and without alignment";
    return success();
  }

  LLVM::GlobalOp addPointerGlobal(OpBuilder &builder, Location loc,
                                  StringRef name) {
    auto global = builder.create<LLVM::GlobalOp>(
        loc, ptrType, /*isConstant=*/false, LLVM::Linkage::Internal, name,
        Attribute());
    OpBuilder::InsertionGuard guard(builder);
    builder.createBlock(&global.getInitializerRegion());
    builder.create<LLVM::ReturnOp>(loc,
                                   builder.create<LLVM::ZeroOp>(loc, ptrType)
                                       .getResult());
    return global;
  }

  /// void kiln_compiled_gpu_bind(const kiln_compiled_gpu_api *, void *).
  void addBind(OpBuilder &builder, Location loc) {
    auto function = builder.create<LLVM::LLVMFuncOp>(
        loc, "kiln_compiled_gpu_bind",
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(&getContext()),
                                    {ptrType, ptrType}));
    OpBuilder::InsertionGuard guard(builder);
    Block *entry = function.addEntryBlock(builder);
    builder.setInsertionPointToStart(entry);
    builder.create<LLVM::StoreOp>(loc, entry->getArgument(0),
                                  builder.create<LLVM::AddressOfOp>(loc, api));
    builder.create<LLVM::StoreOp>(
        loc, entry->getArgument(1),
        builder.create<LLVM::AddressOfOp>(loc, context));
    builder.create<LLVM::ReturnOp>(loc, ValueRange());
  }

  void addStringGetter(OpBuilder &builder, Location loc, StringRef name,
                       StringRef text) {
    std::string data = text.str();
    data.push_back('\0');
    auto global = builder.create<LLVM::GlobalOp>(
        loc, LLVM::LLVMArrayType::get(builder.getI8Type(), data.size()),
        /*isConstant=*/true, LLVM::Linkage::Private, (name + "_data").str(),
        builder.getStringAttr(data));
    auto function = builder.create<LLVM::LLVMFuncOp>(
        loc, name, LLVM::LLVMFunctionType::get(ptrType, {}));
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(function.addEntryBlock(builder));
    builder.create<LLVM::ReturnOp>(
        loc, ValueRange{builder.create<LLVM::AddressOfOp>(loc, global)});
  }

  /// const void *kiln_compiled_gpu_cubin(int64_t *size): the cubin and its
  /// size, or null and 0 when the model was compiled without ptxas.
  void addCubinGetter(OpBuilder &builder, Location loc,
                      std::optional<StringRef> cubin) {
    LLVM::GlobalOp global;
    if (cubin)
      global = builder.create<LLVM::GlobalOp>(
          loc, LLVM::LLVMArrayType::get(builder.getI8Type(), cubin->size()),
          /*isConstant=*/true, LLVM::Linkage::Private,
          "kiln_compiled_gpu_cubin_data", builder.getStringAttr(*cubin));
    auto function = builder.create<LLVM::LLVMFuncOp>(
        loc, "kiln_compiled_gpu_cubin",
        LLVM::LLVMFunctionType::get(ptrType, {ptrType}));
    OpBuilder::InsertionGuard guard(builder);
    Block *entry = function.addEntryBlock(builder);
    builder.setInsertionPointToStart(entry);
    int64_t size = cubin ? static_cast<int64_t>(cubin->size()) : 0;
    builder.create<LLVM::StoreOp>(
        loc,
        builder.create<LLVM::ConstantOp>(loc, i64,
                                         builder.getI64IntegerAttr(size)),
        entry->getArgument(0));
    Value data = global ? builder.create<LLVM::AddressOfOp>(loc, global)
                              .getResult()
                        : builder.create<LLVM::ZeroOp>(loc, ptrType).getResult();
    builder.create<LLVM::ReturnOp>(loc, ValueRange{data});
  }

  /// Calls entry `entry` of the bound table with the bound context first.
  Value callAPI(OpBuilder &builder, Location loc, APIEntry entry,
                Type result, ValueRange args) {
    Value table = builder.create<LLVM::LoadOp>(
        loc, ptrType, builder.create<LLVM::AddressOfOp>(loc, api));
    Value slot = builder.create<LLVM::GEPOp>(
        loc, ptrType, ptrType, table, ArrayRef<LLVM::GEPArg>{int32_t(entry)});
    Value callee = builder.create<LLVM::LoadOp>(loc, ptrType, slot);
    Value boundContext = builder.create<LLVM::LoadOp>(
        loc, ptrType, builder.create<LLVM::AddressOfOp>(loc, context));
    SmallVector<Value> operands = {callee, boundContext};
    llvm::append_range(operands, args);
    SmallVector<Type> argTypes = {ptrType};
    llvm::append_range(argTypes, args.getTypes());
    auto type = LLVM::LLVMFunctionType::get(result, argTypes);
    auto call = builder.create<LLVM::CallOp>(loc, type, operands);
    return call.getNumResults() ? call.getResult() : Value();
  }

  /// Gives the memref lowering's allocation function `name`, if the module
  /// declares it, a body that calls the table's `entry`.
  void defineAllocation(ModuleOp module, StringRef name, APIEntry entry) {
    auto function = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    if (!function || !function.isExternal())
      return;
    function.setLinkage(LLVM::Linkage::Internal);
    OpBuilder builder(function);
    Block *body = function.addEntryBlock(builder);
    builder.setInsertionPointToStart(body);
    Type result = function.getFunctionType().getReturnType();
    Value value = callAPI(builder, function.getLoc(), entry, result,
                          body->getArguments());
    builder.create<LLVM::ReturnOp>(function.getLoc(),
                                   value ? ValueRange{value} : ValueRange());
  }

  LogicalResult lowerLaunch(gpu::LaunchFuncOp launch, OpBuilder &builder) {
    if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
        launch.getDynamicSharedMemorySize() || launch.hasClusterSize())
      return launch.emitOpError("is asynchronous or uses shared memory or "
                                "clusters, which the runtime's launch entry "
                                "does not take");
    for (Value size : {launch.getGridSizeY(), launch.getGridSizeZ(),
                       launch.getBlockSizeY(), launch.getBlockSizeZ()})
      if (!matchPattern(size, m_One()))
        return launch.emitOpError("has a y or z extent other than 1, which "
                                  "the runtime's launch entry does not take");
    if (launch.getGridSizeX().getType() != i64 ||
        launch.getBlockSizeX().getType() != i64)
      return launch.emitOpError("expected i64 sizes (run gpu-to-llvm first)");
    auto function = launch->getParentOfType<LLVM::LLVMFuncOp>();
    if (!function)
      return launch.emitOpError("expected to be in an llvm.func (run "
                                "gpu-to-llvm first)");
    Location loc = launch.getLoc();
    // The argument slots live in the entry block, so that a launch in a
    // branch does not grow the stack.
    OpBuilder entry = OpBuilder::atBlockBegin(&function.getBody().front());
    Value one = entry.create<LLVM::ConstantOp>(loc, i64,
                                               entry.getI64IntegerAttr(1));
    ValueRange args = launch.getKernelOperands();
    auto arrayType = LLVM::LLVMArrayType::get(ptrType, args.size());
    Value params = entry.create<LLVM::AllocaOp>(loc, ptrType, arrayType, one);
    builder.setInsertionPoint(launch);
    for (auto [index, arg] : llvm::enumerate(args)) {
      Value slot = entry.create<LLVM::AllocaOp>(loc, ptrType, arg.getType(),
                                                one);
      builder.create<LLVM::StoreOp>(loc, arg, slot);
      Value element = builder.create<LLVM::GEPOp>(
          loc, ptrType, arrayType, params,
          ArrayRef<LLVM::GEPArg>{0, int32_t(index)});
      builder.create<LLVM::StoreOp>(loc, slot, element);
    }
    Value name = kernelName(launch.getKernelName().getValue(), builder, loc);
    callAPI(builder, loc, kLaunch, LLVM::LLVMVoidType::get(&getContext()),
            {name, launch.getGridSizeX(), launch.getBlockSizeX(), params});
    launch.erase();
    return success();
  }

  /// The address of a NUL-terminated global holding `kernel`, one per name.
  Value kernelName(StringRef kernel, OpBuilder &builder, Location loc) {
    LLVM::GlobalOp &global = kernelNames[kernel];
    if (!global) {
      auto module = getOperation();
      OpBuilder globals = OpBuilder::atBlockEnd(module.getBody());
      std::string data = kernel.str();
      data.push_back('\0');
      global = globals.create<LLVM::GlobalOp>(
          loc, LLVM::LLVMArrayType::get(globals.getI8Type(), data.size()),
          /*isConstant=*/true, LLVM::Linkage::Private,
          ("kiln_kernel_name_" + kernel).str(), globals.getStringAttr(data));
    }
    return builder.create<LLVM::AddressOfOp>(loc, global);
  }

  /// Records in the signature that the model's code runs on `cuda`.
  LogicalResult markCudaSignature(ModuleOp module) {
    auto text = module->getAttrOfType<StringAttr>("kiln.signature");
    if (!text)
      return success();
    llvm::Expected<llvm::json::Value> json = llvm::json::parse(text.getValue());
    llvm::json::Object *root = json ? json->getAsObject() : nullptr;
    if (!root) {
      if (!json)
        llvm::consumeError(json.takeError());
      return module.emitError("kiln.signature is not a JSON object");
    }
    (*root)["devices"] = llvm::json::Array{"cuda"};
    std::string updated;
    llvm::raw_string_ostream stream(updated);
    stream << *json;
    module->setAttr("kiln.signature",
                    StringAttr::get(&getContext(), stream.str()));
    return success();
  }

  LLVM::LLVMPointerType ptrType;
  Type i64;
  LLVM::GlobalOp api, context;
  llvm::StringMap<LLVM::GlobalOp> kernelNames;
};

} // namespace
