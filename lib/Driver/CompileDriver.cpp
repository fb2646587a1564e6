//===- CompileDriver.cpp - The stages of kiln-compile ---------------------===//
//
// Implements CompileDriver.h. MLIR diagnostics (parser, verifier or pass
// failures) are printed with their locations; model errors come from the
// JSON validator with their JSON pointers. An MLIR input continues from the
// stage detectStage finds, so every --stop-after output can be carried on.
//
//===----------------------------------------------------------------------===//

#include "lib/Driver/CompileDriver.h"
#include "lib/Driver/ToolSupport.h"

#include "kiln/InitAllDialects.h"
#include "lib/Import/JSON/Generation.h"
#include "lib/Import/JSON/Importer.h"
#include "lib/Import/JSON/Model.h"
#include "lib/Target/CPU/TargetCPU.h"
#include "lib/Target/NVPTX/TargetNVPTX.h"
#include "passes/Pipelines/Pipelines.h"
#include "runtime/LibraryTrailer.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;

namespace kiln::driver {
namespace {

constexpr const char *kStages[] = {"import", "fusion", "loops",
                                   "llvm-dialect", "gpu", "nvvm", nullptr};

int fail(const std::string &message) {
  llvm::errs() << "kiln-compile: error: " << message << "\n";
  return 1;
}

/// Prints "[kiln] <stage> <ms> ms" lines when asked to.
class Progress {
public:
  explicit Progress(bool enabled) : enabled(enabled) {}
  void done(const char *stage) {
    auto now = std::chrono::steady_clock::now();
    if (enabled)
      llvm::errs() << "[kiln-compile] " << stage << ": "
                   << llvm::format(
                          "%.1f",
                          std::chrono::duration<double, std::milli>(now - last)
                              .count())
                   << " ms\n";
    last = now;
  }

private:
  bool enabled;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

/// Whether `path` names an existing file that is not a regular one (a
/// device such as /dev/null, a FIFO): written in place, never replaced.
bool isSpecialFile(const llvm::Twine &path) {
  llvm::sys::fs::file_status status;
  return !llvm::sys::fs::status(path, status) &&
         status.type() != llvm::sys::fs::file_type::regular_file &&
         status.type() != llvm::sys::fs::file_type::directory_file;
}

/// Puts the finished file `temp` at `path`: renamed over it, or copied
/// into it when `path` is a special file; `temp` is gone either way.
bool moveIntoPlace(const std::string &temp, const std::string &path,
                   std::string &error) {
  std::error_code ec;
  if (isSpecialFile(path)) {
    auto contents = llvm::MemoryBuffer::getFile(temp);
    ec = contents.getError();
    if (!ec) {
      llvm::raw_fd_ostream stream(path, ec);
      if (!ec) {
        stream << (*contents)->getBuffer();
        stream.close();
        ec = stream.error();
      }
    }
  } else {
    ec = llvm::sys::fs::rename(temp, path);
  }
  llvm::sys::fs::remove(temp);
  if (ec)
    error = "cannot write '" + path + "': " + ec.message();
  return !ec;
}

/// Writes `contents` to `path` through a temporary file in the same folder
/// and moveIntoPlace, so that a failure never leaves a partial output.
bool writeAtomically(const std::string &path, llvm::StringRef contents,
                     std::string &error) {
  llvm::SmallString<256> temp;
  int fd;
  llvm::SmallString<256> model(path);
  model += ".tmp-%%%%%%";
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, temp)) {
    error = "cannot create '" + std::string(model) + "': " + ec.message();
    return false;
  }
  {
    llvm::raw_fd_ostream stream(fd, /*shouldClose=*/true);
    stream << contents;
    stream.close();
    if (stream.has_error()) {
      error = "cannot write '" + path + "': " + stream.error().message();
      llvm::sys::fs::remove(temp);
      return false;
    }
  }
  return moveIntoPlace(std::string(temp), path, error);
}

/// Appends the checksum trailer the runtime verifies before loading a
/// library (runtime/LibraryTrailer.h).
bool appendChecksum(const std::string &path, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = "cannot read '" + path + "': " + buffer.getError().message();
    return false;
  }
  llvm::StringRef bytes = (*buffer)->getBuffer();
  std::string trailer = runtime::makeTrailer(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
  std::error_code ec;
  llvm::raw_fd_ostream stream(path, ec, llvm::sys::fs::OF_Append);
  if (!ec) {
    stream << trailer;
    stream.close();
    ec = stream.error();
  }
  if (ec)
    error = "cannot write '" + path + "': " + ec.message();
  return !ec;
}

/// Without -o, text goes to stdout (as with mlir-opt) and a library or an
/// object next to the input, named after it.
std::string defaultOutput(const CompileOptions &options, bool textOutput) {
  if (textOutput)
    return "-";
  llvm::SmallString<256> path(options.input);
  llvm::sys::path::replace_extension(path,
                                     options.emit == Emit::Obj ? "o" : "so");
  return std::string(path);
}

/// A JSON model starts with '{'; anything else is taken for MLIR, as is
/// any .mlir file.
bool isMLIRInput(const std::string &path) {
  llvm::StringRef extension = llvm::sys::path::extension(path);
  if (extension == ".mlir")
    return true;
  if (extension == ".json")
    return false;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  return buffer && !(*buffer)->getBuffer().ltrim().starts_with("{");
}

/// The model's JSON text that the importer records (the kiln.source
/// attribute, a string global once the ABI is emitted); the C header of
/// --emit=obj is derived from it.
std::optional<std::string> embeddedSource(ModuleOp module) {
  if (auto source = module->getAttrOfType<StringAttr>("kiln.source"))
    return source.getValue().str();
  auto global = module.lookupSymbol<LLVM::GlobalOp>(
      "kiln_compiled_source_data");
  auto value = global ? dyn_cast_or_null<StringAttr>(global.getValueOrNull())
                      : StringAttr();
  if (!value)
    return std::nullopt;
  return value.getValue().rtrim('\0').str();
}

/// The C header written next to an object: the ABI of docs/abi.md.
std::string objectHeader(const model::Model &model) {
  std::string guard = "KILN_MODEL_" + model.name + "_H";
  for (char &c : guard)
    c = std::isalnum(static_cast<unsigned char>(c))
            ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
            : '_';
  std::string text = "/* Generated by kiln-compile from model '" + model.name +
                     "'. Link the object next to this header with the Kiln\n"
                     "   runtime; see docs/abi.md. */\n#ifndef " + guard +
                     "\n#define " + guard + "\n\n#include <stdint.h>\n\n"
                     "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  text += "int32_t kiln_compiled_abi_version(void);\n"
          "const char *kiln_compiled_signature(void);\n"
          "const char *kiln_compiled_source(void);\n"
          "void kiln_compiled_entry(void *const *buffers, const int64_t *dims);\n"
          "void kiln_compiled_pack(void *const *buffers);\n"
          "void kiln_compiled_pack_one(void *const *buffers, int64_t which);\n";
  // The generation entries (docs/abi.md, "Generation"), when derived.
  bool generates = model::planGeneration(model).available();
  if (generates)
    text += "void kiln_compiled_prefill(void *const *buffers, "
            "const int64_t *dims);\n"
            "void kiln_compiled_decode(void *const *buffers, "
            "const int64_t *dims);\n";
  text += "\n/* Initializes a kiln_compiled_model (kiln/runtime/kiln_runtime.h)\n"
          "   for kiln_model_open_linked. */\n"
          "#define KILN_COMPILED_MODEL_SYMBOLS                                  \\\n"
          "  {kiln_compiled_abi_version, kiln_compiled_signature,             \\\n"
          "   kiln_compiled_source, kiln_compiled_entry, kiln_compiled_pack,  \\\n";
  text += generates ? "   kiln_compiled_prefill, kiln_compiled_decode, "
                    : "   0, 0, ";
  text += "kiln_compiled_pack_one}\n";
  text += "\n/* Buffers, in order:";
  for (const std::vector<int> *group : {&model.inputs, &model.params,
                                        &model.outputs})
    for (int id : *group) {
      const model::Value &value = model.value(id);
      text += "\n     " + value.name + ": " +
              model::dtypeName(value.type.dtype) + " " +
              model::formatShape(model, value.type.shape);
    }
  text += "\n   Dims, in order:";
  for (const std::string &dim : model.dims)
    text += " " + dim;
  text += " */\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return text;
}

std::string printModule(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  module.print(stream);
  return text;
}

/// compileCUDA's result when the module is host code in the LLVM dialect,
/// to be linked into a library.
constexpr int kHostCodeReady = -1;

/// The rest of the CUDA path from `stage`: the gpu dialect, NVVM, then
/// LLVM IR of the kernels or their PTX, which `finish` writes, or for a
/// library the host code around the PTX (kHostCodeReady).
/// The pipelines' value of --gpu-fp32 (kiln-compile accepts only these).
GPUFP32 gpuFP32Of(const CompileOptions &options) {
  return options.gpuFP32 == "tf32" ? GPUFP32::TF32 : GPUFP32::Exact;
}

template <typename Finish>
int compileCUDA(const CompileOptions &options, ModuleOp module, Stage stage,
                Progress &progress, Finish &finish) {
  if (stage == Stage::LLVMDialect)
    return fail("'" + options.input + "' is CPU code in the LLVM dialect; "
                "--target=cuda starts from a model or the MLIR of an earlier "
                "stage");
  NVPTXPipelineOptions gpuOptions;
  gpuOptions.chip = options.sm;
  gpuOptions.gpuFP32 = gpuFP32Of(options);
  // -O0 keeps one kernel per JSON node, as on the CPU.
  gpuOptions.fusion = options.fusion && options.optLevel > 0;
  gpuOptions.fusionReport = options.fusionReport ? "-" : "";
  gpuOptions.libdevice = target::findLibdevice();
  gpuOptions.optLevel = options.optLevel;
  gpuOptions.flashAttention = !options.gpuAttentionRows;
  auto run = [&](auto build, const char *name) {
    PassManager pm(module.getContext());
    build(pm, gpuOptions);
    if (failed(applyPassManagerCLOptions(pm)))
      return false;
    applyDefaultTimingPassManagerCLOptions(pm);
    if (failed(pm.run(module)))
      return false;
    progress.done(name);
    return true;
  };
  auto shared = [](auto build) {
    return [build](OpPassManager &pm, const NVPTXPipelineOptions &gpu) {
      CPUPipelineOptions sharedOptions;
      gpu.fillSharedStages(sharedOptions);
      build(pm, sharedOptions);
    };
  };
  auto stopHere = [&](const char *name) {
    return options.stopAfter == name;
  };
  if (stage == Stage::Imported) {
    if (!run(shared(buildFusionPipeline), "fusion"))
      return fail("fusion failed");
    if (stopHere("fusion"))
      return finish(printModule(module));
    if (!run(shared(buildKilnToLoopsPipeline), "loops"))
      return fail("lowering to loops failed");
    if (stopHere("loops"))
      return finish(printModule(module));
  }
  if (stage == Stage::Imported || stage == Stage::Loops) {
    if (!run(buildLoopsToGPUPipeline, "gpu"))
      return fail("lowering to GPU kernels failed");
    if (stopHere("gpu"))
      return finish(printModule(module));
  }
  if (stage != Stage::NVVM) {
    if (!run(buildGPUToNVVMPipeline, "nvvm"))
      return fail("lowering the kernels to NVVM failed");
    if (stopHere("nvvm"))
      return finish(printModule(module));
  }
  if (failed(target::checkLibdeviceCalls(module, gpuOptions.libdevice)))
    return 1;
  std::string text, error;
  if (options.emit == Emit::LLVM) {
    if (!target::kernelsToLLVMIR(module, text, error))
      return fail(error);
    return finish(text);
  }
  if (!run(buildNVVMToPTXPipeline, "ptx"))
    return fail("generating PTX failed");
  if (options.emit == Emit::Lib) {
    // A cubin for the chosen arch spares the driver JIT-compiling the PTX
    // at load time; without a toolkit the PTX alone serves.
    if (std::string ptxas = target::findPtxas(); !ptxas.empty()) {
      std::string cubin;
      if (!target::extractPTX(module, text, error) ||
          !target::assembleCubin(ptxas, text, options.sm, cubin, error) ||
          !target::addCubin(module, cubin, error))
        return fail(error);
      progress.done("cubin");
    }
    if (!run([](OpPassManager &pm,
                const NVPTXPipelineOptions &) { buildGPUHostToLLVMPipeline(pm); },
             "host"))
      return fail("lowering the host code to the LLVM dialect failed");
    return kHostCodeReady;
  }
  if (!target::extractPTX(module, text, error))
    return fail(error);
  return finish(text);
}

} // namespace

