//===- TargetCPU.cpp - x86-64 code generation for compiled models ---------===//
//
// Implements the CPU back end of TargetCPU.h on LLVM 19's TargetMachine, new
// pass manager and the ld.lld from the lld-19 package.
//
//===----------------------------------------------------------------------===//

#include "lib/Target/CPU/TargetCPU.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace llvm;

namespace kiln::target {

/// The LLVM 19 installation kiln links against: lld and libomp live there.
static constexpr const char *kLLVMPrefix = "/usr/lib/llvm-19";

std::unique_ptr<TargetMachine>
createTargetMachine(const CPUTargetOptions &options, std::string &error) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  std::string triple = sys::getDefaultTargetTriple();
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = sys::getHostCPUName().str();
    SubtargetFeatures subtarget;
    for (const auto &[feature, enabled] : sys::getHostCPUFeatures())
      subtarget.AddFeature(feature, enabled);
    features = subtarget.getString();
  } else if (!std::unique_ptr<MCSubtargetInfo>(
                  target->createMCSubtargetInfo(triple, "", ""))
                  ->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for " + triple +
            " (try native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, znver4)";
    return nullptr;
  }
  TargetOptions targetOptions;
  auto level = static_cast<CodeGenOptLevel>(std::min(options.optLevel, 3u));
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, Reloc::PIC_, std::nullopt, level));
  if (!machine)
    error = "cannot create a target machine for " + triple;
  return machine;
}

int64_t f32VectorWidth(const TargetMachine &machine) {
  const MCSubtargetInfo *info = machine.getMCSubtargetInfo();
  if (info->checkFeatures("+avx512f"))
    return 16;
  if (info->checkFeatures("+avx"))
    return 8;
  return 4;
}

static bool isBf16(Type *type) { return type->getScalarType()->isBFloatTy(); }

/// The i16 bits of a bf16 value: what a bitcast made bf16, else a bitcast
/// back (instruction selection folds an extracted lane through a bitcast,
/// which would make the lane bf16 again).
static Value *bf16Bits(IRBuilder<> &builder, Value *value) {
  Type *bits = value->getType()->getWithNewBitWidth(16);
  if (auto *cast = dyn_cast<BitCastInst>(value);
      cast && cast->getSrcTy() == bits)
    return cast->getOperand(0);
  return builder.CreateBitCast(value, bits);
}

/// Rewrites `instruction` to move i16 bits if it is a load, store, select
/// or masked load or store of bf16 values; returns whether it did.
static bool moveAsBits(Instruction &instruction) {
  IRBuilder<> builder(&instruction);
  auto bits = [&](Value *value) { return bf16Bits(builder, value); };
  Value *replacement = nullptr;
  auto *call = dyn_cast<IntrinsicInst>(&instruction);
  Intrinsic::ID intrinsic =
      call ? call->getIntrinsicID() : Intrinsic::not_intrinsic;
  if (auto *load = dyn_cast<LoadInst>(&instruction);
      load && isBf16(load->getType())) {
    LoadInst *loaded = builder.CreateAlignedLoad(
        load->getType()->getWithNewBitWidth(16), load->getPointerOperand(),
        load->getAlign(), load->isVolatile());
    loaded->copyMetadata(*load);
    replacement = builder.CreateBitCast(loaded, load->getType());
  } else if (auto *store = dyn_cast<StoreInst>(&instruction);
             store && isBf16(store->getValueOperand()->getType())) {
    builder
        .CreateAlignedStore(bits(store->getValueOperand()),
                            store->getPointerOperand(), store->getAlign(),
                            store->isVolatile())
        ->copyMetadata(*store);
  } else if (auto *select = dyn_cast<SelectInst>(&instruction);
             select && isBf16(select->getType())) {
    replacement = builder.CreateBitCast(
        builder.CreateSelect(select->getCondition(),
                             bits(select->getTrueValue()),
                             bits(select->getFalseValue())),
        select->getType());
  } else if (intrinsic == Intrinsic::masked_store &&
             isBf16(call->getArgOperand(0)->getType())) {
    builder.CreateMaskedStore(
        bits(call->getArgOperand(0)), call->getArgOperand(1),
        cast<ConstantInt>(call->getArgOperand(2))->getAlignValue(),
        call->getArgOperand(3));
  } else if (intrinsic == Intrinsic::masked_load && isBf16(call->getType())) {
    Value *passThrough = bits(call->getArgOperand(3));
    replacement = builder.CreateBitCast(
        builder.CreateMaskedLoad(
            passThrough->getType(), call->getArgOperand(0),
            cast<ConstantInt>(call->getArgOperand(1))->getAlignValue(),
            call->getArgOperand(2), passThrough),
        call->getType());
  } else {
    return false;
  }
  if (replacement)
    instruction.replaceAllUsesWith(replacement);
  instruction.eraseFromParent();
  return true;
}

