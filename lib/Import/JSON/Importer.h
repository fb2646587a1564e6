//===- Importer.h - JSON IR model to MLIR -----------------------*- C++ -*-===//
//
// Builds the MLIR form of a validated model: one `func.func @kiln_main` whose
// arguments are the graph inputs then the parameters and whose results are
// the graph outputs, written in the graph/attn/scan/ffn dialects on tensors
// whose symbolic dimensions are dynamic. The module carries the model's
// signature and source text for the compiled-model ABI (docs/abi.md).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_IMPORT_JSON_IMPORTER_H
#define KILN_IMPORT_JSON_IMPORTER_H

#include "lib/Import/JSON/Model.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace kiln {

/// Name of the model function in imported modules.
inline constexpr const char *kModelFunctionName = "kiln_main";
/// The generation entries (docs/compiler.md, "Generation"): arguments are
/// the token input, `slots` and `positions` (i64 [batch]), the parameters
/// and the per-sequence state buffers; results are the model's outputs.
inline constexpr const char *kPrefillFunctionName = "kiln_prefill";
inline constexpr const char *kDecodeFunctionName = "kiln_decode";

/// Imports `model` into a new module in `context` (which must have the Kiln
/// dialects loaded or registered). The module is not yet verified.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &context,
                                              const model::Model &model);

/// The signature JSON of docs/abi.md for `model`.
std::string buildSignature(const model::Model &model);

} // namespace kiln

#endif // KILN_IMPORT_JSON_IMPORTER_H