const char *const *stopAfterStages() { return kStages; }

int compile(const CompileOptions &options) {
  // kiln-compile's command line admits only cpu and cuda, sm_80 and sm_90.
  bool cuda = options.target == "cuda";
  if (!cuda && options.emit == Emit::PTX)
    return fail("--emit=ptx needs --target=cuda");
  if (cuda && (options.emit == Emit::Obj || options.emit == Emit::Asm))
    return fail(std::string("--emit=") +
                (options.emit == Emit::Obj ? "obj" : "asm") +
                " is for --target=cpu; --target=cuda writes ptx, mlir or llvm");
  if (!options.stopAfter.empty()) {
    bool gpuStage = options.stopAfter == "gpu" || options.stopAfter == "nvvm";
    if (cuda ? options.stopAfter == "llvm-dialect" : gpuStage)
      return fail("--stop-after=" + options.stopAfter + " is not a stage of " +
                  "--target=" + options.target + " (its stages: import, "
                  "fusion, loops, " + (cuda ? "gpu, nvvm" : "llvm-dialect") +
                  ")");
  }
  if (cuda && options.gpuEmulation)
    return fail("--gpu-emulation runs the CUDA lowering on the CPU; it "
                "applies to --target=cpu");
  bool textOutput = !options.stopAfter.empty() || options.emit == Emit::MLIR ||
                    options.emit == Emit::LLVM || options.emit == Emit::Asm ||
                    options.emit == Emit::PTX;
  std::string output = options.output.empty()
                           ? defaultOutput(options, textOutput)
                           : options.output;
  if (output == "-" && options.fusionReport)
    return fail("--fusion-report prints to stdout; give -o a file name");
  if (output == "-" && !textOutput)
    return fail("-o - writes text (MLIR, LLVM IR, assembly) to stdout; give "
                "a file name for a library or an object");
  if (output != "-" && llvm::sys::fs::is_directory(output))
    return fail("cannot write '" + output + "': it is a directory; give a "
                "file name, such as '" +
                (llvm::StringRef(output).rtrim('/') + "/model.so").str() +
                "'");
  llvm::StringRef folder = llvm::sys::path::parent_path(output);
  if (!folder.empty() && !llvm::sys::fs::is_directory(folder))
    return fail("cannot write '" + output + "': folder '" + folder.str() +
                "' does not exist");
  Progress progress(options.progress);

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  OwningOpRef<ModuleOp> module;
  Stage stage = Stage::Imported;
  if (isMLIRInput(options.input)) {
    std::string message;
    auto buffer = mlir::openInputFile(options.input, &message);
    if (!buffer)
      return fail(message);
    sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    if (!checkMLIRNesting(sourceMgr))
      return 1;
    // parseSourceFile verifies the module and reports with locations.
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return 1;
    stage = detectStage(*module);
    if (stage != Stage::LLVMDialect &&
        failed(verifyModelSignature(*module, stage)))
      return 1;
    progress.done("parse");
  } else {
    model::Error modelError;
    std::optional<model::Model> model =
        model::loadModel(options.input, modelError);
    if (!model) {
      llvm::errs() << modelError.str() << "\n";
      return 1;
    }
    module = importModel(context, *model);
    if (!module || failed(verify(*module)))
      return fail("the imported model does not verify (an importer bug; "
                  "please report it with the model)");
    progress.done("import");
  }
  // Fusion works on the imported (tensor) form, so it is past for the same
  // inputs as the import stage.
  for (Stage earlier : {Stage::Imported, Stage::Loops, Stage::GPU})
    if (earlier < stage &&
        (options.stopAfter == stageName(earlier) ||
         (earlier == Stage::Imported && options.stopAfter == "fusion")))
      return fail("--stop-after=" + options.stopAfter + ": '" +
                  options.input + "' is already past that stage (it is " +
                  stageName(stage) + " IR)");
  // A C header is derived from the model the IR was imported from.
  std::optional<std::string> source = embeddedSource(*module);

  std::string error;
  auto finishText = [&](const std::string &text) {
    if (output == "-") {
      llvm::outs() << text;
      return 0;
    }
    return writeAtomically(output, text, error) ? 0 : fail(error);
  };
  if (options.stopAfter == stageName(stage) ||
      (options.stopAfter.empty() && options.emit == Emit::MLIR))
    return finishText(printModule(*module));

  if (cuda) {
    int status = compileCUDA(options, *module, stage, progress, finishText);
    if (status != kHostCodeReady)
      return status;
    // The host code links into a library like a CPU model's.
    stage = Stage::LLVMDialect;
  }

  if (stage == Stage::GPU || stage == Stage::NVVM)
    return fail("'" + options.input + "' holds GPU kernels (" +
                stageName(stage) + " IR); compile it with --target=cuda");
  // The target machine comes first: the kernels' vector width follows it.
  target::CPUTargetOptions targetOptions;
  targetOptions.cpu = options.cpu;
  targetOptions.optLevel = options.optLevel;
  auto machine = target::createTargetMachine(targetOptions, error);
  if (!machine)
    return fail(error);
  CPUPipelineOptions pipelineOptions;
  // Emulated GPU kernels are the CUDA path's: the shared stages run with its
  // options (vector width, attention's and the GEMMs' thread blocks).
  NVPTXPipelineOptions emulated;
  emulated.flashAttention = !options.gpuAttentionRows;
  emulated.gpuFP32 = gpuFP32Of(options);
  if (options.gpuEmulation)
    emulated.fillSharedStages(pipelineOptions);
  else
    pipelineOptions.vectorWidth = target::f32VectorWidth(*machine);
  pipelineOptions.parallel = options.parallel;
  pipelineOptions.fusionReport = options.fusionReport ? "-" : "";
  auto runPipeline = [&](auto build, const char *stage) {
    PassManager pm(&context);
    build(pm, pipelineOptions);
    if (failed(applyPassManagerCLOptions(pm)))
      return false;
    applyDefaultTimingPassManagerCLOptions(pm);
    if (failed(pm.run(*module)))
      return false;
    progress.done(stage);
    return true;
  };
  if (stage == Stage::Imported) {
    // -O0 keeps one kernel per JSON node, for debugging.
    pipelineOptions.fusion = options.fusion && options.optLevel > 0;
    if (!runPipeline(buildFusionPipeline, "fusion"))
      return fail("fusion failed");
    if (options.stopAfter == "fusion")
      return finishText(printModule(*module));
    if (!runPipeline(buildKilnToLoopsPipeline, "loops"))
      return fail("lowering to loops failed");
    if (options.stopAfter == "loops")
      return finishText(printModule(*module));
  }
  if (options.gpuEmulation && stage != Stage::LLVMDialect) {
    PassManager pm(&context);
    buildGPUEmulationPipeline(pm, emulated);
    if (failed(applyPassManagerCLOptions(pm)) || failed(pm.run(*module)))
      return fail("emulating the GPU lowering failed");
    progress.done("gpu-emulation");
  }
  if (stage != Stage::LLVMDialect) {
    if (!runPipeline(buildLoopsToLLVMPipeline, "llvm-dialect"))
      return fail("lowering to the LLVM dialect failed");
    if (options.stopAfter == "llvm-dialect")
      return finishText(printModule(*module));
  }

  // LLVM-dialect input was written by --stop-after=llvm-dialect, or it is
  // not a model at all.
  if (!module->lookupSymbol<LLVM::LLVMFuncOp>("kiln_compiled_entry"))
    return fail("'" + options.input + "' has no kiln_compiled_entry: it is "
                "not a model's IR (give a model JSON, or the MLIR that "
                "kiln-compile --emit=mlir or --stop-after wrote)");
  llvm::LLVMContext llvmContext;
  auto llvmModule = target::translateAndOptimize(*module, llvmContext, *machine,
                                                 targetOptions, error);
  if (!llvmModule)
    return fail(error);
  progress.done("llvm-ir");
  if (options.emit == Emit::LLVM) {
    std::string text;
    llvm::raw_string_ostream stream(text);
    llvmModule->print(stream, nullptr);
    return finishText(text);
  }

  std::string code;
  if (!target::emitCode(*llvmModule, *machine, options.emit == Emit::Asm, code,
                        error))
    return fail(error);
  progress.done("codegen");
  if (options.emit == Emit::Asm)
    return finishText(code);
  if (options.emit == Emit::Obj) {
    model::Error modelError;
    std::optional<model::Model> model =
        source ? model::parseModel(*source, options.input, modelError)
               : std::nullopt;
    if (!model)
      return fail("cannot write the C header of '" + output + "': " +
                  (source ? modelError.str()
                          : "the IR does not carry the model's source"));
    llvm::SmallString<256> header(output);
    llvm::sys::path::replace_extension(header, "h");
    if (llvm::StringRef(header) == output)
      return fail("the C header of '" + output +
                  "' would replace the object file; name the object file "
                  "with another extension (model.o)");
    if (!writeAtomically(std::string(header), objectHeader(*model), error))
      return fail(error);
    return finishText(code);
  }

  // A shared library: link a temporary object, then rename into place.
  llvm::SmallString<256> object;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("kiln-model", "o", object))
    return fail("cannot create a temporary object file: " + ec.message());
  bool linked = writeAtomically(std::string(object), code, error);
  llvm::SmallString<256> temp(output);
  temp += ".tmp-link";
  linked = linked &&
           target::linkSharedLibrary(std::string(object), std::string(temp),
                                     error) &&
           appendChecksum(std::string(temp), error);
  llvm::sys::fs::remove(object);
  if (!linked) {
    llvm::sys::fs::remove(temp);
    return fail(error);
  }
  if (!moveIntoPlace(std::string(temp), output, error))
    return fail(error);
  progress.done("link");
  return 0;
}

} // namespace kiln::driver