/// Loads, stores and selects of bf16 values, masked or not, move their i16
/// bit patterns instead. On an x86 CPU without AVX512-BF16, LLVM widens a
/// bf16 value it must hold in a register to f32 and narrows it back, per
/// lane, with a call to compiler-rt's __truncsfbf2, which the model
/// library does not link. Kiln's code computes bf16 bits in i16
/// (arith-expand), but InstCombine moves the bitcasts to bf16 ahead of
/// selects and into memory accesses, and the translation itself stores and
/// masks bf16 vectors.
static void moveBf16AsBits(Module &module) {
  for (Function &function : module)
    for (Instruction &instruction :
         llvm::make_early_inc_range(instructions(function)))
      moveAsBits(instruction);
}

/// LLVM's O1-O3 pipeline for `machine`, with glibc's vector math library.
static void optimize(Module &module, TargetMachine &machine, int optLevel) {
  LoopAnalysisManager loops;
  FunctionAnalysisManager functions;
  CGSCCAnalysisManager cgscc;
  ModuleAnalysisManager modules;
  PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  PassBuilder builder(&machine, tuning);
  // glibc's vector math library (libmvec) lets loops over exp, log, sin...
  // vectorize instead of calling the scalar libm function per element.
  // LLVM's list holds the SSE (2 doubles, 4 floats) and the AVX2 variants
  // and picks one by vector width alone: on a CPU without AVX2 a 4-double
  // call would pass its ymm argument as two xmm registers, so only
  // AVX2 targets get the library.
  TargetLibraryInfoImpl libraryInfo(machine.getTargetTriple());
  if (machine.getMCSubtargetInfo()->checkFeatures("+avx2"))
    libraryInfo.addVectorizableFunctionsFromVecLib(
        TargetLibraryInfoImpl::LIBMVEC_X86, machine.getTargetTriple());
  functions.registerPass([&] { return TargetLibraryAnalysis(libraryInfo); });
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  OptimizationLevel level = optLevel == 1   ? OptimizationLevel::O1
                            : optLevel == 2 ? OptimizationLevel::O2
                                            : OptimizationLevel::O3;
  builder.buildPerModuleDefaultPipeline(level).run(module, modules);
}

std::unique_ptr<Module> translateAndOptimize(mlir::ModuleOp module,
                                             LLVMContext &context,
                                             TargetMachine &machine,
                                             const CPUTargetOptions &options,
                                             std::string &error) {
  std::unique_ptr<Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule) {
    error = "cannot translate the LLVM dialect module to LLVM IR";
    return nullptr;
  }
  llvmModule->setDataLayout(machine.createDataLayout());
  llvmModule->setTargetTriple(machine.getTargetTriple().str());
  for (Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", machine.getTargetCPU());
    function.addFnAttr("target-features", machine.getTargetFeatureString());
  }
  if (options.optLevel > 0)
    optimize(*llvmModule, machine, options.optLevel);
  moveBf16AsBits(*llvmModule);
  return llvmModule;
}

bool emitCode(Module &module, TargetMachine &machine, bool assembly,
              std::string &out, std::string &error) {
  raw_string_ostream stream(out);
  buffer_ostream buffer(stream);
  legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, buffer, nullptr,
                                  assembly ? CodeGenFileType::AssemblyFile
                                           : CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit this file type";
    return false;
  }
  passes.run(module);
  return true;
}

bool linkSharedLibrary(const std::string &objectPath,
                       const std::string &outputPath, std::string &error) {
  std::string binDir = std::string(kLLVMPrefix) + "/bin";
  auto lld = sys::findProgramByName("ld.lld", {binDir});
  if (!lld) {
    error = "cannot find ld.lld in " + binDir + " (install lld-19)";
    return false;
  }
  std::string libDir = std::string(kLLVMPrefix) + "/lib";
  SmallVector<StringRef> args = {*lld,
                                 "-shared",
                                 "--as-needed",
                                 "-o",
                                 outputPath,
                                 objectPath,
                                 "-L",
                                 libDir,
                                 "-rpath",
                                 libDir,
                                 "-lomp",
                                 "-L",
                                 "/lib/x86_64-linux-gnu",
                                 "-L",
                                 "/usr/lib/x86_64-linux-gnu",
                                 "-lmvec",
                                 "-lm",
                                 "-lc"};
  std::string message;
  int rc = sys::ExecuteAndWait(*lld, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "ld.lld failed" + (message.empty() ? "" : ": " + message);
    return false;
  }
  return true;
}

} // namespace kiln::target
